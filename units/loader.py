"""Loading unit files (YAML) into :class:`~twinchat.units.spec.Unit` models, with line numbers.

Every error is a :class:`UnitError` whose one-line message starts with ``file:line`` and names
the unit and, where it applies, the template id and field: the loader keeps the YAML node tree
so a pydantic error location (``templates.3.text``) maps back to the line it came from.

The built-in units ship as package data in ``units/builtin/`` (read from the package's folder);
a user's own directory (``--units DIR``) is loaded the same way, after them. A built-in unit file
whose text is the one ``units/builtin_units.jsonl`` was made from is taken from there, already
validated (see ``twinchat.units.builtin_cache``); PyYAML, pydantic and the unit models are
imported only when a file is parsed and validated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twinchat.units.errors import UnitError
from twinchat.units.slot_sources import source_names

if TYPE_CHECKING:  # imported when a file is validated: a built-in unit from the cache needs neither pydantic nor its models
    import yaml

    from twinchat.units.flow import Flow
    from twinchat.units.spec import Unit

__all__ = [
    "UnitSource",
    "FlowSource",
    "load_file",
    "load_unit_file",
    "load_units",
    "units_for",
    "load_flows",
    "load_content",
    "builtin_paths",
    "did_you_mean",
    "line_of",
    "read_yaml",
    "BUILTIN",
    "builtin_cache_text",
    "write_builtin_cache",
]


@dataclass(frozen=True)
class UnitSource:
    """A loaded unit with where it came from, so later checks can name file and line."""

    unit: Unit
    path: str
    #: the YAML node tree (None for a unit taken from the built-in cache: ``file`` is parsed for
    #: it the first time a line is asked)
    node: yaml.Node | None = field(repr=False, compare=False)
    file: Path | None = field(default=None, repr=False, compare=False)

    def tree(self) -> yaml.Node | None:
        """The node tree the lines are read from (parsed from ``file`` when not kept)."""
        if self.node is None and self.file is not None:
            object.__setattr__(self, "node", _read_yaml(self.file, self.path)[1])
        return self.node

    def line_of(self, loc: Sequence[str | int]) -> int:
        """1-based line of the YAML value at ``loc`` (its nearest existing ancestor if absent)."""
        return line_of(self.tree(), loc)

    def text_line(self, loc: Sequence[str | int]) -> int:
        """1-based line where the text (template) at ``loc`` begins."""
        tree = self.tree()
        return _text_line(tree, loc) if tree is not None else 1

    def where(self, loc: Sequence[str | int] = (), template: str | None = None) -> str:
        """``file:line: unit 'id'[, template 'tid']`` — the head of an error message."""
        head = f"{self.path}:{self.line_of(loc)}: unit {self.unit.id!r}"
        return head + (f", template {template!r}" if template else "")


#: How a built-in file is named in messages (``<builtin>/address_extraction.yaml``).
BUILTIN = "<builtin>/"


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` or '' — the fix, when it is obvious."""
    import difflib  # only when a name is wrong

    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _loader() -> Any:
    """libyaml's loader where PyYAML was built with it (about 5x faster to start), else PyYAML's
    own; both report the same lines (the wording of a syntax error differs slightly)."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def line_of(node: yaml.Node | None, loc: Sequence[str | int]) -> int:
    """The line of the key (or list item) at ``loc``; its nearest existing ancestor's if absent
    (1 for an empty document)."""
    if node is None:
        return 1
    import yaml

    line = node.start_mark.line + 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    child, line = value, key.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def _text_line(node: yaml.Node, loc: Sequence[str | int]) -> int:
    """The line where the text at ``loc`` starts (the line after ``|`` or ``>`` for block scalars)."""
    import yaml

    target: yaml.Node | None = node
    for part in loc:
        if isinstance(target, yaml.MappingNode):
            target = next((v for k, v in target.value if k.value == part), None)
        elif isinstance(target, yaml.SequenceNode) and isinstance(part, int) and part < len(target.value):
            target = target.value[part]
        else:
            target = None
        if target is None:
            return line_of(node, loc)
    block = isinstance(target, yaml.ScalarNode) and target.style in ("|", ">")
    return target.start_mark.line + 1 + (1 if block else 0)


def _refuse_anchors(text: str, shown: str) -> None:
    """Refuse YAML anchors (``&name``): an alias repeats a value without writing it, and aliases of
    aliases make a few lines stand for billions of values (the "billion laughs")."""
    import yaml

    for event in yaml.parse(text, Loader=_loader()):
        if getattr(event, "anchor", None) is not None:
            raise UnitError(f"{shown}:{event.start_mark.line + 1}: YAML anchor &{event.anchor} is not allowed in "
                            "unit files (anchors and aliases repeat values unseen); write the value out")


def _refuse_duplicate_keys(root: yaml.Node, shown: str) -> None:
    """Refuse a key written twice in one mapping (YAML would silently keep the last)."""
    import yaml

    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    line = key.start_mark.line + 1
                    if key.value in seen:
                        raise UnitError(f"{shown}:{line}: duplicate key {key.value!r} (first at line "
                                        f"{seen[key.value]}); YAML would keep only the last")
                    seen[key.value] = line
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def read_yaml(path: Path, shown: str, what: str) -> tuple[Any, yaml.Node | None]:
    """(data, node tree) of the YAML file at ``path``, parsed once; ``what`` names the file in
    messages ("a unit file"). Refuses, as one located UnitError, a file that is not a regular file
    (a FIFO or /dev/zero would block or never end), unreadable text, invalid YAML, anchors and
    aliases (an alias can expand a small file into gigabytes) and duplicate keys (the last would
    silently win). An empty file is (None, None)."""
    import yaml

    if not path.is_file():
        raise UnitError(f"{shown}: not a regular file; {what} is a YAML file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnitError(f"{shown}: cannot read {what}: {exc}") from exc
    loader = _loader()(text)
    try:  # parsed once: the node tree (for line numbers) and the data made from it
        if "&" in text:
            _refuse_anchors(text, shown)
        node = loader.get_single_node()
        if node is not None:
            _refuse_duplicate_keys(node, shown)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise UnitError(f"{shown}:{line}: invalid YAML: {problem}") from exc
    except yaml.YAMLError as exc:
        raise UnitError(f"{shown}: invalid YAML: {exc}") from exc
    finally:
        loader.dispose()
    return data, node


def _read_yaml(path: Path, shown: str) -> tuple[Any, yaml.Node]:
    data, node = read_yaml(path, shown, "a unit file")
    if node is None or not isinstance(data, dict):
        raise UnitError(f"{shown}:1: a unit, flow or tool file must be a mapping (a unit's id, title, slots, "
                        "templates; or kind: flow / kind: tool with theirs)")
    return data, node


@dataclass(frozen=True)
class FlowSource:
    """A loaded flow with where it came from."""

    flow: Flow
    path: str
    node: yaml.Node | None = field(repr=False, compare=False)

    def line_of(self, loc: Sequence[str | int]) -> int:
        return line_of(self.node, loc)

    def where(self, loc: Sequence[str | int] = ()) -> str:
        return f"{self.path}:{self.line_of(loc)}: flow {self.flow.id!r}"


def load_file(path: str | Path, shown: str | None = None) -> UnitSource | FlowSource:
    """Load and validate one unit or flow file (a flow says ``kind: flow``)."""
    src = _load(path, shown)
    if src is None:
        raise UnitError(f"{shown or path}:1: a tool file (kind: tool), not a unit or flow file")
    return src


def _load(path: str | Path, shown: str | None = None, *, cached: bool = True,
          lite: bool = False) -> UnitSource | FlowSource | None:
    """A unit or flow file loaded, or None for a tool file (``twinchat.units.tool_files`` reads those).
    A built-in unit comes from the cache of their validated form while its file is unchanged
    (``cached=False`` always parses and validates the file); ``lite``: as the cache's models, made
    without pydantic (see ``twinchat.units.cached_models``), else as the real models."""
    path = Path(path)
    shown = shown or str(path)
    if cached and shown.startswith(BUILTIN):
        from twinchat.units.builtin_cache import cached_unit

        unit = cached_unit(path, lite)
        if unit is not None:
            return UnitSource(unit=unit, path=shown, node=None, file=path)
    data, node = _read_yaml(path, shown)
    if data.get("kind") == "tool":
        return None
    if data.get("kind") == "flow":
        from twinchat.units.flow import Flow

        return FlowSource(flow=_validate(Flow, data, node, shown, "flow", path), path=shown, node=node)
    from twinchat.units.spec import Unit

    return UnitSource(unit=_validate(Unit, data, node, shown, "unit", path), path=shown, node=node)


def load_unit_file(path: str | Path, shown: str | None = None) -> UnitSource:
    """Load and validate one unit file."""
    src = load_file(path, shown)
    if not isinstance(src, UnitSource):
        raise UnitError(f"{shown or path}:1: flow {src.flow.id!r} is not a unit")
    return src


def _validate(model: Any, data: dict[str, Any], node: yaml.Node, shown: str, what: str, path: Path) -> Any:
    from pydantic import ValidationError

    unit_id = data.get("id", path.stem)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        tags = set(source_names())  # pydantic puts the tag into locations of unions (slots.phone.faker.provider)
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p in tags)]
        loc += list((err.get("ctx") or {}).get("at", ()))
        line = line_of(node, loc)
        field = f", field {'.'.join(str(p) for p in loc)}" if loc else ""
        message = _explain(err, loc)
        raise UnitError(f"{shown}:{line}: {what} {unit_id!r}{field}: {message}") from exc


def _explain(err: dict[str, Any], loc: list[Any]) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "union_tag_invalid":
        got = err.get("input", {}).get("source") if isinstance(err.get("input"), dict) else None
        tags = source_names()
        return f"unknown slot source {got!r}{did_you_mean(str(got), tags)}; sources: {', '.join(tags)}"
    if kind == "union_tag_not_found":
        return f"slot has no 'source'; sources: {', '.join(source_names())}"
    if kind == "extra_forbidden":
        return f"unknown field {loc[-1]!r}"
    if kind == "missing":
        return "required field is missing"
    return msg.removeprefix("Value error, ")


def builtin_paths() -> list[Path]:
    """The built-in unit files, sorted by name."""
    return sorted(_builtin_folder().glob("*.yaml"))


def _builtin_folder() -> Path:
    """``builtin/`` beside this module. Every install (wheel, sdist, editable) unpacks the package
    as a folder whose files are read by path; not asking ``importlib.resources`` spares each
    process its import (it pulls in ``tempfile``, ``shutil`` and the compression modules)."""
    return Path(__file__).with_name("builtin")


def builtin_path(name: str) -> Path | None:
    """The built-in unit file named ``name`` + ``.yaml``: the one of :func:`builtin_paths` whose
    stem is ``name``, found without listing them (None when there is none)."""
    if not name or name.startswith(".") or any(c in name for c in "/\\\0*?[") or name != name.strip():
        return next((p for p in builtin_paths() if p.stem == name), None)  # an odd name: as listed
    path = _builtin_folder() / f"{name}.yaml"
    return path if path.is_file() else None


def builtin_cache_text() -> str:
    """The text of the built-in units' cache (``twinchat.units.builtin_cache``), made by loading
    and validating every built-in unit file in full."""
    from twinchat.units.builtin_cache import cache_text

    loaded = ((path, _load(path, f"{BUILTIN}{path.name}", cached=False)) for path in builtin_paths())
    return cache_text((path, src.unit) for path, src in loaded if isinstance(src, UnitSource))


def write_builtin_cache() -> Path:
    """Write the built-in units' cache anew, beside this module (after a built-in file changed)."""
    from twinchat.units.builtin_cache import CACHE_FILE

    target = Path(__file__).with_name(CACHE_FILE)
    target.write_text(builtin_cache_text(), encoding="utf-8")
    return target


def load_units(extra: Sequence[str | Path] = (), *, builtins: bool = True) -> dict[str, UnitSource]:
    """The built-in units and those in ``extra`` (directories or files), by id.

    The same id twice is an error naming both files: a user's unit never silently shadows another.
    """
    return load_content(extra, builtins=builtins)[0]


def units_for(unit_id: str, extra: Sequence[str | Path] = ()) -> dict[str, UnitSource]:
    """Units among which to find ``unit_id``: with no ``extra``, only the built-in file named after
    it when that file defines it (one file read, not every built-in; its models from the cache
    made without pydantic, see ``twinchat.units.cached_models``); otherwise every unit, as
    :func:`load_units` gives them (so an unknown id is told with the full list)."""
    path = None if extra else builtin_path(unit_id)
    if path is not None:
        src = _load(path, f"{BUILTIN}{path.name}", lite=True)
        if isinstance(src, UnitSource) and src.unit.id == unit_id:
            return {unit_id: src}
    return load_units(extra)


def load_flows(extra: Sequence[str | Path] = (), *, builtins: bool = True) -> dict[str, FlowSource]:
    """The built-in flows and those in ``extra``, by id."""
    return load_content(extra, builtins=builtins)[1]


def load_content(extra: Sequence[str | Path] = (), *, builtins: bool = True
                 ) -> tuple[dict[str, UnitSource], dict[str, FlowSource]]:
    """Units and flows, built-ins first, then ``extra`` (directories or files)."""
    files: list[tuple[Path, str]] = []
    if builtins:
        files += [(p, f"{BUILTIN}{p.name}") for p in builtin_paths()]
    for item in extra:
        p = Path(item)
        if p.is_dir():
            files += [(f, str(f)) for f in sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml"))]
        elif p.exists():
            files.append((p, str(p)))
        else:
            raise UnitError(f"{p}: no such unit file or directory")
    units: dict[str, UnitSource] = {}
    flows: dict[str, FlowSource] = {}
    for path, shown in files:
        src = _load(path, shown)
        if src is None:
            continue  # a tool file: twinchat.units.tool_files.load_tool_files reads those
        kind, sid, table = ("unit", src.unit.id, units) if isinstance(src, UnitSource) else \
            ("flow", src.flow.id, flows)
        if sid in table:
            raise UnitError(
                f"{shown}:{src.line_of(['id'])}: {kind} {sid!r} is already defined in {table[sid].path}"
            )
        table[sid] = src  # type: ignore[assignment]
    return units, flows
