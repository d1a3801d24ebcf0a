"""Export the sessions of the current filter, with the options of ``twinchat export``.

The sessions exported are exactly those the list shows: their ids are read with the list's own
query (:func:`~twinchat.composer.store.curate.session_ids`, search in user and assistant text included).
"""

from __future__ import annotations

import sqlite3

from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from twinchat.composer.export.formats import format_names
from twinchat.composer.store.curate import Filters, session_ids
from twinchat.units.errors import TwinchatError

__all__ = ["ExportScreen", "summary"]


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def summary(report: Any) -> str:
    """An export report in a few lines: what was written where, and what was left out."""
    records = getattr(report, "records", {}) or {}
    sessions = getattr(report, "sessions", {}) or {}
    lines = [f"exported {_n(sum(records.values()), 'record')} from {_n(getattr(report, 'read', 0), 'session')} "
             f"into {getattr(report, 'out_dir', '?')} ({getattr(report, 'seconds', 0.0):.1f}s)"]
    if records:
        lines.append("per split: " + ", ".join(f"{k} {_n(records[k], 'record')} / {_n(sessions.get(k, 0), 'session')}"
                                               for k in records))
    for name, label in (("failed_excluded", "failed, left out"), ("failed_included", "failed, kept flagged")):
        if getattr(report, name, 0):
            lines.append(f"{label}: {getattr(report, name):,}")
    for name in ("duplicates", "rejected"):
        counts = getattr(report, name, None)
        if counts:
            lines.append(f"{name}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    files = getattr(report, "files", [])
    if files:
        lines.append("files: " + ", ".join(str(f) for f in files))
    return "\n".join(lines)


class ExportScreen(ModalScreen[None]):
    """The export options; Export runs it in the background and shows the report here."""

    CSS_PATH = "modal.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="export.close"),
        # priority: the Input fields bind ctrl+e (go to end) and would swallow it
        Binding("ctrl+e", "export", "Export", id="export.run", priority=True),
    ]

    def __init__(self, workspace: Any, filters: Filters) -> None:
        super().__init__()
        self.workspace = workspace
        self.filters = filters

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="export"):
            yield Label(f"Export {self.filters.describe()}", classes="question")
            with Horizontal(classes="field -compact"):
                yield Label("Format", classes="name -compact")
                yield Select([(f, f) for f in format_names()], value="openai", allow_blank=False, id="format",
                             compact=True)
            with Horizontal(classes="field -compact"):
                yield Label("Into", classes="name -compact")
                yield Input(str(Path(self.workspace.db).with_name("export")), id="out", compact=True)
            with Horizontal(classes="field -compact"):
                yield Label("Split", classes="name -compact")
                yield Input("0.9,0.05,0.05", id="split", compact=True)
            with Horizontal(classes="field -compact"):
                yield Label("Seed", classes="name -compact")
                yield Input("0", type="integer", id="seed", compact=True)
            with Horizontal(classes="checks"):
                yield Checkbox("hold out templates", id="holdout", compact=True)
                yield Checkbox("include failed", id="include-failed", compact=True)
                yield Checkbox("replace", id="force", compact=True)
            with Horizontal(classes="buttons"):
                yield Button(Content("Export [^e]"), id="run", variant="primary", compact=True)
                yield Button(Content("Close [esc]"), id="close", compact=True)
            with VerticalScroll(id="result-box"):
                yield Static("", id="result", markup=False)

    @on(Button.Pressed, "#run")
    def action_export(self) -> None:
        split = self.query_one("#split", Input).value.strip()
        seed = self.query_one("#seed", Input).value.strip() or "0"
        if not seed.lstrip("-").isdigit():
            self._show(f"seed must be a whole number (got {seed!r})", True)
            return
        options = dict(
            split=split, holdout_templates=self.query_one("#holdout", Checkbox).value,
            force=self.query_one("#force", Checkbox).value, seed=int(seed),
            include_failed=self.query_one("#include-failed", Checkbox).value, units_dirs=self.workspace.units_dirs)
        fmt = str(self.query_one("#format", Select).value)
        out = self.query_one("#out", Input).value.strip()
        self._show(f"exporting {fmt} into {out}…")
        self.query_one("#run", Button).disabled = True
        self._export(fmt, out, options)

    @work(exclusive=True, thread=True, group="export")
    def _export(self, fmt: str, out: str, options: dict[str, Any]) -> None:
        from twinchat.composer.export.pipeline import ExportOptions, OutputExists, export_sessions

        try:
            ids = self._selected()
            if ids == []:
                self.app.call_from_thread(self._show, f"no session matches {self.filters.describe()}", True)
                return
            report = export_sessions(self.workspace.db, fmt, out, ExportOptions(**options, ids=ids),
                                     progress=self._progress)
        except OutputExists as exc:
            self.app.call_from_thread(self._show, f'{exc.path}: already exists; tick "replace" to replace it', True)
            return
        except (TwinchatError, OSError, sqlite3.Error) as exc:  # shown in the modal, never a crash
            self.app.call_from_thread(self._show, str(exc), True)
            return
        self.app.call_from_thread(self._show, summary(report))

    def _selected(self) -> list[str] | None:
        """The ids of the sessions the list shows (the list's own query), or None for all of them."""
        if not self.filters.active():
            return None
        conn = self.workspace.connect()
        try:
            return list(session_ids(conn, self.filters))
        finally:
            conn.close()

    def _progress(self, done: int, total: int) -> None:
        result = self.query_one("#result", Static)
        self.app.call_from_thread(result.update, f"exporting… {done:,} of {total:,} sessions")

    def _show(self, text: str, error: bool = False) -> None:
        result = self.query_one("#result", Static)
        result.update(text)
        result.set_class(error, "-error")
        self.query_one("#run", Button).disabled = False

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)
