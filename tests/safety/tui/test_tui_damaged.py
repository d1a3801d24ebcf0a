"""The TUI on a damaged store: a damaged row is listed as damaged and says why instead of opening,
the app goes on (no crash screen) and leaves the file as it was; a store whose pages are damaged is
one line and exit 1 before the screen is taken. One damage per case."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from tuikit import make_app, settle

from twinchat.tui.screens.browse import BrowseScreen
from twinchat.tui.widgets.chat import SessionHeader
from twinchat.tui.widgets.session_list import SessionList

SID = "memory_upgrade/0/1"  # the second row (id order)
#: case → (the SQL value that damages SID's column, the column, what the preview and the notice say)
CASES = {
    "turns_not_json": ("'{\"ro'", "turns", "turns is not JSON (Unterminated string starting at: line 1 column 2 "
                                           "(char 1))"),
    "reasons_not_json": ("'oops'", "reasons", "reasons is not JSON (Expecting value: line 1 column 1 (char 0))"),
    "reasons_not_a_list": ("'42'", "reasons", "reasons is not a JSON list"),
    "customer_not_utf8": ("CAST(x'ff00fe' AS TEXT)", "customer",
                          "Could not decode to UTF-8 column 'customer' with text '\ufffd'"),
}


def _sessions(db) -> list[tuple[bytes, ...]]:
    """Every stored session row, as bytes (the damaged ones too)."""
    conn = sqlite3.connect(db)
    conn.text_factory = bytes
    try:
        return conn.execute("SELECT * FROM sessions ORDER BY id").fetchall()
    finally:
        conn.close()


def _damage(db, value: str, column: str) -> list[tuple[bytes, ...]]:
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(f"UPDATE sessions SET {column} = {value} WHERE id = ?", (SID,))
    conn.close()
    return _sessions(db)


@pytest.mark.parametrize("case", sorted(CASES))
async def test_a_damaged_row_is_shown_as_damaged_and_not_opened(store, case):
    value, column, says = CASES[case]
    before = _damage(store, value, column)
    problem = f"session {SID}: damaged row: {says}"
    app = make_app(store)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        rows = app.screen.query_one(SessionList)
        assert rows.rows.row(1).id == SID
        listed = rows.render_line(2).text  # the header, then row 0, then SID's row
        assert SID in listed
        assert ("damaged" in listed) == column.startswith("reasons")  # the list reads reasons, not the other columns
        await pilot.press("j")
        await settle(pilot)
        assert rows.highlighted.id == SID
        assert str(app.screen.query_one("#preview-header", SessionHeader).render()) == problem
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BrowseScreen)  # not opened, and no crash screen
        assert [n.message for n in app._notifications] == [problem]
        await pilot.press("j")  # the next row opens as ever
        await settle(pilot)
        await pilot.press("q")
    assert app.return_code in (None, 0)
    assert _sessions(store) == before  # the damaged row kept as it was, for the user to delete or restore


def test_a_store_with_damaged_pages_is_one_line_and_exit_1(store):
    data = bytearray(store.read_bytes())
    data[4096 * 3:4096 * 7] = b"\xff" * 4096 * 4
    store.write_bytes(bytes(data))
    code = "import sys; from twinchat.composer.cli import main; sys.argv[0] = 'twinchat'; main()"
    done = subprocess.run([sys.executable, "-c", code, "tui", "--db", store.name], cwd=store.parent,
                          capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == ("Error: store.db: damaged database (Page 4: btreeInitPage() returns error code 11); "
                           "restore it from a copy\n")
    assert store.read_bytes() == bytes(data)
