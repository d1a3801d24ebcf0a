"""The lock a running compose holds on its database: ``.X.compose-lock`` beside it, holding the PID.

It is created atomically (``O_EXCL``) before the world is opened and removed when the run ends,
however it ends; one left by a process that is gone is stale and taken over. ``twinchat init
--force`` refuses to replace a database whose lock is held (it reads the same file:
:mod:`twinchat.inventory.leftovers`), and a second compose on the same database is refused.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from twinchat.composer.errors import ComposerError
from twinchat.inventory.leftovers import lock_holder, lock_path

__all__ = ["compose_lock"]


@contextmanager
def compose_lock(db: str | os.PathLike[str]) -> Iterator[None]:
    """Hold ``db``'s compose lock for the block; a :class:`ComposerError` if a running process holds it."""
    path = lock_path(db)
    if str(db) in ("", ":memory:") or not path.parent.is_dir():  # nothing to lock; opening the world says why
        yield
        return
    _acquire(path, Path(db))
    try:
        yield
    finally:
        _release(path)


def _acquire(path: Path, db: Path) -> None:
    for _ in range(3):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            holder = lock_holder(db)
            if holder is not None:
                who = f"a compose (pid {holder})" if holder else "a compose"
                raise ComposerError(f"{db}: {who} is running on it; wait for it or stop it") from None
            path.unlink(missing_ok=True)  # stale: its process is gone
            continue
        try:
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        finally:
            os.close(fd)
        return
    raise ComposerError(f"{db}: cannot take its compose lock ({path}); try again")


def _release(path: Path) -> None:
    """Remove the lock if it is still this process's."""
    try:
        if path.read_text(encoding="ascii", errors="replace").strip() == str(os.getpid()):
            path.unlink()
    except OSError:
        pass
