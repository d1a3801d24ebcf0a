"""Which project file is in force: ``--project FILE``, else ``twinchat.yaml`` in the working
directory, else none. Kept apart from reading the file (:mod:`.load`), so that a command run
outside a project imports nothing of the project model."""

from __future__ import annotations

from pathlib import Path

from twinchat.composer.errors import ComposerError

__all__ = ["ProjectError", "PROJECT_FILE", "find_project"]

PROJECT_FILE = "twinchat.yaml"


class ProjectError(ComposerError):
    """A project file that cannot be read or says something twinchat does not know."""


def find_project(explicit: str | None) -> Path | None:
    """The project file in force: ``explicit``, else ``twinchat.yaml`` in the working directory, else None."""
    if explicit is not None:
        p = Path(explicit)
        if not p.is_file():
            raise ProjectError(f"{p}: no such project file")
        return p
    here = Path(PROJECT_FILE)
    return here if here.is_file() else None
