"""Undone writes commit nothing: a writing tool run in a scratch transaction leaves no commit
(and so no disk sync) behind, and inside an open transaction it is a savepoint."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime

import pytest

from twinchat.inventory import open_world
from twinchat.inventory.connection import scratch
from twinchat.inventory.tools import call

NOW = datetime(2026, 11, 20, 14, 30)


@pytest.fixture()
def own_world(world_path, tmp_path):
    """A private copy of the session's world (these tests write to it)."""
    path = tmp_path / "world.db"
    shutil.copy(world_path, path)
    return path


def _ticket(conn: sqlite3.Connection) -> dict:
    slot = call(conn, "query_technician_slots", {"category": "charging_pile", "city": "深圳市"}, NOW)["slots"][0]
    return call(conn, "create_ticket", {
        "user_name": "王先生", "phone": "13800138000", "address": "深圳市南山区科技园1号",
        "category": "charging_pile", "problem": "充电桩不启动", "serve_time": slot["start"],
        "technician_id": slot["technician_id"]}, NOW)


def _data_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA data_version").fetchone()[0]


def test_scratch_writes_are_undone_without_a_commit(own_world):
    conn = open_world(own_world)
    watcher = sqlite3.connect(own_world)  # PRAGMA data_version moves when another connection commits
    before = _data_version(watcher)
    with scratch(conn, "twinchat_test"):
        assert "ticket_no" in _ticket(conn)
        assert conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == 0
    assert not conn.in_transaction
    assert _data_version(watcher) == before


def test_a_released_savepoint_would_commit(own_world):
    """What scratch avoids: the old savepoint-only undo commits a write transaction."""
    conn = open_world(own_world)
    watcher = sqlite3.connect(own_world)
    before = _data_version(watcher)
    conn.execute("SAVEPOINT old")
    _ticket(conn)
    conn.execute("ROLLBACK TO old")
    conn.execute("RELEASE old")
    assert conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == 0
    assert _data_version(watcher) != before


def test_inside_a_transaction_scratch_is_a_savepoint(own_world):
    conn = open_world(own_world)
    conn.execute("BEGIN")
    conn.execute("DELETE FROM tickets")
    with scratch(conn, "twinchat_test"):
        _ticket(conn)
    assert conn.in_transaction  # the outer transaction (a session's writes) is still open
    conn.rollback()


def test_generate_with_a_writing_tool_commits_nothing(own_world, tmp_path):
    from click.testing import CliRunner

    from twinchat.composer.cli.commands import cli

    watcher = sqlite3.connect(own_world)
    before = _data_version(watcher)
    done = CliRunner().invoke(cli, ["generate", "ticket_create_call", "-n", "40", "--seed", "3",
                                    "--db", str(own_world), "-o", str(tmp_path / "out.jsonl")])
    assert done.exit_code == 0, done.output
    assert len((tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()) == 40
    assert _data_version(watcher) == before
