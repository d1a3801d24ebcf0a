"""The output directory of an export: checked first, written as a scratch directory beside it, and
renamed into place only when everything is written (so a failed export leaves nothing behind)."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from twinchat.composer.export.formats.base import ExportError

__all__ = ["OutputExists", "check_target", "staging"]


class OutputExists(ExportError):
    """The output directory exists and replacing it was not asked for (``path`` names it)."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path}: already exists; pass --force to replace it")
        self.path = path


def check_target(out_dir: str | os.PathLike[str], force: bool) -> Path:
    """``out_dir`` as a path, if an export may write it."""
    target = Path(out_dir)
    if target.exists() and not target.is_dir():
        raise ExportError(f"{target}: exists and is not a directory")
    if target.exists() and not force:
        raise OutputExists(target)
    if not target.parent.is_dir():
        found = next((a for a in target.parents if a.exists()), target.parent)  # a file in the way, or nothing
        raise ExportError(f"{found}: not a directory" if found.exists() and not found.is_dir() else
                          f"{target.parent}: directory does not exist")
    return target


def _fresh_dir(target: Path, what: str) -> Path:
    """A new hidden directory beside ``target`` (made with the umask's permissions, unlike mkdtemp)."""
    while True:
        path = target.parent / f".{target.name}.{what}-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            path.mkdir()
            return path
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue


@contextmanager
def staging(target: Path) -> Iterator[Path]:
    """A scratch directory beside ``target``, renamed onto it when the block ends without error."""
    tmp = _fresh_dir(target, "part")
    try:
        yield tmp
        if target.exists():
            old = _fresh_dir(target, "old")
            os.replace(target, old / "d")
            os.replace(tmp, target)
            shutil.rmtree(old)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
