"""The slot-source registry, as the spec sees it: which ``source:`` names a slot may say.

A slot source is one entry point of the group ``twinchat.slot_sources``; its object bundles all
that describes the source: ``config`` (a :class:`SlotConfig` subclass with ``source:
Literal["name"]``), ``drawer``, ``forms`` and ``checks`` (the engine's parts, see
``twinchat.composer.engine.sources``). Twinchat's own sources register through the same group
as a plugin's. The entry points are read once per process, when a unit is first validated.

Dependency rule: this module imports nothing of twinchat's but the shared error module and the
entry-point reader beside it (and, when first asked for one of its names, the config models of
:mod:`twinchat.units.slot_config`: reading the registry does not import pydantic). The engine's parts of an entry reach this package only as the
objects the entry points name.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from importlib import import_module
from typing import TYPE_CHECKING, Any, Union

from twinchat.units.entry_points import OwnEntryPoint, own_entry_points
from twinchat.units.errors import TwinchatError

if TYPE_CHECKING:
    from importlib import metadata

    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

    from twinchat.units.slot_config import SlotConfig

__all__ = ["GROUP", "SlotConfig", "weights_problem", "SlotSourceError", "SlotUnion", "slot_sources", "source_names", "collect",
           "OwnSources", "config_model"]

#: the names this module gives from :mod:`twinchat.units.slot_config` (pydantic's side), imported when first asked for
_CONFIG_NAMES = frozenset({"SlotConfig", "weights_problem"})


def __getattr__(name: str) -> Any:
    if name not in _CONFIG_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module("twinchat.units.slot_config"), name)


#: The entry-point group slot sources register in.
GROUP = "twinchat.slot_sources"


class SlotSourceError(TwinchatError):
    """A slot-source plugin cannot be used (it fails to import, or its entry is malformed or clashes)."""


#: an entry point as importlib.metadata reads it, or one of twinchat's own read without it
_EntryPoint = Union["metadata.EntryPoint", OwnEntryPoint]


def _where(ep: _EntryPoint) -> str:
    dist = ep.dist.name if ep.dist is not None else "an unknown distribution"
    return f"slot source {ep.name!r} ({ep.value}) of {dist}"


def config_model(entry: Any) -> Any:
    """The config model of a source's entry: its ``config``, a :class:`SlotConfig` subclass or
    the place of one as ``"module:Name"`` (imported now: a source module need not import its
    model, nor pydantic, until a unit is validated)."""
    config = getattr(entry, "config", None)
    if isinstance(config, str) and config.count(":") == 1:
        module, name = config.split(":")
        return getattr(import_module(module), name, None)
    return config


def _config_of(ep: _EntryPoint, entry: Any) -> type[SlotConfig]:
    """The entry's config model, checked: a SlotConfig whose ``source`` is the entry point's name."""
    from twinchat.units.slot_config import SlotConfig

    config = config_model(entry)
    if not (isinstance(config, type) and issubclass(config, SlotConfig)):
        raise SlotSourceError(f"{_where(ep)}: its `config` must be a subclass of SlotConfig")
    field = config.model_fields.get("source")
    tags = typing.get_args(field.annotation) if field is not None else ()
    if field is None or typing.get_origin(field.annotation) is not typing.Literal or tags != (ep.name,):
        raise SlotSourceError(f"{_where(ep)}: its config {config.__name__} must declare "
                              f"`source: Literal[{ep.name!r}]`")
    _drawer_of(ep, entry)
    return config


def _drawer_of(ep: _EntryPoint, entry: Any) -> None:
    if not callable(getattr(entry, "drawer", None)):
        raise SlotSourceError(f"{_where(ep)}: it has no callable `drawer`")


def collect(entry_points: Iterable[_EntryPoint]) -> dict[str, Any]:
    """The entries the entry points name, by name, each checked; sorted by name.

    A plugin that fails to import, names a malformed entry or clashes with another is a
    :class:`SlotSourceError` naming the distribution and the entry point; so is finding none
    (twinchat's own metadata is missing).
    """
    by_name = _by_name(entry_points)
    return {name: _load(ep) for name, ep in by_name.items()}


def _by_name(entry_points: Iterable[_EntryPoint]) -> dict[str, _EntryPoint]:
    """The entry points by name, sorted; a :class:`SlotSourceError` for a clash, or for none."""
    found: dict[str, _EntryPoint] = {}
    for ep in entry_points:
        if ep.name in found:
            raise SlotSourceError(f"{_where(ep)}: the name is taken by {_where(found[ep.name])}")
        found[ep.name] = ep
    if not found:
        raise SlotSourceError(f"no slot sources are registered in the entry-point group {GROUP}: "
                              "install twinchat (pip install -e .) so that its own sources register")
    return {name: found[name] for name in sorted(found)}


def _load(ep: _EntryPoint, *, own: bool = False) -> Any:
    """The entry ``ep`` names, checked (one of twinchat's own: its drawer only, since its config
    model, checked by the tests, is imported when a unit is first validated)."""
    try:
        entry = ep.load()
    except Exception as exc:  # a plugin's import may fail any way; it is reported, never swallowed
        raise SlotSourceError(f"{_where(ep)}: cannot be loaded: {type(exc).__name__}: {exc}") from exc
    if own:
        _drawer_of(ep, entry)
    else:
        _config_of(ep, entry)
    return entry


class OwnSources(Mapping[str, Any]):
    """twinchat's own slot sources by name, each imported and checked when first asked for: a
    run imports the sources its units use, not all of them (a plugin's sources, read through
    importlib.metadata, are all loaded and checked at once by :func:`collect`)."""

    def __init__(self, entry_points: Iterable[OwnEntryPoint]) -> None:
        self._eps = _by_name(entry_points)
        self._loaded: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        entry = self._loaded.get(name)
        if entry is None:
            entry = self._loaded[name] = _load(self._eps[name], own=True)
        return entry

    def __iter__(self) -> Iterator[str]:
        return iter(self._eps)

    def __len__(self) -> int:
        return len(self._eps)


@lru_cache(maxsize=1)
def slot_sources() -> Mapping[str, Any]:
    """Every registered slot source's entry, by name (read once per process; without
    importlib.metadata when no distribution but twinchat's own declares one, see
    :mod:`twinchat.units.entry_points`)."""
    own = own_entry_points(GROUP)
    if own is not None:
        return OwnSources(own)
    from importlib import metadata

    return collect(metadata.entry_points(group=GROUP))


def source_names() -> list[str]:
    """The registered source names, sorted."""
    return list(slot_sources())


class SlotUnion:
    """The schema of a slot: the registered configs as one union keyed on ``source``.

    Built when a model holding slots is first validated (those models say ``defer_build``),
    so the registry is read at run time, never while the spec is imported.
    """

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        from pydantic_core import core_schema

        choices = {name: handler.generate_schema(config_model(entry)) for name, entry in slot_sources().items()}
        return core_schema.tagged_union_schema(choices, discriminator="source")
