"""The lock a running compose holds on its database: ``.X.compose-lock`` beside it, holding the PID.

The holder keeps the file open with an exclusive ``flock`` for the whole run (where the platform
has ``fcntl``): the kernel lets one process at a time hold it and frees it when that process ends,
however it ends. So a lock left by a process that is gone is taken over by exactly one of several
composes starting at the same instant — the others find it held and are refused — and the file
is removed when the run ends. A file naming a running process is held even without the ``flock``
(:func:`twinchat.inventory.leftovers.lock_holder`: ``twinchat init --force`` reads the same file
and refuses to replace a database whose lock is held).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from twinchat.composer.errors import ComposerError
from twinchat.inventory.leftovers import lock_holder, lock_path, pid_alive

try:
    import fcntl
except ImportError:  # pragma: no cover - no flock: the PID in the file is the only guard
    fcntl = None  # type: ignore[assignment]

__all__ = ["compose_lock"]


@contextmanager
def compose_lock(db: str | os.PathLike[str]) -> Iterator[None]:
    """Hold ``db``'s compose lock for the block; a :class:`ComposerError` if a running process holds it."""
    path = lock_path(db)
    if str(db) in ("", ":memory:") or not path.parent.is_dir():  # nothing to lock; opening the world says why
        yield
        return
    fd = _acquire(path, Path(db))
    try:
        yield
    finally:
        _release(path, fd)


def _held(db: Path) -> ComposerError:
    holder = lock_holder(db)
    who = f"a compose (pid {holder})" if holder else "a compose"
    return ComposerError(f"{db}: {who} is running on it; wait for it or stop it")


def _acquire(path: Path, db: Path) -> int:
    """Open, ``flock`` and write the lock file; its descriptor, held open until :func:`_release`."""
    for _ in range(3):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:  # a read-only folder: say so of the database, not of the lock file
            raise ComposerError(f"{db}: cannot compose into it ({(exc.strerror or str(exc)).lower()}); copy the "
                                "world to a writable folder") from exc
        try:
            if not _flock(fd):
                raise _held(db)  # another compose holds it
            if not _same_file(fd, path):
                os.close(fd)  # the holder removed it as we opened it: take the new one
                continue
            named = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            if named.isdigit() and int(named) != os.getpid() and pid_alive(int(named)):
                raise _held(db)  # it names a running process
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
            return fd
        except BaseException:
            os.close(fd)
            raise
    raise ComposerError(f"{db}: cannot take its compose lock ({path}); try again")


def _flock(fd: int) -> bool:
    """Take the exclusive ``flock`` on ``fd`` without waiting; False when another process holds it."""
    if fcntl is None:  # pragma: no cover
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _release(path: Path, fd: int) -> None:
    """Remove the lock if it is still this process's, then let go of it."""
    try:
        if _same_file(fd, path) and path.read_text(encoding="ascii", errors="replace").strip() == str(os.getpid()):
            path.unlink()
    except OSError:
        pass  # gone already, or a folder we can no longer write: the next compose takes it over
    finally:
        os.close(fd)
