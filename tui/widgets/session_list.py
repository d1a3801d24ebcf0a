"""A virtual list of sessions: only the rows on screen are read, a page at a time.

The list knows how many rows there are and a ``fetch(offset, after, limit)`` function; it renders
lines with the Line API and keeps at most :data:`KEEP_PAGES` pages in memory. A page following one
already read is fetched by keyset (after the last row's sort key); a jump (End, a scrollbar drag)
by offset. So a store of 100,000 sessions opens as fast as one of 100.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from twinchat.composer.store.curate import ListRow

__all__ = ["SessionList", "RowCache", "Fetch", "PAGE", "KEEP_PAGES"]

#: Rows per page read from the database, and pages kept in memory.
PAGE = 100
KEEP_PAGES = 40

Fetch = Callable[[int, Sequence[Any] | None, int], list[ListRow]]

#: (title, width; 0 = the rest) of each column.
_COLUMNS = (("", 1), ("id", 0), ("flow", 15), ("turns", 5), ("outcome", 16), ("status", 9))


class RowCache:
    """Rows ``0 … total-1`` of a listing, read through ``fetch`` a page at a time."""

    def __init__(self, fetch: Fetch, total: int, first: list[ListRow] | None = None, *, page: int = PAGE) -> None:
        self.fetch = fetch
        self.total = total
        self.page = page
        self.pages: OrderedDict[int, list[ListRow]] = OrderedDict()
        #: how many pages were read from the database (by keyset, by offset)
        self.reads = {"keyset": 0, "offset": 0}
        if first is not None:
            self.pages[0] = first

    def row(self, index: int) -> ListRow | None:
        if not 0 <= index < self.total:
            return None
        number, at = divmod(index, self.page)
        page = self.pages.get(number)
        if page is None:
            page = self._read(number)
        else:
            self.pages.move_to_end(number)
        return page[at] if at < len(page) else None

    def _read(self, number: int) -> list[ListRow]:
        size = self.page
        before = self.pages.get(number - 1)
        if before is not None and len(before) == size:
            page = self.fetch(number * size, before[-1].key, size)
            self.reads["keyset"] += 1
        else:
            page = self.fetch(number * size, None, size)
            self.reads["offset"] += 1
        self.pages[number] = page
        while len(self.pages) > KEEP_PAGES:
            self.pages.popitem(last=False)
        return page

    def index_of(self, session_id: str) -> int | None:
        """Where a session is among the pages in memory (None if not read)."""
        for number, page in self.pages.items():
            for at, row in enumerate(page):
                if row.id == session_id:
                    return number * self.page + at
        return None


def _widths(width: int) -> list[int]:
    fixed = sum(w for _, w in _COLUMNS) + len(_COLUMNS) - 1
    return [w or max(8, width - fixed) for _, w in _COLUMNS]


def _cells(values: Sequence[str], width: int) -> str:
    out = []
    for value, w in zip(values, _widths(width)):
        out.append(value[:w - 1] + "…" if len(value) > w else value.ljust(w))
    return " ".join(out)


class SessionList(ScrollView, can_focus=True):
    """The session list: a header line, then one line per session; Enter opens the highlighted one."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "session-list--header", "session-list--cursor", "session-list--failed", "session-list--draft",
    }
    DEFAULT_CSS = """
    SessionList { height: 1fr; }
    SessionList > .session-list--header { text-style: bold; background: $panel; }
    SessionList > .session-list--cursor { background: $block-cursor-blurred-background; }
    SessionList:focus > .session-list--cursor { background: $block-cursor-background; color: $block-cursor-foreground; }
    SessionList > .session-list--failed { color: $text-error; }
    SessionList > .session-list--draft { color: $text-warning; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False, id="list.up"),
        Binding("down,j", "move(1)", "Down", show=False, id="list.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="list.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="list.page_down"),
        Binding("home", "jump(0)", "First", show=False, id="list.first"),
        Binding("end", "jump(-1)", "Last", show=False, id="list.last"),
        Binding("enter", "select", "Open", id="list.open"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    @dataclass
    class Highlighted(Message):
        """The cursor moved to ``row`` (None when the list is empty)."""

        session_list: SessionList
        index: int
        row: ListRow | None

        @property
        def control(self) -> SessionList:
            return self.session_list

    @dataclass
    class Selected(Message):
        """Enter (or a click on the highlighted row) on ``row``."""

        session_list: SessionList
        index: int
        row: ListRow

        @property
        def control(self) -> SessionList:
            return self.session_list

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.rows = RowCache(lambda o, a, n: [], 0)

    # -- data ------------------------------------------------------------------------------
    def load(self, rows: RowCache, keep: str | None = None, *, top: bool = False) -> None:
        """Show ``rows``; the cursor goes to session ``keep`` if it is on the pages read, else to the
        first row (``top``) or stays where it was."""
        self.rows = rows
        self.virtual_size = Size(0, rows.total + 1)
        target = 0 if top else self.cursor
        if keep is not None:
            found = rows.index_of(keep)
            if found is not None:
                target = found
        self.cursor = max(0, min(target, rows.total - 1))
        self.refresh()

    @property
    def highlighted(self) -> ListRow | None:
        return self.rows.row(self.cursor)

    # -- cursor ----------------------------------------------------------------------------
    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, self.rows.total - 1)) if self.rows.total else 0

    def watch_cursor(self, value: int) -> None:
        body = max(1, self.scrollable_content_region.height - 1)
        if value < self.scroll_y:
            self.scroll_to(y=value, animate=False)
        elif value >= self.scroll_y + body:
            self.scroll_to(y=value - body + 1, animate=False)
        self.refresh()
        self.post_message(self.Highlighted(self, value, self.rows.row(value)))

    def action_move(self, delta: int) -> None:
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        self.cursor += direction * max(1, self.scrollable_content_region.height - 2)

    def action_jump(self, where: int) -> None:
        self.cursor = self.rows.total - 1 if where < 0 else where

    def action_select(self) -> None:
        row = self.highlighted
        if row is not None:
            self.post_message(self.Selected(self, self.cursor, row))

    def on_click(self, event: Click) -> None:
        if event.y < 1:
            return
        index = int(self.scroll_y) + event.y - 1
        if index < self.rows.total:
            if index == self.cursor and event.chain > 1:
                self.action_select()
            self.cursor = index

    # -- rendering ---------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            text = _cells([t for t, _ in _COLUMNS], width)
            style = base + self.get_component_rich_style("session-list--header")
            return Strip([Segment(text, style)]).crop_extend(0, width, style)
        index = int(self.scroll_y) + y - 1
        row = self.rows.row(index)
        if row is None:
            return Strip.blank(width, base)
        status = "damaged" if row.problems is None else row.status if row.status == "ok" \
            else f"{row.status} {row.problems}"
        values = ["✎" if row.draft else " ", row.id, row.flow, str(row.n_turns), row.outcome or "-", status]
        text = _cells(values, width)
        style: Style = base
        if row.status != "ok" or row.problems is None:
            style += self.get_component_rich_style("session-list--failed")
        if row.draft:
            style += self.get_component_rich_style("session-list--draft")
        if index == self.cursor:
            style += self.get_component_rich_style("session-list--cursor")
        return Strip([Segment(text, style)]).crop_extend(0, width, style)
