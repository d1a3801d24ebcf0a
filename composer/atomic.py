"""Writing a file all at once: into a hidden temporary file beside it, renamed into place.

A reader never sees half a file, and a run that fails or is interrupted leaves the target as it
was (the temporary file is removed; one left by a process that was killed is removed by the next
write of the same target). Failing to create the file is a :class:`ComposerError`
naming the target, not the temporary name.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TextIO

from twinchat.composer.errors import ComposerError
from twinchat.inventory.leftovers import remove_leftovers

__all__ = ["DISK_ERRORS", "atomic_write"]

#: what a write reports when the disk is full, over quota, past the file size limit, or failing
DISK_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


@contextmanager
def atomic_write(target: str | os.PathLike[str], *, newline: str | None = None) -> Iterator[tuple[TextIO, Path]]:
    """``(file, temporary path)`` to write ``target`` through; renamed onto it when the block ends."""
    target = Path(target)
    remove_leftovers(target)
    tmp = target.with_name(f".{target.name}.part-{os.getpid()}")
    try:  # opened inside: a signal arriving just after the file is made still finds it to remove
        try:
            fh = open(tmp, "w", encoding="utf-8", newline=newline)  # noqa: SIM115 - closed below
        except OSError as exc:
            raise ComposerError(f"{target}: cannot write it ({exc.strerror or exc})") from exc
        with fh:
            yield fh, tmp
        os.replace(tmp, target)
    except BaseException as exc:
        with suppress(OSError):  # not made (a read-only folder), or no longer removable: the error below says why
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno in DISK_ERRORS:  # a write failed: name the file it was for
            raise ComposerError(f"{target}: cannot write it ({exc.strerror}); is the disk full? Nothing was "
                                "written") from exc
        raise
