"""Shared fixtures. Benchmarks under tests/bench/ run only with ``--bench``; ``async def`` tests
(the TUI's, with Pilot) run in a fresh event loop each. Compiled templates are kept in a
directory of the test session's own (``TWINCHAT_CACHE_DIR``), never in the user's cache."""

from __future__ import annotations

import asyncio
import inspect
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

#: The canned chat-completions server (tests/composer/canned_llm.py) and the unit the paraphrase
#: tests rewrite (copied per test: they append to it).
_COMPOSER_TESTS = Path(__file__).parent / "composer"
PARAPHRASE_UNIT = _COMPOSER_TESTS / "paraphrase" / "callback.yaml"


def pytest_configure(config: pytest.Config) -> None:
    config.twinchat_cache = tempfile.mkdtemp(prefix="twinchat-cache-")  # type: ignore[attr-defined]
    os.environ["TWINCHAT_CACHE_DIR"] = config.twinchat_cache  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    cache = getattr(config, "twinchat_cache", None)
    if cache is not None:
        shutil.rmtree(cache, ignore_errors=True)


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


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests in a fresh event loop (Pilot needs one; no plugin required)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    asyncio.run(pyfuncitem.obj(**kwargs))
    return True


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


@pytest.fixture()
def llm():
    """A chat-completions server on 127.0.0.1 answering with canned completions."""
    if str(_COMPOSER_TESTS) not in sys.path:
        sys.path.insert(0, str(_COMPOSER_TESTS))
    from canned_llm import CannedLLM

    with CannedLLM() as server:
        yield server


@pytest.fixture()
def unit_dir(tmp_path):
    """A folder holding a fresh copy of the paraphrase tests' unit file."""
    folder = tmp_path / "units"
    folder.mkdir()
    shutil.copy(PARAPHRASE_UNIT, folder / "callback.yaml")
    return folder


@pytest.fixture(scope="session")
def samples_file(world_path, tmp_path_factory):
    """``samples_file(n)``: a `twinchat generate` file of ``n`` address_extraction samples (seed 0),
    made once per ``n`` for the whole test session."""
    from twinchat.composer.engine.sample_files import generate_file
    from twinchat.inventory import open_world

    made: dict[int, Path] = {}

    def make(n: int) -> Path:
        if n not in made:
            out = tmp_path_factory.mktemp("samples") / "s.jsonl"
            conn = open_world(world_path)
            try:
                generate_file("address_extraction", out, conn=conn, n=n, seed=0)
            finally:
                conn.close()
            made[n] = out
        return made[n]
    return make


@pytest.fixture()
def readme_pairs_units(tmp_path) -> Path:
    """The README's declared tool and unit (section "Function-call pairs from a schema"), written
    under ``tmp_path`` as the README lays them out; the units folder."""
    import re

    text = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    start = text.index("## Function-call pairs from a schema")
    for block in re.findall(r"```yaml\n(.*?)```", text[start:text.index("\n## ", start)], re.S):
        first, body = block.split("\n", 1)
        path = tmp_path / first.removeprefix("# ").strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    return tmp_path / "pairs_units"
