"""The export-format registry: every format, built-in or third-party, is a :class:`Format` read from
the entry-point group ``twinchat.formats`` (once per process).

A distribution adds a format by declaring, in its ``pyproject.toml``::

    [project.entry-points."twinchat.formats"]
    qa_pairs = "my_package.formats:QA_PAIRS"

where ``QA_PAIRS`` is a :class:`Format` whose ``name`` is the entry point's name. twinchat's own
formats are declared the same way. A plugin that cannot be loaded, is not a :class:`Format`, or
takes a name already taken is one :class:`FormatRegistryError` naming the distribution and the
entry point.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType
from typing import Any

from twinchat.composer.export.formats.base import Check, Converter, ExportError, Record
from twinchat.composer.export.formats.toolset import ToolSet

__all__ = ["Format", "FormatRegistryError", "GROUP", "formats", "format_names", "get_format", "get_converter"]

#: The entry-point group formats register in.
GROUP = "twinchat.formats"
_OWN_DISTRIBUTION = "twinchat"


class FormatRegistryError(ExportError):
    """An entry point of ``twinchat.formats`` does not give a usable format (the message names it)."""


@dataclass(frozen=True)
class Format:
    """Everything about one export format: how records are made and checked, and how trainers load them."""

    #: what users type (``--format NAME``); the entry point must have the same name
    name: str
    #: the :class:`Converter` subclass making a session's records
    converter: type[Converter]
    #: the consumer's rules each record must pass (raises :class:`RuleViolation`)
    check: Check
    #: the dataset card's paragraph on loading the files (Markdown)
    loading: str
    #: whether the records carry tool calls: then ``tools.json`` is written and evaluation includes calls
    calls: bool = True
    #: whether the converter takes each unit's instruction and label fields (``Converter.instructions``)
    uses_units: bool = False
    #: extra files beside the splits: ``files(splits, name, extension)`` gives {file name: JSON value};
    #: ``name`` prefixes dataset names (``--name``), ``extension`` is the split files' (jsonl, parquet)
    files: Callable[[Sequence[str], str, str], Mapping[str, Any]] | None = None
    #: ``from_sample(converter, sample, where)``: the record of a ``twinchat generate`` sample, if the
    #: format can export samples (``where`` names the sample in errors)
    from_sample: Callable[[Converter, Mapping[str, Any], str], Record] | None = None
    #: ``render(record)``: the record as a chat template lays it out, (prefix, whole example), for token
    #: counts (see :mod:`~twinchat.composer.export.formats.chatml`); None: the record's JSON, no prefix
    render: Callable[[Mapping[str, Any]], tuple[str, str]] | None = None
    #: ``columns(record)``: the record with the same keys in every row, for columnar files (Parquet);
    #: None: records already have one shape
    columns: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise TypeError(f"format name {self.name!r} is not a name (letters, digits, _)")
        if not (isinstance(self.converter, type) and issubclass(self.converter, Converter)):
            raise TypeError(f"format {self.name!r}: converter {self.converter!r} is not a Converter subclass")
        if not callable(self.check):
            raise TypeError(f"format {self.name!r}: check {self.check!r} is not callable")

    def new_converter(self, units: Mapping[str, Any] | None = None, toolset: ToolSet | None = None) -> Converter:
        """A converter of this format; with ``uses_units``, it takes each unit's instruction and label
        fields from ``units`` (loaded units, as :func:`twinchat.units.loader.load_units` returns; the
        built-ins if None). ``toolset`` gives each session's tools by flow (every tool if None)."""
        instructions = {}
        if self.uses_units:
            if units is None:
                from twinchat.units.loader import load_units

                units = load_units(())
            for uid, src in units.items():
                unit = getattr(src, "unit", None)
                label = getattr(unit, "label", None) or {}
                instructions[uid] = (getattr(unit, "instruction", None), tuple(label))
        converter = self.converter(self.check, instructions)
        if toolset is not None:
            converter._toolset = toolset
        return converter


def _where(ep: EntryPoint) -> str:
    dist = f"{ep.dist.name} {ep.dist.version}" if ep.dist is not None else "an unknown distribution"
    return f"{dist}: entry point {ep.name} = {ep.value} ({GROUP})"


def _load(ep: EntryPoint) -> Format:
    try:
        entry = ep.load()
    except Exception as exc:  # a plugin's import may fail in any way; say which plugin and why
        raise FormatRegistryError(f"{_where(ep)}: cannot be loaded ({type(exc).__name__}: {exc})") from exc
    if not isinstance(entry, Format):
        raise FormatRegistryError(f"{_where(ep)}: gives a {type(entry).__name__}, not a twinchat Format")
    if entry.name != ep.name:
        raise FormatRegistryError(f"{_where(ep)}: the entry point is named {ep.name!r} but its format "
                                  f"{entry.name!r}")
    return entry


def _ordered(found: Sequence[EntryPoint]) -> list[EntryPoint]:
    """twinchat's own formats first, then each plugin distribution's (by its name); by name within each.

    Names, not declaration order: setuptools writes a distribution's entry points sorted anyway.
    """
    def key(ep: EntryPoint) -> tuple[bool, str, str]:
        dist = ep.dist.name if ep.dist is not None else ""
        return dist != _OWN_DISTRIBUTION, dist, ep.name

    return sorted(found, key=key)


@lru_cache(maxsize=1)
def formats() -> Mapping[str, Format]:
    """Every registered format by name (read from the entry points once per process, then cached)."""
    out: dict[str, Format] = {}
    where: dict[str, str] = {}
    for ep in _ordered(list(entry_points(group=GROUP))):
        if ep.name in out:
            raise FormatRegistryError(f"{_where(ep)}: format name {ep.name!r} is taken already by "
                                      f"{where[ep.name]}")
        out[ep.name] = _load(ep)
        where[ep.name] = _where(ep)
    return MappingProxyType(out)


def format_names() -> tuple[str, ...]:
    """The registered formats' names, twinchat's own first (the CLI's and the TUI's choices)."""
    return tuple(formats())


def get_format(name: str) -> Format:
    """The format called ``name``, or :class:`ExportError` listing the known ones."""
    known = formats()
    if name not in known:
        raise ExportError(f"unknown format {name!r} (formats: {', '.join(known)})")
    return known[name]


def get_converter(name: str, units: Mapping[str, Any] | None = None) -> Converter:
    """A converter of format ``name`` (see :meth:`Format.new_converter`)."""
    return get_format(name).new_converter(units)
