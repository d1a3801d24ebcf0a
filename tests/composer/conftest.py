"""Fixtures of the composer tests: a seeded session composer over the shared world, and for the
paraphrase tests a canned chat-completions server and a folder with a copy of their unit file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

#: The unit the paraphrase tests rewrite (copied per test: they append to it).
PARAPHRASE_UNIT = Path(__file__).parent / "paraphrase" / "callback.yaml"


@pytest.fixture(scope="module")
def composer(world_path):
    """A SessionComposer with seed 0 over the test session's world, one per test module."""
    from twinchat.composer.engine.compose import SessionComposer
    from twinchat.inventory import open_world

    conn = open_world(world_path)
    yield SessionComposer(conn, seed=0)
    conn.close()


@pytest.fixture()
def llm():
    """A chat-completions server on 127.0.0.1 answering with canned completions."""
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
