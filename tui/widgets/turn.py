"""One step of a chat as a bubble: a customer turn with its label, a tool call with its result
folded beneath it, or an assistant reply; each with the verification problems about it.

A bubble edits in place: :meth:`TurnView.start_edit` opens an editor under the text (or the
label, as JSON); every change is posted as :class:`TurnView.Edited`, and Escape closes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static, TextArea

from twinchat.composer.verify.reasons import FIXES

__all__ = ["TurnView", "TurnEditor", "group_turns", "label_json", "FIX_KEYS"]

#: The key that applies each fix (shown next to a problem).
FIX_KEYS = {"reextract": "x re-extract", "rerun_tools": "t re-run tools", "rerender": "r re-render"}
_ROLE = {"user": "客户", "reply": "客服", "tool": "工具"}


def group_turns(turns: list[dict[str, Any]]) -> list[tuple[str, list[int]]]:
    """The bubbles of a chat: (kind, turn numbers); a tool call and its results make one bubble."""
    groups: list[tuple[str, list[int]]] = []
    for n, turn in enumerate(turns, 1):
        role = turn.get("role")
        if role == "tool" and groups and groups[-1][0] == "tool":
            groups[-1][1].append(n)
        elif role == "user":
            groups.append(("user", [n]))
        elif role == "assistant" and turn.get("tool_calls") or role == "tool":
            groups.append(("tool", [n]))
        else:
            groups.append(("reply", [n]))
    return groups


def label_json(label: dict[str, Any]) -> str:
    """A label as JSON with one field per line (what the label editor shows)."""
    if not label:
        return "{}"
    fields = [f" {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}" for k, v in label.items()]
    return "{\n" + ",\n".join(fields) + "\n}"


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit - 1] + "…"


class TurnEditor(TextArea):
    """The in-place editor of a turn's text or label; Escape closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "done", "Done editing", id="edit.done")]

    @dataclass
    class Done(Message):
        editor: TurnEditor

    def action_done(self) -> None:
        self.post_message(self.Done(self))


class TurnView(Vertical):
    """A bubble for turns ``numbers`` of ``kind`` (user, tool or reply)."""

    problems: reactive[list[str]] = reactive(list)
    expanded: reactive[bool] = reactive(False)

    @dataclass
    class Edited(Message):
        """The editor of turn ``number``'s ``field`` (text or label) now holds ``value``."""

        view: TurnView
        number: int
        field: str
        value: str

        @property
        def control(self) -> TurnView:
            return self.view

    @dataclass
    class EditClosed(Message):
        view: TurnView

    def __init__(self, kind: str, numbers: list[int], turns: list[dict[str, Any]]) -> None:
        super().__init__(classes=f"-{kind}")
        self.kind = kind
        self.numbers = numbers
        self.turns = turns
        self.editing: str | None = None

    @property
    def number(self) -> int:
        """The turn this bubble edits (the user turn, the reply, or the tool call)."""
        return self.numbers[0]

    def compose(self) -> ComposeResult:
        yield Static(self._body(), classes="body", markup=False)
        if self.kind == "user":
            yield Static(self._label(), classes="label", markup=False)
        yield Static("", classes="problems", markup=False)

    def on_mount(self) -> None:
        self._title()

    def _title(self) -> None:
        first = self.turns[0]
        span = f"{self.numbers[0]}–{self.numbers[-1]}" if len(self.numbers) > 1 else str(self.numbers[0])
        detail = ""
        if self.kind == "user":
            detail = f" · {first.get('unit', '-')}/{first.get('template', '-')}"
        elif self.kind == "reply":
            detail = f" · {first.get('outcome') or '-'}"
        elif first.get("tool_calls"):
            detail = " · " + ", ".join(tc.get("name", "?") for tc in first["tool_calls"])
        self.border_title = f"{span} {_ROLE[self.kind]}{detail}"

    def _body(self) -> Text:
        first = self.turns[0]
        if self.kind != "tool":
            return Text(first.get("content") or "")
        out = Text()
        if first.get("thought"):
            out.append(f"思考: {first['thought']}\n", style="italic")
        results = {t.get("tool_call_id"): t.get("content") for t in self.turns[1:]}
        for tc in first.get("tool_calls") or []:
            args = tc.get("arguments") or {}
            result = results.get(tc.get("id"))
            if self.expanded:
                out.append(f"▾ {tc.get('name')}\n", style="bold")
                out.append(json.dumps(args, ensure_ascii=False, indent=1) + "\n")
                out.append("→ " + json.dumps(result, ensure_ascii=False, indent=1))
            else:
                shown = ", ".join(f"{k}={_short(v, 24)}" for k, v in args.items())
                out.append(f"▸ {tc.get('name')}({shown})\n", style="bold")
                out.append("→ " + _short(result, 70), style="dim")
        return out

    def _label(self) -> Text:
        label = self.turns[0].get("label") or {}
        out = Text("label ", style="bold")
        out.append("  ".join(f"{k}={_short(v, 40)}" for k, v in label.items()) or "{}")
        return out

    # -- updating --------------------------------------------------------------------------
    def set_turns(self, turns: list[dict[str, Any]]) -> None:
        """Show new contents of the same turns (after a fix), leaving an open editor alone."""
        self.turns = turns
        self._title()
        if self.editing != "text":
            self.query_one(".body", Static).update(self._body())
        if self.kind == "user" and self.editing != "label":
            self.query_one(".label", Static).update(self._label())

    def watch_problems(self, problems: list[str]) -> None:
        self.set_class(bool(problems), "-failed")
        lines = Text()
        for i, problem in enumerate(problems):
            fix = FIX_KEYS.get(FIXES.get(problem.split(":", 1)[0], ""))
            lines.append(("\n" if i else "") + f"✗ {problem}")
            if fix:
                lines.append(f"  ({fix})", style="dim")
        if self.is_mounted:
            box = self.query_one(".problems", Static)
            box.update(lines)
            box.display = bool(problems)

    def watch_expanded(self) -> None:
        if self.kind == "tool" and self.is_mounted:
            self.query_one(".body", Static).update(self._body())

    # -- editing in place ----------------------------------------------------------------------
    def start_edit(self, field: str) -> TurnEditor:
        """Open the editor of ``field`` (``text`` or ``label``) under the bubble's text and focus it."""
        self.stop_edit()
        self.editing = field
        turn = self.turns[0]
        if field == "text":
            value = turn.get("content") or ""
        else:
            value = label_json(turn.get("label") or {})
        editor = TurnEditor(value, soft_wrap=True, classes=f"editor -{field}")
        self.mount(editor, after=self.query_one(".body" if field == "text" else ".label"))
        self.add_class(f"-editing-{field}")
        editor.focus()
        return editor

    def stop_edit(self) -> None:
        if self.editing is None:
            return
        self.remove_class(f"-editing-{self.editing}")
        self.editing = None
        for editor in self.query(TurnEditor):
            editor.remove()
        self.set_turns(self.turns)

    @on(TextArea.Changed, ".editor")
    def _changed(self, event: TextArea.Changed) -> None:
        event.stop()
        if self.editing is not None:
            self.post_message(self.Edited(self, self.number, self.editing, event.text_area.text))

    @on(TurnEditor.Done)
    def _done(self, event: TurnEditor.Done) -> None:
        event.stop()
        self.stop_edit()
        self.post_message(self.EditClosed(self))
