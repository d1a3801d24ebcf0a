"""A session's edit history: what each save changed, and Enter to revert to before it."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from twinchat.composer.store.curate import Edit
from twinchat.composer.store.edit import changes

__all__ = ["HistoryScreen", "describe"]


def describe(entry: Edit) -> Text:
    """The texts an edit changed, before → after (turn by turn)."""
    out = Text()
    out.append(f"#{entry.id} {entry.action} at {entry.at}\n", style="bold")
    before = (entry.before or {}).get("session") or {"turns": []}
    after = (entry.after or {}).get("session") or {"turns": []}
    items = changes(before, after) if entry.before and entry.after else [entry.summary]
    for item in items:
        out.append(f"• {item}\n")
    for n, (a, b) in enumerate(zip(before.get("turns", []), after.get("turns", [])), 1):
        if a.get("content") != b.get("content") and isinstance(a.get("content"), str):
            out.append(f"turn {n}: ", style="bold")
            out.append(f"{a.get('content')}\n", style="red")
            out.append(f"     → {b.get('content')}\n", style="green")
    return out


class HistoryScreen(ModalScreen[int | None]):
    """Returns the id of the edit to revert (the session goes back to before it), or None."""

    CSS_PATH = "modal.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close", id="history.close"),
    ]

    def __init__(self, edits: list[Edit]) -> None:
        super().__init__()
        self.edits = edits

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="history"):
            title = "Edit history — Enter reverts to before the highlighted edit, Escape closes"
            yield Static(title if self.edits else "No saved edits yet (Escape closes)", classes="question")
            yield OptionList(*[Option(f"#{e.id} {e.at} {e.action}: {e.summary}", id=str(e.id)) for e in self.edits],
                             id="edits")
            with VerticalScroll(id="detail-box"):
                yield Static(describe(self.edits[0]) if self.edits else "", id="detail", markup=False)

    @on(OptionList.OptionHighlighted, "#edits")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        entry = self.edits[event.option_index]
        self.query_one("#detail", Static).update(describe(entry))

    @on(OptionList.OptionSelected, "#edits")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.edits[event.option_index].id)

    def action_cancel(self) -> None:
        self.dismiss(None)
