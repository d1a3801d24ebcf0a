"""A session as a chat: a header (id, clock, persona, verdict) and one bubble per step.

Problems (``turn N: reason``) are shown on the bubble holding turn N; problems about the whole
session in the header. The current bubble (moved with the arrow keys) is the one edits apply to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.events import Click
from textual.reactive import reactive
from textual.widgets import Static

from twinchat.composer.verify.reasons import turn_problems
from twinchat.tui.widgets.turn import TurnView, group_turns

__all__ = ["ChatView", "SessionHeader", "header_text"]

_WEEKDAYS = "一二三四五六日"


def header_text(session: dict[str, Any], problems: list[str], state: str = "") -> Text:
    """The header lines: id, flow and clock (with its weekday); the customer; the verdict."""
    out = Text()
    out.append(session["id"], style="bold")
    out.append(f"  {session['flow']}  ")
    try:
        now = datetime.fromisoformat(session["now"])  # the store's "YYYY-MM-DD HH:MM:SS"
        out.append(f"{now:%Y-%m-%d %H:%M} 周{_WEEKDAYS[now.weekday()]}")
    except (KeyError, ValueError):
        out.append(str(session.get("now")))
    customer = session.get("customer") or {}
    out.append(f"\n{customer.get('name', '-')} ({customer.get('title', '-')})  {customer.get('phone', '-')}  "
               f"{customer.get('address', '-')}", style="dim")
    out.append("\n")
    if problems:
        out.append(f"✗ failed: {len(problems)} problem{'s' if len(problems) > 1 else ''}", style="bold red")
        whole = turn_problems(problems).get(0, [])
        if whole:
            out.append(" — " + "; ".join(whole), style="red")
    else:
        out.append("✓ verified", style="bold green")
    if state:
        out.append(f"  {state}", style="bold yellow")
    return out


class SessionHeader(Static):
    """The session's header line (see :func:`header_text`)."""


class ChatView(VerticalScroll, can_focus=True):
    """The bubbles of one session; ``current`` is the index of the highlighted bubble."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Previous turn", show=False, id="chat.previous"),
        Binding("down,j", "move(1)", "Next turn", show=False, id="chat.next"),
    ]

    current: reactive[int] = reactive(0)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.session: dict[str, Any] | None = None
        self._shape: list[tuple[str, list[int]]] = []

    @property
    def views(self) -> list[TurnView]:
        return list(self.query(TurnView))

    @property
    def current_view(self) -> TurnView | None:
        views = self.views
        return views[self.current] if 0 <= self.current < len(views) else None

    async def show(self, session: dict[str, Any] | None, problems: list[str]) -> None:
        """Show ``session``: bubbles are updated in place when the turns keep their shape, rebuilt otherwise."""
        self.session = session
        shape = group_turns(session["turns"]) if session else []
        if session is not None and shape == self._shape and self.views:
            for view, (_, numbers) in zip(self.views, shape):
                view.set_turns([session["turns"][n - 1] for n in numbers])
        else:
            self._shape = shape
            await self.remove_children()
            if session is not None:
                await self.mount_all([TurnView(kind, numbers, [session["turns"][n - 1] for n in numbers])
                                      for kind, numbers in shape])
            self.current = min(self.current, max(0, len(shape) - 1))
        self.set_problems(problems)
        self._mark()

    def set_problems(self, problems: list[str]) -> None:
        by_turn = turn_problems(problems)
        for view in self.views:
            view.problems = [f"turn {n}: {p}" if len(view.numbers) > 1 else p
                             for n in view.numbers for p in by_turn.get(n, [])]

    def action_move(self, delta: int) -> None:
        self.current = max(0, min(self.current + delta, len(self._shape) - 1))

    def on_click(self, event: Click) -> None:
        widget = event.widget
        while widget is not None and not isinstance(widget, TurnView):
            widget = widget.parent  # type: ignore[assignment]
        if widget is not None and widget in self.views:
            self.current = self.views.index(widget)

    def watch_current(self) -> None:
        self._mark()
        view = self.current_view
        if view is not None:
            self.scroll_to_widget(view, animate=False)

    def _mark(self) -> None:
        for i, view in enumerate(self.views):
            view.set_class(i == self.current, "-current")

    def select_turn(self, number: int) -> None:
        """Highlight the bubble holding turn ``number``."""
        for i, (_, numbers) in enumerate(self._shape):
            if number in numbers:
                self.current = i
                return
