"""Temporary files of a process that died, and the lock a running compose holds on a database.

Every temporary file or folder twinchat writes beside a target ``X`` is named after ``X`` and the
process writing it: ``.X.building-PID`` (a world being built, with its SQLite ``-journal``),
``.X.part-PID`` (a file written all at once), ``.X.part-PID-HEX`` and ``.X.old-PID-HEX`` (an
export's staging folders). A process that is killed outright cannot remove them; the next
command writing ``X`` does (:func:`remove_leftovers`), but never those of a process still running.

A running compose holds ``.X.compose-lock`` beside its database, holding its PID
(:func:`lock_path`, :func:`lock_holder`); ``twinchat init --force`` refuses to replace a database
whose lock is held by a running process. Only the name and content of the file are shared: this
module imports nothing of the composer.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

__all__ = ["lock_path", "lock_holder", "pid_alive", "remove_leftovers"]

_KINDS = ("building", "part", "old")
#: a lock file too young to hold its PID yet belongs to a process still writing it
_LOCK_GRACE = 5.0


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (a process of another user counts as running)."""
    if pid <= 0:
        return True  # not a process id twinchat writes: never treated as dead
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _leftover_pid(target_name: str, name: str) -> int | None:
    """The PID in ``name`` if it is a temporary name of ``target_name``, else None."""
    pattern = (rf"\.{re.escape(target_name)}\.(?:{'|'.join(_KINDS)})-(\d{{1,10}})"
               r"(?:-[0-9a-f]+)?(?:-journal|-wal|-shm)?")
    found = re.fullmatch(pattern, name)
    return int(found.group(1)) if found else None


def remove_leftovers(target: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files and folders beside ``target`` left by processes that are gone
    (and a stale compose lock); return what was removed."""
    target = Path(target)
    folder = target.parent
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    removed = []
    for name in names:
        pid = _leftover_pid(target.name, name)
        if pid is None or pid_alive(pid):
            continue
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            _put_back(path, target)
            import shutil  # only for a leftover folder

            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    lock = lock_path(target)
    if target.name and lock.exists() and lock_holder(target) is None:
        lock.unlink(missing_ok=True)
        removed.append(lock)
    return removed


def _put_back(folder: Path, target: Path) -> None:
    """An export killed between moving the old folder aside and moving the new one in left the
    old one in ``folder/d``: it goes back to ``target``."""
    kept = folder / "d"
    if folder.name.startswith(f".{target.name}.old-") and kept.is_dir() and not os.path.lexists(target):
        os.replace(kept, target)


def lock_path(db: str | os.PathLike[str]) -> Path:
    """The lock file a running compose holds beside ``db``."""
    db = Path(db)
    return db.parent / f".{db.name}.compose-lock"


def lock_holder(db: str | os.PathLike[str]) -> int | None:
    """The PID of the running process holding ``db``'s compose lock, or None if it is free or stale
    (its process is gone). A lock too young to hold a PID yet is held (PID 0)."""
    path = lock_path(db)
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
        age = time.time() - path.stat().st_mtime
    except OSError:
        return None
    if not text.isdigit():
        return 0 if age < _LOCK_GRACE else None
    pid = int(text)
    return pid if pid > 0 and pid_alive(pid) else None
