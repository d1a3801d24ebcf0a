"""Every key binding of the app, by screen, read from the bindings themselves (so it cannot drift)."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from twinchat.tui.screens.browse import BrowseScreen
from twinchat.tui.screens.session import SessionScreen
from twinchat.tui.widgets.chat import ChatView
from twinchat.tui.widgets.session_list import SessionList
from twinchat.tui.widgets.turn import TurnEditor

__all__ = ["HelpScreen", "sections"]


def sections(app: type[App[Any]]) -> list[tuple[str, list[Binding]]]:
    """(title, bindings) for each part of ``app`` (the app's class: its own bindings come first)."""
    def of(*owners: type) -> list[Binding]:
        return [b for owner in owners for b in owner.BINDINGS if isinstance(b, Binding)]

    return [
        ("Everywhere", of(app)),
        ("Session list", of(BrowseScreen, SessionList)),
        ("Session", of(SessionScreen, ChatView)),
        ("Editing a turn in place", of(TurnEditor)),
    ]


class HelpScreen(ModalScreen[None]):
    """The key bindings; Escape (or ?) closes."""

    CSS_PATH = "modal.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help"):
            yield Static("Keys — Escape closes", classes="question")
            with VerticalScroll(id="help-body"):
                yield Static("While editing a turn, the usual text keys work too (ctrl+z undo, f7 select all).",
                             classes="hint")
                for title, bindings in sections(type(self.app)):
                    table = Table(title=title, title_justify="left", show_header=False, box=None, expand=True,
                                  padding=(0, 1))
                    table.add_column("key", style="bold", no_wrap=True, width=12)
                    table.add_column("does", ratio=1)
                    table.add_column("id", style="dim", no_wrap=True)
                    for binding in bindings:
                        keys = ", ".join(self.app.get_key_display(binding.with_key(k)) for k in binding.key.split(","))
                        does = binding.description + (f" — {binding.tooltip}" if binding.tooltip else "")
                        table.add_row(keys, does, binding.id or "")
                    yield Static(table)

    def action_close(self) -> None:
        self.dismiss(None)
