"""What composing into a new store imports and writes: the store's tables in the SQL sqlite-utils
wrote for them, without importing sqlite-utils (which imports pandas where it is installed)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys

from twinchat.composer.store.schema import create_tables
from twinchat.composer.store.sessions import COLUMNS


def _schema(conn: sqlite3.Connection) -> list[tuple]:
    return [tuple(r) for r in conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name")]


def test_store_tables_are_those_sqlite_utils_made():
    import sqlite_utils

    ours = sqlite3.connect(":memory:")
    create_tables(ours, COLUMNS)
    theirs = sqlite3.connect(":memory:")
    db = sqlite_utils.Database(theirs, recursive_triggers=False, execute_plugins=False)
    db.table("sessions").create(
        {"id": str, "flow": str, "seed": int, "idx": int, "world_seed": int, "now": str, "customer": str,
         "turns": str, "steps": str, "extra": str, "n_turns": int, "outcome": str, "units": str,
         "templates": str, "user_text": str, "status": str, "reasons": str, "batch": int},
        pk="id", column_order=list(COLUMNS),
        not_null=["flow", "seed", "idx", "world_seed", "now", "customer", "turns", "steps", "n_turns", "units",
                  "templates", "user_text", "status", "reasons", "batch"])
    sessions = db.table("sessions")
    sessions.create_index(["flow", "seed", "idx"], index_name="idx_sessions_flow_seed_idx", unique=True)
    for column in ("flow", "outcome", "status"):
        sessions.create_index([column], index_name=f"idx_sessions_{column}")
    db.table("runs").create({"flow": str, "seed": int, "n": int, "world_seed": int}, pk=("flow", "seed"),
                            not_null=["n", "world_seed"])
    assert _schema(ours) == _schema(theirs)
    assert len(_schema(ours)) == 8
    create_tables(ours, COLUMNS)  # both exist: nothing to do
    assert len(_schema(ours)) == 8


def test_composing_into_a_new_store_imports_neither_sqlite_utils_nor_pandas(world_path, tmp_path):
    db = shutil.copy(world_path, tmp_path / "w.db")
    script = ("import sys\nfrom twinchat.composer.store.batches import compose_run\n"
              f"r = compose_run({str(db)!r}, n=20, seed=0, workers=1, flow='memory_upgrade')\n"
              "print(r.composed, 'sqlite_utils' in sys.modules, 'pandas' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["20", "False", "False"]


def test_a_command_outside_a_project_imports_no_project_model(tmp_path):
    script = ("import sys\nfrom twinchat.composer.cli import cli\n"
              "try:\n    cli(['units', 'list'], prog_name='twinchat')\nexcept SystemExit:\n    pass\n"
              "print('twinchat.composer.project.model' in sys.modules, 'twinchat.inventory.catalog' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert "address_extraction" in done.stdout
    assert done.stdout.split()[-2:] == ["False", "False"]
    (tmp_path / "twinchat.yaml").write_text("world: {db: shop.db}\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert done.stdout.split()[-2:] == ["True", "False"]


def test_generating_a_unit_that_says_no_time_never_loads_the_time_grammar(world_path, tmp_path):
    """The time grammar (a third of the engine's import time) loads on the first time slot drawn or
    checked: ``generate address_extraction`` has none; ``generate repair_slots`` (a visit time) has."""
    script = ("import sys\nfrom twinchat.composer.cli import cli\n"
              "try:\n    cli(['generate', sys.argv[1], '-n', '3', '--db', sys.argv[2], '-o', 'x.jsonl'], "
              "prog_name='twinchat')\nexcept SystemExit:\n    pass\n"
              "print('twinchat.composer.time.resolve' in sys.modules, 'twinchat.composer.time.pool' in sys.modules)")
    for unit, loaded in (("address_extraction", ["False", "False"]), ("repair_slots", ["True", "True"])):
        (tmp_path / "x.jsonl").unlink(missing_ok=True)
        done = subprocess.run([sys.executable, "-c", script, unit, str(world_path)], cwd=tmp_path,
                              capture_output=True, text=True, check=True)
        assert "wrote 3 of 3 samples" in done.stdout, done.stdout + done.stderr
        assert done.stdout.split()[-2:] == loaded, unit
