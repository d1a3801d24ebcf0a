"""The twinchat app: a session browser and editor over one database (``twinchat tui``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from twinchat.tui.workspace import Workspace

__all__ = ["TwinchatApp", "run_tui"]


class TwinchatApp(App[None]):
    """Browse, read, edit, re-verify and export the sessions stored in ``db``.

    ``clock()`` stamps drafts and the edit history (tests pass a fixed one).
    """

    TITLE = "twinchat"
    CSS_PATH: ClassVar[list[str]] = ["app.tcss", "widgets/chat.tcss"]
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (110, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(self, db: str | Path, units_dirs: Sequence[str] = (), *,
                 clock: Callable[[], str] | None = None) -> None:
        super().__init__()
        self.workspace = Workspace(db, units_dirs, clock=clock)

    def on_mount(self) -> None:
        from twinchat.tui.screens.browse import BrowseScreen

        self.push_screen(BrowseScreen(self.workspace))

    def on_unmount(self) -> None:
        self.workspace.close()

    def action_help(self) -> None:
        from twinchat.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        """Quit; unsaved edits of an open session are first saved, kept as a draft or discarded."""
        from twinchat.tui.screens.session import SessionScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, SessionScreen) and screen.dirty:
                screen.leave(self.exit)
                return
        self.exit()


def run_tui(db: str | Path, units_dirs: Sequence[str] = ()) -> None:
    """Open the app on ``db`` (a TuiError, before the screen is taken, if it cannot be opened)."""
    TwinchatApp(db, units_dirs).run()
