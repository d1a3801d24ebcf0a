"""Loading tool files (``kind: tool``, YAML) into :class:`~twinchat.units.tool_spec.ToolSpec` models.

Tool files live beside unit and flow files: every directory (or file) given with ``--units`` is
read for all three, and :func:`load_tool_files` keeps the tools. Every error is a
:class:`~twinchat.units.errors.ToolFileError` whose one-line message starts with ``file:line``
and names the tool and the field, as a unit file's errors do.

What can be checked without a world is checked here: the file's shape, the ``parameters`` and
``result`` JSON Schemas (against their meta-schema) and every ``$ref`` in them (only references
inside the file resolve; nothing is fetched). The implementation's SQL, templates and python
target are checked when the tool is built (``twinchat.composer.tools``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from twinchat.units.errors import ToolFileError, UnitError
from twinchat.units.loader import _explain, _read_yaml, line_of
from twinchat.units.tool_spec import ToolSpec

__all__ = ["ToolSource", "load_tool_files", "tool_source", "schema_problem"]


@dataclass(frozen=True)
class ToolSource:
    """A loaded tool file with where it came from, so later checks can name file and line."""

    spec: ToolSpec
    path: str
    node: yaml.Node = field(repr=False, compare=False)

    def line_of(self, loc: Sequence[str | int]) -> int:
        return line_of(self.node, loc)

    def where(self, loc: Sequence[str | int] = ()) -> str:
        """``file:line: tool 'name'[, field a.b]`` — the head of an error message."""
        shown = f", field {'.'.join(str(p) for p in loc)}" if loc else ""
        return f"{self.path}:{self.line_of(loc)}: tool {self.spec.name!r}{shown}"


def schema_problem(schema: dict[str, Any]) -> tuple[list[str | int], str] | None:
    """Where (a path inside ``schema``) and what is wrong with a JSON Schema, or None: its
    meta-schema's verdict first, then every ``$ref`` that does not resolve within it."""
    from jsonschema import exceptions, validators
    from referencing import Registry, Resource
    from referencing.exceptions import Unresolvable
    from referencing.jsonschema import DRAFT202012

    cls = validators.validator_for(schema, default=validators.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except exceptions.SchemaError as exc:
        return list(exc.absolute_path), f"invalid JSON Schema: {exc.message}"
    resource = Resource.from_contents(schema, default_specification=DRAFT202012)
    resolver = Registry().with_resource("urn:twinchat:tool", resource).resolver(base_uri="urn:twinchat:tool")
    for loc, ref in _refs(schema, []):
        try:
            resolver.lookup(ref)
        except Unresolvable:
            return loc, f"$ref {ref!r} does not resolve (only references within the file, like '#/$defs/name')"
    return None


def _refs(value: Any, loc: list[str | int]) -> Iterator[tuple[list[str | int], str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):
                yield [*loc, key], item
            elif key not in ("enum", "const", "examples", "default"):
                yield from _refs(item, [*loc, key])
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _refs(item, [*loc, i])


def tool_source(data: dict[str, Any], node: yaml.Node, shown: str, path: Path) -> ToolSource:
    """A tool file's data (as the unit loader reads YAML) validated into a :class:`ToolSource`."""
    name = data.get("name", path.stem)
    try:
        spec = ToolSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [p for p in err["loc"] if p not in ("function-after[_snake(), str]",)]
        loc += list((err.get("ctx") or {}).get("at", ()))
        fields = f", field {'.'.join(str(p) for p in loc)}" if loc else ""
        raise ToolFileError(f"{shown}:{line_of(node, loc)}: tool {name!r}{fields}: {_explain(err, loc)}") from exc
    src = ToolSource(spec=spec, path=shown, node=node)
    for key in ("parameters", "result"):
        schema = getattr(spec, key)
        problem = schema_problem(schema) if schema is not None else None
        if problem is not None:
            raise ToolFileError(f"{src.where([key, *problem[0]])}: {problem[1]}")
    return src


def _files(paths: Sequence[str | Path]) -> list[tuple[Path, str]]:
    files: list[tuple[Path, str]] = []
    for item in paths:
        p = Path(item)
        if p.is_dir():
            files += [(f, str(f)) for f in sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml"))]
        elif p.exists():
            files.append((p, str(p)))
        else:
            raise UnitError(f"{p}: no such unit file or directory")
    return files


def load_tool_files(paths: Sequence[str | Path]) -> list[ToolSource]:
    """The tool files among ``paths`` (directories or files, as ``--units`` gives them), in the
    order read; unit and flow files are passed over (the unit loader reads them). The same tool
    name twice is an error naming both files."""
    found: dict[str, ToolSource] = {}
    for path, shown in _files(paths):
        data, node = _read_yaml(path, shown)
        if data.get("kind") != "tool":
            continue
        src = tool_source(data, node, shown, path)
        earlier = found.get(src.spec.name)
        if earlier is not None:
            raise ToolFileError(f"{src.where(['name'])}: tool {src.spec.name!r} is already defined in {earlier.path}")
        found[src.spec.name] = src
    return list(found.values())
