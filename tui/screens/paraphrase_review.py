"""Reviewing paraphrased templates: accept, edit or reject each candidate, with live previews.

The screen lists the candidates that passed the checks. The one highlighted shows its original,
its text, the verdict of the checks and the text rendered on the unit's sample data. Editing
(``e``) re-checks and re-renders on every change; ``escape`` ends editing. A candidate is
accepted (``a``) only if its current text passes every check, including not duplicating another
accepted one. ``w`` dismisses the screen with ``{candidate name: text}`` of the accepted ones;
``q`` dismisses it with None (write nothing).

The screen knows nothing of the engine: it gets the candidates as :class:`ReviewItem` and a
``check(original_id, text, others) -> (code, reason, previews)`` function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static, TextArea

__all__ = ["ReviewItem", "ParaphraseReviewScreen", "Check", "STATUS_MARKS"]

#: check(original template id, text, [(label, text) of other accepted candidates]) -> (code, reason, previews)
Check = Callable[[str, str, Sequence[tuple[str, str]]], tuple[str | None, str | None, list[str]]]

#: How each status shows in the list.
STATUS_MARKS = {"pending": "·", "accepted": "✓", "rejected": "✗"}


@dataclass
class ReviewItem:
    """One candidate under review."""

    name: str                        # e.g. t03#2
    original_id: str
    original_text: str
    text: str
    status: str = "pending"          # pending | accepted | rejected
    code: str | None = None          # verdict of the checks on ``text`` (None: passes)
    reason: str | None = None
    previews: list[str] = field(default_factory=list)


class ParaphraseReviewScreen(Screen["dict[str, str] | None"]):
    """Accept / edit / reject paraphrase candidates of one unit."""

    CSS_PATH = "paraphrase_review.tcss"
    BINDINGS = [
        Binding("a", "accept", "Accept", id="review.accept"),
        Binding("r", "reject", "Reject", id="review.reject"),
        Binding("e", "edit", "Edit", id="review.edit"),
        Binding("escape", "stop_editing", "Done editing", id="review.stop_editing"),
        Binding("w", "write", "Write accepted", id="review.write"),
        Binding("q", "quit_review", "Quit, write nothing", id="review.quit"),
    ]

    current: reactive[int] = reactive(0, init=False)
    editing: reactive[bool] = reactive(False, init=False)

    def __init__(self, unit_id: str, items: list[ReviewItem], check: Check) -> None:
        super().__init__()
        self.unit_id = unit_id
        self.items = items
        self.check = check

    def compose(self) -> ComposeResult:
        yield Static(Content(f"Review paraphrases of unit {self.unit_id} — {len(self.items)} candidate(s)"),
                     id="title")
        with Horizontal():
            yield OptionList(*(self._prompt(item) for item in self.items), id="candidates")
            with Vertical(id="detail"):
                yield Static(id="original")
                yield TextArea(id="editor", read_only=True, soft_wrap=True)
                yield Static(id="verdict")
                yield Static(id="preview")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#candidates", OptionList).highlighted = 0 if self.items else None
        self._show(0)

    # -- state ---------------------------------------------------------------------------
    @property
    def item(self) -> ReviewItem | None:
        return self.items[self.current] if 0 <= self.current < len(self.items) else None

    def accepted(self) -> dict[str, str]:
        """{name: text} of the accepted candidates, in list order."""
        return {i.name: i.text for i in self.items if i.status == "accepted"}

    def watch_current(self, index: int) -> None:
        self._show(index)

    def watch_editing(self, editing: bool) -> None:
        self.set_class(editing, "-editing")
        editor = self.query_one("#editor", TextArea)
        editor.read_only = not editing
        (editor if editing else self.query_one("#candidates", OptionList)).focus()

    @on(OptionList.OptionHighlighted, "#candidates")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.editing = False
        self.current = event.option_index

    @on(TextArea.Changed, "#editor")
    def _edited(self, event: TextArea.Changed) -> None:
        item = self.item
        if item is None or event.text_area.text == item.text:
            return
        item.text = event.text_area.text
        if item.status == "accepted":
            item.status = "pending"
        self._recheck(item)
        self._refresh_row(self.current)

    # -- actions -------------------------------------------------------------------------
    def action_accept(self) -> None:
        item = self.item
        if item is None:
            return
        self.editing = False
        self._recheck(item)
        if item.code is not None:
            self.notify(f"{item.name} cannot be accepted: {item.code}: {item.reason}", severity="error")
            return
        item.status = "accepted"
        self._refresh_row(self.current)
        self._next()

    def action_reject(self) -> None:
        item = self.item
        if item is None:
            return
        self.editing = False
        item.status = "rejected"
        self._refresh_row(self.current)
        self._next()

    def action_edit(self) -> None:
        if self.item is not None:
            self.editing = True

    def action_stop_editing(self) -> None:
        self.editing = False

    def action_write(self) -> None:
        self.dismiss(self.accepted())

    def action_quit_review(self) -> None:
        self.dismiss(None)

    # -- helpers -------------------------------------------------------------------------
    def _recheck(self, item: ReviewItem) -> None:
        others = [(f"candidate {i.name}", i.text) for i in self.items if i is not item and i.status == "accepted"]
        item.code, item.reason, item.previews = self.check(item.original_id, item.text, others)
        if item is self.item:
            self._show_verdict(item)

    def _next(self) -> None:
        pending = [k for k, i in enumerate(self.items) if i.status == "pending"]
        later = [k for k in pending if k > self.current] or pending
        if later:
            self.query_one("#candidates", OptionList).highlighted = later[0]

    def _prompt(self, item: ReviewItem) -> Content:
        text = " ".join(item.text.split())
        return Content(f"{STATUS_MARKS[item.status]} {item.name}  {text}")

    def _refresh_row(self, index: int) -> None:
        self.query_one("#candidates", OptionList).replace_option_prompt_at_index(index, self._prompt(self.items[index]))

    def _show(self, index: int) -> None:
        item = self.items[index] if 0 <= index < len(self.items) else None
        if item is None:
            return
        self.query_one("#original", Static).update(Content(f"original {item.original_id}: {item.original_text.strip()}"))
        editor = self.query_one("#editor", TextArea)
        if editor.text != item.text:
            editor.load_text(item.text)
        self._show_verdict(item)

    def _show_verdict(self, item: ReviewItem) -> None:
        verdict = self.query_one("#verdict", Static)
        ok = item.code is None
        verdict.set_class(ok, "-ok")
        verdict.set_class(not ok, "-bad")
        verdict.update(Content(f"[{item.status}] " + ("passes every check" if ok else f"{item.code}: {item.reason}")))
        lines = [f"• {p}" for p in item.previews[:3]] or ["(no preview)"]
        self.query_one("#preview", Static).update(Content("preview on sample data:\n" + "\n".join(lines)))
