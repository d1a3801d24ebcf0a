"""Fixtures of the TUI cases: a small store (10 sessions), Pilot's event loop, the TUI test helpers."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

_TUI_TESTS = str(Path(__file__).resolve().parents[2] / "tui")  # tuikit: make_app, settle
if _TUI_TESTS not in sys.path:
    sys.path.insert(0, _TUI_TESTS)


@pytest.fixture(scope="module")
def small_store(world_path, tmp_path_factory) -> Path:
    """10 memory_upgrade sessions (seed 0) in a copy of the test world."""
    from twinchat.composer.store.batches import compose_run

    db = tmp_path_factory.mktemp("damaged") / "store.db"
    shutil.copyfile(world_path, db)
    compose_run(db, flow="memory_upgrade", n=10, seed=0)
    return db


@pytest.fixture()
def store(small_store, tmp_path) -> Path:
    path = tmp_path / "store.db"
    shutil.copyfile(small_store, path)
    return path
