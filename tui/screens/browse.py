"""The main screen: the session list with search, filters and sort, and (when wide) a preview."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static
from textual.worker import get_current_worker

from twinchat.composer.store.curate import SORTS, Filters, count_sessions, list_page
from twinchat.tui.widgets.chat import ChatView, SessionHeader, header_text
from twinchat.tui.widgets.session_list import PAGE, RowCache, SessionList
from twinchat.units.errors import TwinchatError

__all__ = ["BrowseScreen"]


class BrowseScreen(Screen[None]):
    """Browse sessions: ``/`` search, ``f`` filter, ``s`` sort, Enter open, ``d`` delete, ``u`` undo."""

    CSS_PATH = "browse.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", id="browse.search"),
        Binding("f", "filters", "Filter", id="browse.filter"),
        Binding("c", "clear", "Clear filters", show=False, id="browse.clear"),
        Binding("s", "sort", "Sort", id="browse.sort"),
        Binding("r", "reverse", "Reverse", show=False, id="browse.reverse"),
        Binding("d", "delete", "Delete", id="browse.delete"),
        Binding("u", "undo", "Undo", id="browse.undo"),
        Binding("e", "export", "Export", id="browse.export"),
    ]

    filters: reactive[Filters] = reactive(Filters, init=False)
    sort: reactive[str] = reactive("id", init=False)
    descending: reactive[bool] = reactive(False, init=False)
    searching: reactive[bool] = reactive(False)

    def __init__(self, workspace: Any) -> None:
        super().__init__()
        self.workspace = workspace
        self._typing: Timer | None = None
        self._preview: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="/ search user and assistant text", id="search")
        yield Static("", id="status", markup=False)
        with Horizontal(id="main"):
            yield SessionList(id="sessions")
            with Vertical(id="preview"):
                yield SessionHeader("", id="preview-header")
                yield ChatView(id="preview-chat")
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        self.reload()
        self.query_one(SessionList).focus()

    # -- loading ---------------------------------------------------------------------------
    def reload(self, keep: str | None = None, *, top: bool = False) -> None:
        """Read the first page and the count again (after a filter, sort or write); see SessionList.load."""
        filters, sort, desc = self.filters, self.sort, self.descending
        curation = self.workspace.curation

        def fetch(offset: int, after: Any, limit: int) -> list[Any]:
            return curation.page(filters, sort, desc, offset=offset, after=after, limit=limit)

        if filters.text:
            self.searching = True
            self._search(filters, sort, desc, fetch, keep, top)
            return
        total = curation.count(filters)
        self._loaded(RowCache(fetch, total, fetch(0, None, PAGE)), keep, top)

    @work(exclusive=True, thread=True, group="search")
    def _search(self, filters: Filters, sort: str, desc: bool, fetch: Any, keep: str | None, top: bool) -> None:
        """Count and read the first page of a text search on a connection of this thread."""
        conn = self.workspace.connect()
        try:
            total = count_sessions(conn, filters)
            first = list_page(conn, filters, sort, desc, limit=PAGE)
        finally:
            conn.close()
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._loaded, RowCache(fetch, total, first), keep, top)

    def _loaded(self, rows: RowCache, keep: str | None, top: bool = False) -> None:
        self.searching = False
        self.query_one(SessionList).load(rows, keep, top=top)
        self._status()

    def _status(self) -> None:
        total = self.query_one(SessionList).rows.total
        arrow = "↓" if self.descending else "↑"
        busy = "  searching…" if self.searching else ""
        sessions = f"{total:,} session{'s' if total != 1 else ''}"
        self.query_one("#status", Static).update(
            f"{sessions} · {self.filters.describe()} · sort {self.sort} {arrow}{busy}")

    def watch_searching(self) -> None:
        if self.is_mounted:
            self._status()

    def watch_filters(self) -> None:
        self.reload(keep=self._current_id(), top=True)

    def watch_sort(self) -> None:
        try:
            self.workspace.curation.ensure_sort_index(self.sort)
        except TwinchatError as exc:  # a locked database: the sort still works, only slower
            self.notify(str(exc), severity="warning")
        self.reload(keep=self._current_id(), top=True)

    def watch_descending(self) -> None:
        self.reload(keep=self._current_id(), top=True)

    def _current_id(self) -> str | None:
        row = self.query_one(SessionList).highlighted
        return row.id if row else None

    # -- search ----------------------------------------------------------------------------
    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    @on(Input.Changed, "#search")
    def _typed(self, event: Input.Changed) -> None:
        if self._typing is not None:
            self._typing.stop()
        self._typing = self.set_timer(0.3, lambda: self._set_text(event.value))

    @on(Input.Submitted, "#search")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._typing is not None:
            self._typing.stop()
        self._set_text(event.value)
        self.query_one(SessionList).focus()

    def _set_text(self, text: str) -> None:
        value = text.strip() or None
        if value != self.filters.text:
            self.filters = Filters(**{**self.filters.active(), "text": value})

    def key_escape(self) -> None:
        if self.focused is self.query_one("#search", Input):
            self.query_one(SessionList).focus()

    # -- filters and sort ------------------------------------------------------------------
    def action_filters(self) -> None:
        from twinchat.tui.screens.filters import FilterScreen

        def chosen(filters: Filters | None) -> None:
            if filters is not None:
                self.filters = Filters(**{**filters.active(), "text": self.filters.text})

        self.app.push_screen(FilterScreen(self.filters, self.workspace.curation.options()), chosen)

    def action_clear(self) -> None:
        self.query_one("#search", Input).value = ""
        self.filters = Filters()

    def action_sort(self) -> None:
        names = list(SORTS)
        self.sort = names[(names.index(self.sort) + 1) % len(names)]

    def action_reverse(self) -> None:
        self.descending = not self.descending

    # -- list ------------------------------------------------------------------------------
    @on(SessionList.Highlighted)
    def _highlighted(self, event: SessionList.Highlighted) -> None:
        if self._preview is not None:
            self._preview.stop()
        if self.has_class("-wide"):
            self._preview = self.set_timer(0.05, lambda: self.run_worker(self._show_preview(event.row), exclusive=True,
                                                                          group="preview"))

    async def _show_preview(self, row: Any) -> None:
        chat = self.query_one("#preview-chat", ChatView)
        header = self.query_one("#preview-header", SessionHeader)
        try:
            stored = self.workspace.curation.store.get(row.id) if row is not None else None
        except TwinchatError as exc:  # a malformed session: say what is wrong instead of showing it
            header.update(str(exc))
            await chat.show(None, [])
            return
        if stored is None:
            header.update("")
            await chat.show(None, [])
            return
        header.update(header_text(stored.session, stored.reasons))
        await chat.show(stored.session, stored.reasons)

    @on(SessionList.Selected)
    def _open(self, event: SessionList.Selected) -> None:
        from twinchat.tui.screens.session import SessionScreen

        try:
            screen = SessionScreen(self.workspace, event.row.id)
        except TwinchatError as exc:  # a malformed session (d deletes it)
            self.notify(str(exc), title="Cannot open", severity="error", timeout=10)
            return
        self.app.push_screen(screen, lambda _: self.reload(keep=event.row.id))

    def action_delete(self) -> None:
        sessions = self.query_one(SessionList)
        row = sessions.highlighted
        if row is None:
            return
        try:
            edit = self.workspace.curation.delete(row.id)
        except TwinchatError as exc:
            self.notify(str(exc), title="Not deleted", severity="error", timeout=10)
            return
        self.workspace.deleted.append(edit.id)
        self.reload()
        self.notify(f"deleted {row.id} — u undoes", title="Delete")

    def action_undo(self) -> None:
        if not self.workspace.deleted:
            self.notify("nothing to undo", severity="warning")
            return
        try:
            edit = self.workspace.curation.restore(self.workspace.deleted[-1])
        except TwinchatError as exc:
            self.notify(str(exc), title="Not restored", severity="error", timeout=10)
            return
        self.workspace.deleted.pop()
        self.reload(keep=edit.session_id)
        self.notify(f"restored {edit.session_id}", title="Undo")

    # -- export ----------------------------------------------------------------------------
    def action_export(self) -> None:
        from twinchat.tui.screens.export import ExportScreen

        self.app.push_screen(ExportScreen(self.workspace, self.filters))
