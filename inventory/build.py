"""Build the simulated world: one SQLite file, the same content for the same seed.

The catalog (categories, products, devices, compatibility), its warehouses and stock are read
from catalog files: the built-in shop's (package data, :func:`read_shop`) or a shop's own, the
same way. The other areas (regions, service desk, order history) are modules with
``populate(db, seed)``; each draws from its own RNG derived from the seed and its name, so adding
rows to one area never reshuffles another.
The file is built under a temporary name beside the target and renamed into place, so an
interrupted build never leaves a half-built database where the user asked for one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path


from twinchat.inventory.connection import WorldConnection, damage
from twinchat.inventory.errors import InventoryError, WorldExistsError
from twinchat.inventory.leftovers import lock_holder, remove_leftovers

if TYPE_CHECKING:  # sqlite-utils imports pandas when it is installed: only building needs it
    import sqlite_utils

    from twinchat.inventory.catalog_files import CatalogFiles, Shop

__all__ = ["build_world", "check_new_world", "cannot_write", "read_shop", "open_world", "world_seed", "world_summary", "SCHEMA_VERSION"]

#: Bumped whenever the tables change shape; stored in the ``meta`` table.
SCHEMA_VERSION = 3


def _areas(shop: Shop) -> list[tuple[str, Callable[[sqlite_utils.Database, int], None]]]:
    # the builders are imported here: opening a world (what most commands do) never needs them
    from twinchat.inventory import catalog, coupons, logistics, order_history, regions, servicedesk

    return [
        ("regions", regions.populate),
        ("catalog", lambda db, seed: catalog.write_catalog(db, shop)),
        ("logistics", lambda db, seed: logistics.populate(db, shop.warehouses, shop.stock)),
        ("servicedesk", servicedesk.populate),
        ("orders", order_history.populate),
        ("coupons", coupons.populate),
    ]


#: the areas written from a catalog read by :func:`read_shop`, whose references it has checked
_CHECKED_AREAS = frozenset({"catalog", "logistics"})


def read_shop(files: CatalogFiles | None = None) -> Shop:
    """Read and check a catalog's files (:mod:`.catalog_files`), or the built-in shop's for None;
    a catalog without categories or warehouses of its own has the built-in ones."""
    from twinchat.inventory import regions
    from twinchat.inventory.catalog_files import builtin_files, builtin_root, read_catalog

    table = regions.load_regions()
    by_name: dict[str, list[str]] = {}
    for d in table.districts:
        city = table.get(d.parent or "")
        for name in (d.name, city.name + d.name, city.short_name + d.name):
            by_name.setdefault(name, []).append(d.adcode)

    def district(text: str) -> str | None:
        if text in table and table.get(text).level == "district":
            return text
        found = by_name.get(text, [])
        return found[0] if len(found) == 1 else None

    root = builtin_root()
    return read_catalog(files or builtin_files(), fallback_categories=root / "categories.csv",
                        fallback_warehouses=root / "warehouses.csv", districts=district,
                        district_names=lambda: list(by_name))


def build_world(
    path: str | os.PathLike[str],
    seed: int = 0,
    *,
    force: bool = False,
    drop_sessions: bool = False,
    progress: Callable[[str], None] | None = None,
    catalog_files: CatalogFiles | None = None,
) -> Path:
    """Build the world for ``seed`` at ``path``; refuse to replace an existing file unless ``force``,
    and even then refuse one that is not a world, or a world holding stored sessions unless
    ``drop_sessions``. The catalog is ``catalog_files`` (a shop's own) or the built-in shop's, read
    and checked in full before any file is touched, the same way either."""
    target = Path(path)
    _check_target(target, force, drop_sessions)
    shop = read_shop(catalog_files)
    remove_leftovers(target)
    tmp = target.with_name(f".{target.name}.building-{os.getpid()}")
    _remove_db_files(tmp)
    import sqlite_utils  # here, not at the top: it imports pandas when that is installed

    try:
        db = sqlite_utils.Database(tmp)
        db.conn.execute("PRAGMA foreign_keys = ON")
        # no fsync while building: a crash leaves only the temporary file, which is removed
        db.conn.execute("PRAGMA synchronous = OFF")
        db["meta"].create({"key": str, "value": str}, pk="key")
        db["meta"].insert_all(
            [
                {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                {"key": "seed", "value": str(seed)},
            ]
        )
        for name, populate in _areas(shop):
            if progress is not None:
                progress(name)
            # the catalog's and stock's rows were checked against each other when the files were
            # read: SQLite need not look up a million stock rows' product and warehouse again
            db.conn.execute(f"PRAGMA foreign_keys = {'OFF' if name in _CHECKED_AREAS else 'ON'}")
            with db.conn:
                populate(db, seed)
        db.conn.execute("PRAGMA journal_mode = DELETE")
        db.conn.execute("VACUUM")
        db.close()
        if force:
            _remove_db_files(target, keep_main=True)
        os.replace(tmp, target)
    except BaseException as exc:
        _remove_db_files(tmp)
        if isinstance(exc, (sqlite3.OperationalError, OSError)):  # a full disk, a failing one
            what = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise InventoryError(f"{target}: cannot write it ({what}); is the disk full? Nothing was "
                                 "written") from exc
        raise
    # WAL from here on: readers (the composer's workers, the TUI) never block each other.
    conn = sqlite3.connect(target)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    return target


def check_new_world(target: str | os.PathLike[str]) -> None:
    """Raise what :func:`build_world` would raise at once for a new world at ``target`` (a missing or
    unwritable folder, a file already there), so a command can refuse before it announces a build."""
    _check_target(Path(target), False, False)


def _check_target(target: Path, force: bool, drop_sessions: bool) -> None:
    """Refuse a target that exists (without ``force``), cannot be written, or may not be replaced."""
    if target.exists() and not force:
        raise WorldExistsError(f"{target}: file exists; pass --force to replace it")
    if target.parent.exists():
        reason = cannot_write(target.parent)
        if reason is not None:
            raise InventoryError(f"{target}: cannot write it ({reason}); build the world in a writable folder")
    if target.exists():
        _check_unlocked(target)
        _check_replaceable(target, drop_sessions)
    if target.parent and not target.parent.exists():
        raise InventoryError(f"{target.parent}: directory does not exist")


def _check_unlocked(target: Path) -> None:
    """Refuse to replace ``target`` while a running compose holds its lock."""
    pid = lock_holder(target)
    if pid is not None:
        who = f"a compose (pid {pid})" if pid else "a compose"
        raise WorldExistsError(f"{target}: {who} is running on it; wait for it or stop it")


def _check_replaceable(target: Path, drop_sessions: bool) -> None:
    """Refuse to replace ``target`` unless it is empty or a world (of any schema version) whose
    stored sessions, if any, ``drop_sessions`` allows to lose."""
    if target.is_symlink() or not target.is_file():
        raise WorldExistsError(f"{target}: not a regular file; --force replaces only a world `twinchat init` built")
    if target.stat().st_size == 0:
        return
    conn = None
    try:
        conn = sqlite3.connect(target)  # read-write, so that closing it leaves no -wal or -shm file behind
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        sessions = conn.execute("SELECT count(*) FROM sessions").fetchone()[0] if "sessions" in tables else 0
    except sqlite3.DatabaseError as exc:
        raise WorldExistsError(f"{target}: not a twinchat world ({exc}); --force replaces only a world "
                               "`twinchat init` built") from exc
    finally:
        if conn is not None:
            conn.close()
    if "meta" not in tables:
        raise WorldExistsError(f"{target}: not a twinchat world (no meta table); --force replaces only a world "
                               "`twinchat init` built")
    if sessions and not drop_sessions:
        raise WorldExistsError(f"{target} holds {sessions:,} stored sessions; pass --drop-sessions too to "
                               "rebuild the world and lose them")


def _remove_db_files(path: Path, *, keep_main: bool = False) -> None:
    suffixes = ["-wal", "-shm", "-journal"] + ([] if keep_main else [""])
    for suffix in suffixes:
        p = Path(f"{path}{suffix}")
        if p.exists():
            p.unlink()


def open_world(path: str | os.PathLike[str]) -> WorldConnection:
    """Open a world read-write (a :class:`~twinchat.inventory.connection.WorldConnection`, which
    keeps the static data tools read from it); raise InventoryError naming the file if it is not one."""
    p = Path(path)
    if not p.exists():
        raise InventoryError(f"{p}: no such world; create it with `twinchat init --db {p}`")
    conn = sqlite3.connect(p, factory=WorldConnection)
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        reason = cannot_write(p) if isinstance(exc, sqlite3.OperationalError) else None
        if reason is not None:  # SQLite cannot open a world it may not write to (its -wal and -shm files)
            raise InventoryError(f"{p}: cannot open it for writing ({reason}); twinchat opens a world "
                                 "read-write: copy it to a writable folder") from exc
        raise InventoryError(f"{p}: not a twinchat world ({exc})") from exc
    if row is None or int(row[0]) != SCHEMA_VERSION:
        conn.close()
        found = row[0] if row else "none"
        raise InventoryError(
            f"{p}: world schema version {found}, this twinchat needs {SCHEMA_VERSION}; "
            f"rebuild it with `twinchat init --db {p} --force`"
        )
    state = _file_state(p)
    if state not in _SOUND:  # a command opens its world more than once: the check reads the whole file
        problem = damage(conn, p.stat().st_size)
        if problem is not None:
            conn.close()
            raise InventoryError(f"{p}: damaged database ({problem}); restore it from a copy")
        _SOUND.add(state)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


#: the files (as :func:`_file_state` saw them) that ``PRAGMA quick_check`` found sound in this process
_SOUND: set[tuple[object, ...]] = set()


def _file_state(path: Path) -> tuple[object, ...]:
    """What tells one state of a world file from another: where it is, its inode, size and times.
    (Writes through SQLite in WAL mode go to the log first, which SQLite checksums; anything else
    that writes the file changes its times.)"""
    st = path.stat()
    return str(path.resolve()), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def cannot_write(path: Path) -> str | None:
    """Why ``path`` (a file, or a folder to create files in) cannot be written — ``read-only file
    system`` or ``permission denied`` — or None when it can. A world is written beside itself
    (its ``-wal`` and ``-shm`` files), so its folder counts too."""
    folder = path if path.is_dir() else path.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "read-only file system"
    except (OSError, AttributeError):  # no statvfs on this platform: ask access() alone
        pass
    if not os.access(folder, os.W_OK) or (path != folder and path.exists() and not os.access(path, os.W_OK)):
        return "permission denied"
    return None


def world_seed(conn: sqlite3.Connection) -> int:
    """The seed the world open on ``conn`` was built with (its ``meta`` table)."""
    return int(conn.execute("SELECT value FROM meta WHERE key = 'seed'").fetchone()[0])


def world_summary(path: str | os.PathLike[str]) -> dict[str, int]:
    """Row counts per table of a world, in a fixed order (for ``init``'s summary and the README)."""
    conn = open_world(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'meta' ORDER BY name")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()
