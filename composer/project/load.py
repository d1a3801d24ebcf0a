"""Finding and reading the project file: ``twinchat.yaml`` in the working directory, or ``--project FILE``.

A bad file is one :class:`ProjectError` naming the file, the line and the key path (with a
did-you-mean for an unknown key). Paths in the file are made relative to the file's folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from twinchat.composer.project.find import PROJECT_FILE, ProjectError, find_project
from twinchat.composer.project.model import Project
from twinchat.units.errors import UnitError
from twinchat.units.loader import did_you_mean, line_of, read_yaml

__all__ = ["ProjectError", "LoadedProject", "PROJECT_FILE", "find_project", "load_project"]


@dataclass(frozen=True)
class LoadedProject:
    """A project file read and checked, with its paths resolved against its folder."""

    path: Path
    model: Project

    @property
    def root(self) -> Path:
        return self.path.parent

    def resolve(self, value: str) -> str:
        """A path of the file, as the working directory sees it."""
        p = Path(value).expanduser()
        return str(p if p.is_absolute() else _relative(self.root / p))

    @property
    def db(self) -> str:
        return self.resolve(self.model.world.db)

    @property
    def content_dirs(self) -> tuple[str, ...]:
        """Unit, flow and tool directories, in that order (what ``--units`` would add)."""
        m = self.model
        return tuple(dict.fromkeys(self.resolve(d) for d in (*m.units, *m.flows, *m.tools)))


def _relative(path: Path) -> Path:
    """``path`` relative to the working directory when it lies below it (shorter messages)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def load_project(path: str | Path) -> LoadedProject:
    """Read and check a project file."""
    p = Path(path)
    try:
        data, node = read_yaml(p, str(p), "a project file")
    except UnitError as exc:  # the same checks as unit files: one parse, no aliases, no duplicate keys
        raise ProjectError(str(exc)) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ProjectError(f"{p}:1: a project file is a mapping (world, catalog, units, flows, persona, …)")
    try:
        model = Project.model_validate(data)
    except ValidationError as exc:
        raise ProjectError(_explain(p, node, exc.errors()[0])) from exc
    return LoadedProject(p, model)


def _explain(path: Path, node: Any, err: Any) -> str:
    loc = [part for part in err["loc"]]
    key = ".".join(str(part) for part in loc)
    line = line_of(node, loc)
    if err["type"] == "extra_forbidden":
        fields = _fields_at(loc[:-1])
        return (f"{path}:{line}: unknown key {key!r}{did_you_mean(str(loc[-1]), fields)}; "
                f"keys here: {', '.join(fields)}")
    if err["type"] == "missing":
        return f"{path}:{line}: key {key!r} is missing"
    return f"{path}:{line}: key {key!r}: {err['msg'].removeprefix('Value error, ')}"


def _fields_at(loc: list[Any]) -> list[str]:
    """The keys the model allows at ``loc`` (a path of keys; a free mapping's keys are names)."""
    model: Any = Project
    parts = list(loc)
    while parts:
        part = parts.pop(0)
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return []
        annotation = model.model_fields[part].annotation
        args = getattr(annotation, "__args__", (annotation,))
        if getattr(annotation, "__origin__", None) is dict:  # flow_personas: name -> model
            model = args[-1]
            if not parts:
                return []
            parts.pop(0)
            continue
        model = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
    return list(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []
