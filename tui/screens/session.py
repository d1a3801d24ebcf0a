"""One session as a chat, edited in place and re-verified on every change.

Edits apply to a working copy. Every change is re-verified (problems show on the bubble they
concern) and written at once as the session's draft, so closing the terminal loses nothing; the
draft is offered back the next time the session is opened. ``ctrl+s`` saves the working copy
(row, history entry and dropped draft in one transaction); leaving with unsaved edits asks
whether to save, keep the draft or discard it.
"""

from __future__ import annotations

import copy
import json
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer

from twinchat.composer.store import edit
from twinchat.tui.screens.choice import ChoiceScreen
from twinchat.tui.screens.prompt import PromptScreen
from twinchat.tui.widgets.chat import ChatView, SessionHeader, header_text
from twinchat.tui.widgets.turn import TurnView
from twinchat.units.errors import TwinchatError

__all__ = ["SessionScreen"]

_FAILED = object()


class SessionScreen(Screen[str | None]):
    """Read and edit one session; dismissed with ``"saved"``, ``"deleted"`` or None."""

    CSS_PATH = "session.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="session.back"),
        Binding("ctrl+s", "save", "Save", id="session.save"),
        Binding("e", "edit('text')", "Edit", id="session.edit_text",
                tooltip="Edit the text of the highlighted turn in place"),
        Binding("l", "edit('label')", "Label", id="session.edit_label",
                tooltip="Edit the label of the customer turn (JSON)"),
        Binding("x", "reextract", "Extract", id="session.reextract",
                tooltip="Re-extract the label from the customer's text"),
        Binding("t", "rerun", "Tools", id="session.rerun_tools",
                tooltip="Re-run the tool calls with arguments from the labels"),
        Binding("r", "rerender", "Reply", id="session.rerender",
                tooltip="Re-render the reply of this step from its tool result"),
        Binding("a", "fix_all", "Fix all", show=False, id="session.fix_all",
                tooltip="Re-extract, re-run and re-render where needed"),
        Binding("v", "verify", "Re-verify", show=False, id="session.verify"),
        Binding("g", "regenerate", "Regenerate", show=False, id="session.regenerate",
                tooltip="Compose this session again with another seed"),
        Binding("o", "fold", "Fold tools", show=False, id="session.fold",
                tooltip="Show or hide the whole tool call and result"),
        Binding("u", "undo", "Undo", show=False, id="session.undo"),
        Binding("d", "delete", "Delete", show=False, id="session.delete"),
        Binding("h", "history", "History", id="session.history",
                tooltip="The edit history of this session; revert an edit"),
        Binding("q", "app.quit", "Quit", show=False, id="session.quit"),
    ]

    def __init__(self, workspace: Any, session_id: str) -> None:
        super().__init__()
        self.workspace = workspace
        self.session_id = session_id
        self.stored = workspace.curation.get(session_id)
        self.working: dict[str, Any] = copy.deepcopy(self.stored.session)
        self.problems: list[str] = list(self.stored.reasons)
        self.undo_stack: list[dict[str, Any]] = []
        self.action_name = "edit"
        self._typing = False
        self._last_error = ""
        self._shown_header: Any = None

    @property
    def dirty(self) -> bool:
        return self.working != self.stored.session

    def compose(self) -> ComposeResult:
        yield SessionHeader("", id="header")
        yield ChatView(id="chat")
        yield Footer(show_command_palette=False, compact=True)

    async def on_mount(self) -> None:
        await self._refresh_view()
        self.query_one(ChatView).focus()
        self.call_after_refresh(self._warm)
        draft = self.workspace.curation.draft(self.session_id)
        if draft is not None:
            self.app.push_screen(ChoiceScreen(
                f"{self.session_id} has unsaved edits kept as a draft ({draft.at}).",
                [("r", "Resume the draft"), ("d", "Discard it")]), self._draft_chosen)

    def _warm(self) -> None:
        """Build the composer once the session is on screen, so the first keystroke does not wait."""
        try:
            self.workspace.composer()
        except TwinchatError as exc:
            self._last_error = str(exc)
            self.notify(f"{exc} (v retries)", title="Cannot verify", severity="error", timeout=10)

    async def _draft_chosen(self, choice: str | None) -> None:
        draft = self.workspace.curation.draft(self.session_id)
        if draft is None:
            return
        if choice != "d":  # Escape keeps the draft too: nothing is thrown away without asking
            self.working = draft.session
            self.problems = self.verify(self.working)
            await self._refresh_view()
        elif self._write(self.workspace.curation.drop_draft, self.session_id) is not _FAILED:
            self.notify("draft discarded")

    # -- state -----------------------------------------------------------------------------
    def _composer(self, seed: int = 0) -> Any:
        return self.workspace.composer(seed)

    def verify(self, session: dict[str, Any], *, retry: bool = False) -> list[str]:
        """The session's problems; a composer that cannot be built (a broken unit file) is one problem."""
        try:
            return self.workspace.composer(retry=retry).verify(session)
        except TwinchatError as exc:
            if str(exc) != self._last_error:
                self._last_error = str(exc)
                self.notify(f"{exc} (v retries)", title="Cannot verify", severity="error", timeout=10)
            return [f"cannot verify: {exc}"]

    def _header(self) -> None:
        state = "● unsaved (kept as a draft)" if self.dirty else ""
        regenerated = self.working.get("regenerated")
        if regenerated:
            state += f"  regenerated with seed {regenerated['seed']}"
        text = header_text(self.working, self.problems, state.strip())
        if text != self._shown_header:
            self._shown_header = text
            self.query_one("#header", SessionHeader).update(text)

    async def _refresh_view(self) -> None:
        self._header()
        await self.query_one(ChatView).show(self.working, self.problems)

    def _write(self, write: Any, *args: Any) -> Any:
        """Call a write of the curation store; a failure (a locked database…) is said, and gives _FAILED."""
        try:
            return write(*args)
        except TwinchatError as exc:
            if str(exc) != self._last_error:
                self._last_error = str(exc)
                self.notify(str(exc), title="Not written", severity="error", timeout=10)
            return _FAILED

    def _keep(self) -> None:
        """Write the working copy as the draft (or drop the draft once it equals the saved session)."""
        if self.dirty:
            self._write(self.workspace.curation.put_draft, self.working)
        else:
            self._write(self.workspace.curation.drop_draft, self.session_id)

    async def change(self, session: dict[str, Any], *, action: str | None = None) -> None:
        """Make ``session`` the working copy: undoable, re-verified, kept as the draft, shown."""
        self.undo_stack.append(self.working)
        self.working = session
        if action:
            self.action_name = action
        self.problems = self.verify(session)
        self._keep()
        await self._refresh_view()

    def _fixed(self, fix: edit.Fix) -> bool:
        for note in fix.notes:
            self.notify(note, severity="warning", timeout=6)
        if not fix.changed:
            if not fix.notes:
                self.notify("nothing to change")
            return False
        self.notify("changed " + "; ".join(fix.changed))
        return True

    # -- moving and editing ----------------------------------------------------------------
    def action_fold(self) -> None:
        view = self.query_one(ChatView).current_view
        if view is not None and view.kind == "tool":
            view.expanded = not view.expanded

    def action_edit(self, field: str) -> None:
        view = self.query_one(ChatView).current_view
        if view is None:
            return
        if view.kind == "tool":
            self.notify("a tool result comes from the tool: t re-runs the tools", severity="warning")
        elif field == "label" and view.kind != "user":
            self.notify("only customer turns have a label", severity="warning")
        else:
            self._typing = False
            view.start_edit(field)

    @on(TurnView.Edited)
    def _edited(self, event: TurnView.Edited) -> None:
        if event.field == "text":
            session = edit.set_text(self.working, event.number, event.value)
        else:
            try:
                label = json.loads(event.value)
            except json.JSONDecodeError as exc:
                event.view.problems = [f"label: not JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"]
                return
            if not isinstance(label, dict):
                event.view.problems = ["label: must be a JSON object"]
                return
            session = edit.set_label(self.working, event.number, label)
        if not self._typing:
            self.undo_stack.append(self.working)
            self._typing = True
        self.working = session
        self.problems = self.verify(session)
        self._keep()
        self._header()
        chat = self.query_one(ChatView)
        chat.session = session
        chat.set_problems(self.problems)

    @on(TurnView.EditClosed)
    async def _edit_closed(self) -> None:
        self._typing = False
        await self._refresh_view()
        self.query_one(ChatView).focus()

    # -- fixes -----------------------------------------------------------------------------
    def _current(self, kind: str) -> int | None:
        """The turn of ``kind`` (user or reply) that the current bubble belongs to."""
        chat = self.query_one(ChatView)
        view = chat.current_view
        if view is None:
            return None
        turns = self.working["turns"]
        n = view.number
        if kind == "user":
            while n > 1 and turns[n - 1].get("role") != "user":
                n -= 1
            return n if turns[n - 1].get("role") == "user" else None
        while n <= len(turns):
            turn = turns[n - 1]
            if turn.get("role") == "assistant" and not turn.get("tool_calls") and "outcome" in turn:
                return n
            if n > view.number and turn.get("role") == "user":
                break
            n += 1
        return None

    async def _run(self, make: Any, action: str | None = None) -> None:
        try:
            fix = make()
        except TwinchatError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            return
        if self._fixed(fix):
            await self.change(fix.session, action=action)

    async def action_reextract(self) -> None:
        n = self._current("user")
        if n is None:
            self.notify("no customer turn here", severity="warning")
            return
        await self._run(lambda: edit.reextract(self._composer(), self.working, n))

    async def action_rerun(self) -> None:
        await self._run(lambda: edit.rerun_tools(self._composer(), self.working))

    async def action_rerender(self) -> None:
        n = self._current("reply")
        if n is None:
            self.notify("no reply here", severity="warning")
            return
        await self._run(lambda: edit.rerender(self._composer(), self.working, n))

    async def action_fix_all(self) -> None:
        await self._run(lambda: edit.fix_all(self._composer(), self.working, self.stored.session))

    def action_verify(self) -> None:
        self._last_error = ""
        self.problems = self.verify(self.working, retry=True)
        self._header()
        self.query_one(ChatView).set_problems(self.problems)
        self.notify("verified" if not self.problems else f"{len(self.problems)} problems",
                    severity="information" if not self.problems else "warning")

    def action_regenerate(self) -> None:
        flow = self.working["flow"]
        self.app.push_screen(PromptScreen(f"Regenerate {self.session_id} (its flow and index) with seed:",
                                          str(self.workspace.free_seed(flow)), number=True), self._regenerate)

    async def _regenerate(self, value: str | None) -> None:
        if value is None:
            return
        seed = int(value)
        same = f"{self.working['flow']}/{seed}/{self.working['index']}"
        if self.workspace.curation.store.get(same) is not None:
            self.notify(f"{same} is stored already: seed {seed} would duplicate it; pick a seed no run used",
                        severity="error", timeout=8)
            return
        try:
            fresh = edit.regenerate(self._composer(seed), self.working)
        except TwinchatError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            return
        await self.change(fresh, action="regenerate")
        self.notify(f"regenerated with seed {seed}: {len(fresh['turns'])} turns (ctrl+s saves)")

    async def action_undo(self) -> None:
        if not self.undo_stack:
            self.notify("nothing to undo", severity="warning")
            return
        self.working = self.undo_stack.pop()
        self.problems = self.verify(self.working) if self.dirty else list(self.stored.reasons)
        self._keep()
        await self._refresh_view()

    # -- saving, history, leaving ----------------------------------------------------------
    def action_save(self) -> bool:
        if not self.dirty:
            self.notify("no unsaved edits")
            return False
        try:
            reasons = self._composer().verify(self.working)
        except TwinchatError as exc:
            self.notify(f"not saved: the session cannot be verified ({exc})", severity="error", timeout=10)
            return False
        summary = edit.summarize(self.stored.session, self.working)
        if self._write(lambda: self.workspace.curation.save(self.working, reasons, action=self.action_name,
                                                           summary=summary)) is _FAILED:
            return False
        self.stored = self.workspace.curation.get(self.session_id)
        self.working = copy.deepcopy(self.stored.session)
        self.problems = list(reasons)
        self.action_name = "edit"
        self._header()
        verdict = "verified" if not reasons else f"failed: {len(reasons)} problems"
        self.notify(f"saved {self.session_id} ({verdict}): {summary}", title="Saved")
        return True

    def action_history(self) -> None:
        from twinchat.tui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.workspace.curation.history(self.session_id)), self._revert)

    async def _revert(self, edit_id: int | None) -> None:
        if edit_id is None:
            return
        if self.dirty:
            self.notify("save or undo your edits before reverting", severity="error")
            return
        done = self._write(self.workspace.curation.revert, edit_id)
        if done is _FAILED:
            return
        self.stored = self.workspace.curation.get(self.session_id)
        self.working = copy.deepcopy(self.stored.session)
        self.problems = list(self.stored.reasons)
        self.undo_stack.clear()
        await self._refresh_view()
        self.notify(done.summary, title="Reverted")

    def action_delete(self) -> None:
        done = self._write(self.workspace.curation.delete, self.session_id)
        if done is _FAILED:
            return
        self.workspace.deleted.append(done.id)
        self.notify(f"deleted {self.session_id} — u in the list undoes", title="Delete")
        self.dismiss("deleted")

    def action_back(self) -> None:
        self.leave(lambda: self.dismiss(None))

    def leave(self, then: Any) -> None:
        """Call ``then`` once the unsaved edits (if any) are saved, kept as a draft or discarded."""
        if not self.dirty:
            then()
            return

        def chosen(choice: str | None) -> None:
            if choice == "s" and self.action_save():
                then()
            elif choice == "k" and self._write(self.workspace.curation.put_draft, self.working) is not _FAILED:
                then()
            elif choice == "d" and self._write(self.workspace.curation.drop_draft, self.session_id) is not _FAILED:
                then()

        self.app.push_screen(ChoiceScreen(f"{self.session_id} has unsaved edits.",
                                          [("s", "Save"), ("k", "Keep as a draft"), ("d", "Discard"),
                                           ("escape", "Stay")]), chosen)
