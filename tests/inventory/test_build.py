"""Building the world: determinism, refusing to overwrite, surviving interruption."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from twinchat.inventory import InventoryError, WorldExistsError, build_world, open_world, world_summary


def test_same_seed_gives_identical_dump(tmp_path, world_path, sql_dump):
    again = build_world(tmp_path / "again.db", seed=0)
    assert sql_dump(again) == sql_dump(world_path)


def test_other_seed_gives_other_world(tmp_path, world_path, sql_dump):
    other = build_world(tmp_path / "other.db", seed=1)
    assert sql_dump(other) != sql_dump(world_path)
    # ... but the same product ids name the same kind of product
    a, b = open_world(world_path), open_world(other)
    common = a.execute("SELECT count(*) FROM products").fetchone()[0]
    assert common > 150
    mem = "SELECT category FROM products WHERE id = 'MEM001'"
    rows = [c.execute(mem).fetchone() for c in (a, b)]
    assert all(r is None or r[0] == "memory" for r in rows)


def test_world_has_every_area(world_path):
    counts = world_summary(world_path)
    for table, at_least in {
        "regions": 3000, "products": 200, "device_models": 30, "compatibility": 500,
        "warehouses": 10, "stock": 2000, "lanes": 3000, "kb_solutions": 40, "technicians": 60,
        "technician_schedule": 100, "tickets": 0,
    }.items():
        assert counts[table] >= at_least, table


def test_world_is_wal_and_versioned(world_path):
    conn = sqlite3.connect(world_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert dict(conn.execute("SELECT key, value FROM meta"))["seed"] == "0"
    conn.close()


def test_refuses_to_overwrite(tmp_path):
    target = tmp_path / "w.db"
    target.write_text("precious")
    with pytest.raises(WorldExistsError, match=r"w\.db: file exists; pass --force to replace it"):
        build_world(target, seed=0)
    assert target.read_text() == "precious"


def test_force_replaces_a_world_only(tmp_path):
    target = tmp_path / "w.db"
    target.write_text("old")
    with pytest.raises(WorldExistsError, match=r"w\.db: not a twinchat world \(file is not a database\); "
                                               r"--force replaces only a world `twinchat init` built$"):
        build_world(target, seed=0, force=True)
    assert target.read_text() == "old"
    target.write_text("")
    build_world(target, seed=1, force=True)
    build_world(target, seed=0, force=True)
    assert world_summary(target)["products"] > 0


def test_open_world_rejects_non_worlds(tmp_path):
    with pytest.raises(InventoryError, match=r"no such world; create it with `twinchat init"):
        open_world(tmp_path / "missing.db")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(InventoryError, match=r"junk\.db: not a twinchat world"):
        open_world(junk)


def test_failure_mid_build_leaves_nothing(tmp_path, monkeypatch):
    from twinchat.inventory import logistics

    def boom(db, *rows):
        raise KeyboardInterrupt

    monkeypatch.setattr(logistics, "populate", boom)
    with pytest.raises(KeyboardInterrupt):
        build_world(tmp_path / "w.db", seed=0)
    assert list(tmp_path.iterdir()) == []


def _start_init(target: Path) -> subprocess.Popen:
    # Ctrl-C's handler as in a terminal: a suite started in the background by a shell without job
    # control inherits SIGINT ignored, and Python then installs no handler, so init would finish
    code = ("import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
            "from twinchat.composer.cli.commands import main; main()")
    return subprocess.Popen(
        [sys.executable, "-c", code, "init", "--db", str(target), "--force"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_for(proc: subprocess.Popen, text: str) -> None:
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if text in line:
            return
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"init never printed {text!r}")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_interrupted_init_keeps_the_old_world(tmp_path, sig, sql_dump):
    target = tmp_path / "w.db"
    build_world(target, seed=3)
    before = sql_dump(target)
    proc = _start_init(target)
    _wait_for(proc, "building catalog")
    os.kill(proc.pid, sig)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert sql_dump(target) == before          # the old world is untouched
    if sig == signal.SIGINT:                 # a clean interrupt also removes its temporary file
        assert sorted(p.name for p in tmp_path.iterdir()) == ["w.db"]


def test_a_world_is_checked_once_per_state_and_again_once_changed(world_path, tmp_path):
    """open_world runs quick_check once per state of a file: a command that opens its world twice
    reads it whole once, and damage written afterwards (in place, same size) is still found."""
    import os
    import shutil

    from twinchat.inventory import open_world
    from twinchat.inventory.errors import InventoryError

    db = shutil.copy(world_path, tmp_path / "w.db")
    open_world(db).close()
    open_world(db).close()
    data = bytearray(db.read_bytes())
    data[4096 * 3:4096 * 7] = b"\xff" * 4096 * 4
    before = db.stat()
    with open(db, "r+b") as fh:
        fh.write(bytes(data))
    os.utime(db, ns=(before.st_atime_ns, before.st_mtime_ns))  # even with its old times back: ctime moved
    assert db.stat().st_size == before.st_size
    with pytest.raises(InventoryError, match=r"w\.db: damaged database \(Page 4: btreeInitPage\(\) returns error "
                                             r"code 11\); restore it from a copy"):
        open_world(db)


@pytest.mark.parametrize("btree", ["stock", "idx_stock_warehouse", "products", "sqlite_autoindex_products_1",
                                   "idx_products_model", "product_features", "regions", "idx_regions_name",
                                   "region_towns", "sqlite_autoindex_region_towns_1", "lanes",
                                   "idx_lanes_dest_city"])
def test_damage_to_any_table_or_index_page_is_found(world_path, tmp_path, btree):
    """The bulk tables (the catalog's, the regions' and the lanes') have every page of their b-trees
    read with SQLite's cell checks instead of a quick_check of every row: a page of any of them
    overwritten (as a disk or a copy damages one) is found all the same, and told as quick_check
    tells it."""
    import shutil

    db = shutil.copy(world_path, tmp_path / "w.db")
    conn = sqlite3.connect(db)
    pages = [p for (p,) in conn.execute("SELECT pageno FROM dbstat WHERE name = ? ORDER BY pageno", (btree,))]
    conn.close()
    page = pages[len(pages) // 2]
    data = bytearray(db.read_bytes())
    data[4096 * (page - 1):4096 * page] = b"\x00" * 4096
    db.write_bytes(bytes(data))
    with pytest.raises(InventoryError, match=rf"w\.db: damaged database \(Page {page}: btreeInitPage\(\) returns "
                                             r"error code 11\); restore it from a copy"):
        open_world(db)


def test_a_damaged_free_page_list_is_found(world_path, tmp_path):
    """The free pages SQLite reuses for new rows (sessions) are checked too: a free-list page
    that says it lists more pages than a page holds is told as quick_check tells it."""
    import shutil

    db = shutil.copy(world_path, tmp_path / "w.db")
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE scrap (x)")
    conn.executemany("INSERT INTO scrap VALUES (?)", [("x" * 500,)] * 200)
    conn.commit()
    conn.execute("DROP TABLE scrap")
    conn.commit()
    conn.close()
    data = bytearray(db.read_bytes())
    trunk = int.from_bytes(data[32:36], "big")
    assert trunk  # the dropped table's pages are free
    data[4096 * (trunk - 1) + 4:4096 * (trunk - 1) + 8] = (99999).to_bytes(4, "big")
    db.write_bytes(bytes(data))
    with pytest.raises(InventoryError, match=rf"w\.db: damaged database \(Main freelist: freelist leaf count too big "
                                             rf"on page {trunk}\); restore it from a copy"):
        open_world(db)


def test_a_table_of_any_name_is_checked_as_named(world_path, tmp_path):
    """The check names the tables it reads from the file's own schema: a table or index whose
    name holds a double quote (a world extended by hand) is read as named, and its damage found."""
    import shutil

    db = shutil.copy(world_path, tmp_path / "w.db")
    conn = sqlite3.connect(db)
    conn.execute('CREATE TABLE "odd""name" (x)')
    conn.execute('CREATE INDEX "odd""index" ON "odd""name" (x)')
    conn.executemany('INSERT INTO "odd""name" VALUES (?)', [("y" * 300,)] * 100)
    conn.commit()
    from twinchat.inventory.connection import _sound

    assert _sound(conn)  # the quick checks read it (no SQL error sends it to the full check)
    open_world(db).close()
    page = max(p for (p,) in conn.execute("SELECT pageno FROM dbstat WHERE name = 'odd\"name'"))
    conn.close()
    data = bytearray(db.read_bytes())
    data[4096 * (page - 1):4096 * page] = b"\x00" * 4096
    db.write_bytes(bytes(data))
    with pytest.raises(InventoryError, match=rf"w\.db: damaged database \(.*{page}.*\); restore it from a copy"):
        open_world(db)
