"""Fixtures of the composer tests: a seeded session composer over the shared world (the paraphrase
tests' canned server and unit folder are shared fixtures of tests/conftest.py)."""

from __future__ import annotations


import pytest

@pytest.fixture(scope="module")
def composer(world_path):
    """A SessionComposer with seed 0 over the test session's world, one per test module."""
    from twinchat.composer.engine.compose import SessionComposer
    from twinchat.inventory import open_world

    conn = open_world(world_path)
    yield SessionComposer(conn, seed=0)
    conn.close()
