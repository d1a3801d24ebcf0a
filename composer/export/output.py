"""The output directory of an export: checked first, written as a scratch directory beside it, and
renamed into place only when everything is written (so a failed export leaves nothing behind).

``--force`` replaces only what an export made: an empty folder, or one that holds nothing but the
files its ``export.json`` lists (with the dataset card and the manifest). A folder holding
anything else, the working directory, and a folder holding one of the export's inputs (the
database, a ``--units`` directory, the samples file) are never replaced, with or without it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from twinchat.composer.atomic import DISK_ERRORS
from twinchat.composer.export.formats.base import ExportError
from twinchat.inventory.leftovers import remove_leftovers

__all__ = ["OutputExists", "Protected", "check_target", "staging"]

#: files every export writes; a folder without them is not an export
_ALWAYS = ("README.md", "export.json", "manifest.jsonl")


class OutputExists(ExportError):
    """The output directory exists and replacing it was not asked for (``path`` names it)."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path}: already exists; pass --force to replace it")
        self.path = path


class Protected(ExportError):
    """The output directory exists and is not an export's to replace, even with ``--force``."""


def check_target(out_dir: str | os.PathLike[str], force: bool,
                 inputs: Sequence[tuple[str, str | os.PathLike[str]]] = ()) -> Path:
    """``out_dir`` as a path, if an export may write it; ``inputs`` are ``(what, path)`` pairs the
    export reads (e.g. ``("the database in use", db)``), never replaced. Scratch folders of
    exports to ``out_dir`` that were killed are removed first."""
    target = Path(out_dir)
    remove_leftovers(target)
    if target.exists() and not target.is_dir():
        raise ExportError(f"{target}: exists and is not a directory")
    if target.exists():
        _refuse_inputs(target, inputs)
        if not force:
            raise OutputExists(target)
        _refuse_foreign(target)
    if not target.parent.is_dir():
        found = next((a for a in target.parents if a.exists()), target.parent)  # a file in the way, or nothing
        raise ExportError(f"{found}: not a directory" if found.exists() and not found.is_dir() else
                          f"{target.parent}: directory does not exist")
    return target


def _refuse_inputs(target: Path, inputs: Sequence[tuple[str, str | os.PathLike[str]]]) -> None:
    """Refuse a ``target`` that is the working directory or holds one of ``inputs``."""
    real = target.resolve()
    if real == Path.cwd().resolve() or real in Path.cwd().resolve().parents:
        raise Protected(f"{target}: is the working directory (or holds it); export into a new folder")
    for what, path in inputs:
        if not path:  # an in-memory database
            continue
        found = Path(path).resolve()
        if found == real or real in found.parents:
            raise Protected(f"{target}: holds {what} ({path}); export into a new folder")


def _refuse_foreign(target: Path) -> None:
    """Refuse a non-empty ``target`` that holds anything its ``export.json`` does not list."""
    names = sorted(p.name for p in target.iterdir())
    if not names:
        return
    listed = _listed_files(target)
    if listed is None:
        raise Protected(f"{target}: not an export folder (no export.json, dataset card and manifest); "
                        "--force replaces only a folder `twinchat export` made")
    for name in names:
        entry = target / name
        if name not in listed or entry.is_symlink() or not entry.is_file():
            raise Protected(f"{target}: holds {name}, which no export wrote; "
                            "--force replaces only a folder `twinchat export` made")


def _listed_files(target: Path) -> set[str] | None:
    """The files ``target/export.json`` lists, if ``target`` has an export's card, manifest and summary."""
    if not all((target / name).is_file() for name in _ALWAYS):
        return None
    try:
        files = json.loads((target / "export.json").read_text(encoding="utf-8")).get("files")
    except (ValueError, AttributeError):
        return None
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return set(files) | set(_ALWAYS)


def _fresh_name(target: Path, what: str) -> Path:
    """An unused hidden name beside ``target``, with this process's id in it (so no other process
    makes it). Named before it is made, so an interruption right after ``mkdir`` can still remove it."""
    while True:
        path = target.parent / f".{target.name}.{what}-{os.getpid()}-{secrets.token_hex(4)}"
        if not path.exists():
            return path


@contextmanager
def staging(target: Path) -> Iterator[Path]:
    """A scratch directory beside ``target``, renamed onto it when the block ends without error.

    Folders are named before they are made (made with the umask's permissions, unlike mkdtemp), so
    a signal arriving just after one is made still finds it to remove."""
    tmp, old = _fresh_name(target, "part"), None
    try:
        try:
            tmp.mkdir()
        except OSError as exc:  # a read-only or full disk: name the folder asked for, not the scratch one
            raise ExportError(f"{target}: cannot write it ({exc.strerror or exc})") from exc
        yield tmp
        if target.exists():
            old = _fresh_name(target, "old")
            old.mkdir()
            os.replace(target, old / "d")
        os.replace(tmp, target)
    except BaseException as exc:
        if old is not None and not target.exists() and (old / "d").exists():
            os.replace(old / "d", target)  # interrupted between the two renames: the old export is put back
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) and exc.errno in DISK_ERRORS:  # a write failed: name the export
            raise ExportError(f"{target}: cannot write it ({exc.strerror}); is the disk full? Nothing was "
                                "written") from exc
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
