"""Fixtures of the composer tests: a seeded session composer over the shared world (the paraphrase
tests' canned server and unit folder are shared fixtures of tests/conftest.py), and copies of
that world with sessions stored in them."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture()
def db(world_path, tmp_path):
    """A private copy of the seed-0 world (``tmp_path/twinchat.db``), without sessions."""
    path = tmp_path / "twinchat.db"
    shutil.copy(world_path, path)
    return path


@pytest.fixture()
def composed_db(world_path, tmp_path):
    """``composed_db(n, seed)``: a copy of the world (``tmp_path/w.db``) with ``n`` sessions of
    every flow composed and stored in it by ``compose_run``."""
    from twinchat.composer.store.batches import compose_run

    def make(n: int, seed: int):
        db = tmp_path / "w.db"
        shutil.copyfile(world_path, db)
        compose_run(db, n=n, seed=seed)
        return db
    return make


@pytest.fixture(scope="module")
def composer(world_path):
    """A SessionComposer with seed 0 over the test session's world, one per test module."""
    from twinchat.composer.engine.compose import SessionComposer
    from twinchat.inventory import open_world

    conn = open_world(world_path)
    yield SessionComposer(conn, seed=0)
    conn.close()
