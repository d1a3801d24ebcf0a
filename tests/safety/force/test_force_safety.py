"""Destructive options protect what is not theirs: ``--force`` replaces only what the same command made.

Each case builds a small working directory (a world with stored sessions, a user's files), runs one
command that must be refused, and checks the exit code, the exact one-line message, and that every
file is still there, unchanged, with nothing left behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from twinchat.composer.cli.commands import cli

UNIT = "id: twin\ntitle: t\nslots:\n  a: {source: choice, values: [x]}\ntemplates:\n  - {id: t1, text: '{{ a }}'}\n"
SESSIONS = 12


@pytest.fixture(scope="module")
def store(world_path, tmp_path_factory) -> Path:
    """A world holding stored sessions (copied into each case)."""
    from twinchat.composer.store.batches import compose_run

    db = tmp_path_factory.mktemp("force_store") / "store.db"
    shutil.copy(world_path, db)
    assert compose_run(db, n=SESSIONS, seed=0).composed == SESSIONS
    return db


@pytest.fixture(scope="module")
def samples(samples_file) -> Path:
    """A small `twinchat generate` samples file."""
    return samples_file(40)


def _db(at: str) -> Callable[[Path, Path, Path], None]:
    def setup(root: Path, store: Path, samples: Path) -> None:
        (root / at).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(store, root / at)
    return setup


def _files(**files: str) -> Callable[[Path, Path, Path], None]:
    """Text files at the given paths (``__`` in a name stands for ``/``)."""
    def setup(root: Path, store: Path, samples: Path) -> None:
        for name, text in files.items():
            path = root / name.replace("__", "/").replace("_DOT_", ".")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return setup


def _export(into: str) -> Callable[[Path, Path, Path], None]:
    def setup(root: Path, store: Path, samples: Path) -> None:
        from twinchat.composer.export.pipeline import export_sessions

        export_sessions(store, "plain", root / into)
    return setup


def _samples(at: str) -> Callable[[Path, Path, Path], None]:
    def setup(root: Path, store: Path, samples: Path) -> None:
        (root / at).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(samples, root / at)
    return setup


def _sqlite(at: str) -> Callable[[Path, Path, Path], None]:
    def setup(root: Path, store: Path, samples: Path) -> None:
        conn = sqlite3.connect(root / at)
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('keep me')")
        conn.commit()
        conn.close()
    return setup


def _link(src: str, dst: str) -> Callable[[Path, Path, Path], None]:
    def setup(root: Path, store: Path, samples: Path) -> None:
        os.link(root / src, root / dst)
    return setup


GEN = ["generate", "address_extraction", "-n", "3"]
EXPORT = ["export", "--format", "plain"]
ONLY_EXPORT = "--force replaces only a folder `twinchat export` made"
NOT_SAMPLES = ("not a samples file (its first line is not a `twinchat generate` sample); "
               "--force replaces only a file generate wrote")
NOT_WORLD = "--force replaces only a world `twinchat init` built"

#: id: (setups, working directory, command, the one line on stderr)
CASES: dict[str, tuple[list[Callable[[Path, Path, Path], None]], str, list[str], str]] = {
    # export -o DIR --force
    "export-into-the-database-folder": (
        [_db("data/twinchat.db")], ".", [*EXPORT, "--db", "data/twinchat.db", "-o", "data", "--force"],
        "data: holds the database in use (data/twinchat.db); export into a new folder"),
    "export-into-the-database-folder-without-force": (
        [_db("data/twinchat.db")], ".", [*EXPORT, "--db", "data/twinchat.db", "-o", "data"],
        "data: holds the database in use (data/twinchat.db); export into a new folder"),
    "export-into-a-parent-of-the-database": (
        [_db("proj/store/w.db")], ".", [*EXPORT, "--db", "proj/store/w.db", "-o", "proj", "--force"],
        "proj: holds the database in use (proj/store/w.db); export into a new folder"),
    "export-into-the-working-directory": (
        [_db("twinchat.db")], ".", [*EXPORT, "-o", ".", "--force"],
        ".: is the working directory (or holds it); export into a new folder"),
    "export-into-a-parent-of-the-working-directory": (
        [_db("twinchat.db"), _files(work__keep_DOT_txt="x")], "work",
        [*EXPORT, "--db", "../twinchat.db", "-o", "..", "--force"],
        "..: is the working directory (or holds it); export into a new folder"),
    "export-over-the-units-directory-in-use": (
        [_db("twinchat.db"), _files(myunits__twin_DOT_yaml=UNIT)], ".",
        [*EXPORT, "--units", "myunits", "-o", "myunits", "--force"],
        "myunits: holds the unit files given with --units (myunits); export into a new folder"),
    "export-over-a-folder-of-unit-files": (
        [_db("twinchat.db"), _files(myunits__twin_DOT_yaml=UNIT)], ".", [*EXPORT, "-o", "myunits", "--force"],
        f"myunits: not an export folder (no export.json, dataset card and manifest); {ONLY_EXPORT}"),
    "export-over-an-export-holding-predictions": (
        [_db("twinchat.db"), _export("out"), _files(out__predictions_DOT_jsonl='{"id": "x", "output": ""}\n')],
        ".", [*EXPORT, "-o", "out", "--force"], f"out: holds predictions.jsonl, which no export wrote; {ONLY_EXPORT}"),
    "export-over-an-export-holding-a-folder": (
        [_db("twinchat.db"), _export("out"), _files(out__runs__a_DOT_txt="x")],
        ".", [*EXPORT, "-o", "out", "--force"], f"out: holds runs, which no export wrote; {ONLY_EXPORT}"),
    "export-into-the-samples-folder": (
        [_samples("gen/s.jsonl")], ".",
        ["export", "--format", "alpaca", "--from-samples", "gen/s.jsonl", "-o", "gen", "--force"],
        "gen: holds the samples file (gen/s.jsonl); export into a new folder"),
    # generate -o FILE --force
    "generate-onto-the-world": (
        [_db("w.db")], ".", [*GEN, "--db", "w.db", "-o", "w.db", "--force"],
        "w.db: is the world in use (--db); write the samples to another -o"),
    "generate-onto-the-world-without-force": (
        [_db("w.db")], ".", [*GEN, "--db", "w.db", "-o", "w.db"],
        "w.db: is the world in use (--db); write the samples to another -o"),
    "generate-onto-a-world-not-yet-built": (
        [], ".", [*GEN, "--db", "new.db", "-o", "new.db"],
        "new.db: is the world in use (--db); write the samples to another -o"),
    "generate-onto-a-link-to-the-world": (
        [_db("w.db"), _link("w.db", "alias.db")], ".", [*GEN, "--db", "w.db", "-o", "alias.db", "--force"],
        "alias.db: is the world in use (--db); write the samples to another -o"),
    "generate-onto-a-unit-file-in-use": (
        [_db("twinchat.db"), _files(twin_DOT_yaml=UNIT)], ".", [*GEN, "--units", "twin.yaml", "-o", "twin.yaml", "--force"],
        "twin.yaml: is a unit file given with --units; write the samples to another -o"),
    "generate-over-a-text-file": (
        [_db("twinchat.db"), _files(notes_DOT_txt="keep me\n")], ".", [*GEN, "-o", "notes.txt", "--force"],
        f"notes.txt: {NOT_SAMPLES}"),
    "generate-over-another-database": (
        [_db("twinchat.db"), _db("other.db")], ".", [*GEN, "-o", "other.db", "--force"], f"other.db: {NOT_SAMPLES}"),
    "generate-over-json-that-is-not-a-sample": (
        [_db("twinchat.db"), _files(data_DOT_jsonl='{"a": 1}\n')], ".", [*GEN, "-o", "data.jsonl", "--force"],
        f"data.jsonl: {NOT_SAMPLES}"),
    # init --force
    "init-over-stored-sessions": (
        [_db("twinchat.db")], ".", ["init", "--force"],
        f"twinchat.db holds {SESSIONS} stored sessions; pass --drop-sessions too to rebuild the world and lose them"),
    "init-over-a-text-file": (
        [_files(notes_DOT_txt="keep me\n")], ".", ["init", "--db", "notes.txt", "--force"],
        f"notes.txt: not a twinchat world (file is not a database); {NOT_WORLD}"),
    "init-over-another-database": (
        [_sqlite("notes.db")], ".", ["init", "--db", "notes.db", "--force"],
        f"notes.db: not a twinchat world (no meta table); {NOT_WORLD}"),
}


def _tree(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` with a digest of its bytes (folders: ``dir``)."""
    return {str(p.relative_to(root)): "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("case", list(CASES))
def test_force_refuses(case, store, samples, tmp_path, monkeypatch):
    setups, cwd, argv, message = CASES[case]
    for setup in setups:
        setup(tmp_path, store, samples)
    before = _tree(tmp_path)
    monkeypatch.chdir(tmp_path / cwd)
    result = CliRunner().invoke(cli, argv)
    assert (result.exit_code, result.stderr) == (1, f"Error: {message}\n"), result.output
    assert "Traceback" not in result.output
    assert _tree(tmp_path) == before  # nothing lost, changed, or left behind


def test_force_still_replaces_what_the_command_made(store, samples, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(store, tmp_path / "twinchat.db")
    runner = CliRunner()
    (tmp_path / "empty").mkdir()
    for argv in ([*EXPORT, "-o", "out"], [*EXPORT, "-o", "out", "--force", "--seed", "1"],
                 [*EXPORT, "-o", "empty", "--force"],
                 [*GEN, "-o", "s.jsonl"], [*GEN, "-o", "s.jsonl", "--force", "--seed", "1"],
                 ["init", "--db", "fresh.db"], ["init", "--db", "fresh.db", "--force"],
                 ["init", "--force", "--drop-sessions"]):
        result = runner.invoke(cli, argv)
        assert result.exit_code == 0, (argv, result.output)
    assert (tmp_path / "out" / "train.jsonl").is_file() and (tmp_path / "empty" / "export.json").is_file()
    conn = sqlite3.connect(tmp_path / "twinchat.db")
    try:
        assert "sessions" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    finally:
        conn.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "fresh.db", "out", "s.jsonl", "twinchat.db"]
