"""Shared fixtures. Benchmarks under tests/bench/ run only with ``--bench``."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--bench",
        action="store_true",
        default=False,
        help="run the benchmarks in tests/bench/ (they print numbers; they never assert timings)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--bench"):
        return
    skip = pytest.mark.skip(reason="benchmark: run with `pytest tests/bench --bench -s`")
    for item in items:
        if "bench" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def world_path(tmp_path_factory: pytest.TempPathFactory):
    """One world built with seed 0 for the whole test session (read-only for tests)."""
    from twinchat.inventory import build_world

    return build_world(tmp_path_factory.mktemp("world") / "world.db", seed=0)


@pytest.fixture()
def world(world_path):
    """A connection to the session's world; whatever a test writes is rolled back."""
    from twinchat.inventory import open_world

    conn = open_world(world_path)
    conn.execute("BEGIN")
    yield conn
    conn.rollback()
    conn.close()


def dump(path) -> str:
    """The SQL dump of a database file (what `sqlite3 db .dump` prints): equal dumps, equal content."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


@pytest.fixture()
def sql_dump():
    """:func:`dump`, for tests that compare whole databases."""
    return dump


def _tables_dump(populates, tables, seed: int) -> str:
    """The SQL dump of ``tables`` in an in-memory world filled by ``populates`` (in order) with ``seed``:
    for tests of one area's tables without building the whole world."""
    import re

    import sqlite_utils

    db = sqlite_utils.Database(memory=True)
    db.conn.execute("PRAGMA foreign_keys = ON")
    for populate in populates:
        with db.conn:
            populate(db, seed)
    ours = re.compile(r'"(%s)"' % "|".join(tables))
    lines = [line for line in db.conn.iterdump() if ours.search(line)]
    db.close()
    return "\n".join(lines)


@pytest.fixture()
def tables_dump():
    """:func:`_tables_dump`, for tests that compare one area's tables across seeds."""
    return _tables_dump
