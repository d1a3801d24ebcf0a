"""The slot-source registry, as the spec sees it: which ``source:`` names a slot may say.

A slot source is one entry point of the group ``twinchat.slot_sources``; its object bundles all
that describes the source: ``config`` (a :class:`SlotConfig` subclass with ``source:
Literal["name"]``), ``drawer``, ``forms`` and ``checks`` (the engine's parts, see
``twinchat.composer.engine.sources``). Twinchat's own sources register through the same group
as a plugin's. The entry points are read once per process, when a unit is first validated.

Dependency rule: this module imports nothing of twinchat's but the shared error module and the
entry-point reader beside it. The engine's parts of an entry reach this package only as the
objects the entry points name.
"""

# without `from __future__ import annotations`: pydantic would compile each field's annotation
# string when the models are made (every command makes them); Python evaluates them here for less
import math
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Union

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, model_validator
from pydantic_core import PydanticCustomError, core_schema

from twinchat.units.entry_points import OwnEntryPoint, own_entry_points
from twinchat.units.errors import TwinchatError

if TYPE_CHECKING:
    from importlib import metadata

__all__ = ["GROUP", "SlotConfig", "weights_problem", "SlotSourceError", "SlotUnion", "slot_sources", "source_names", "collect",
           "OwnSources"]

#: The entry-point group slot sources register in.
GROUP = "twinchat.slot_sources"


class SlotSourceError(TwinchatError):
    """A slot-source plugin cannot be used (it fails to import, or its entry is malformed or clashes)."""


def weights_problem(field: str, weights: Sequence[float]) -> PydanticCustomError | None:
    """What is wrong with a list of draw weights, located at the bad weight (None when sound): each
    must be a finite number not below 0, and they must add up to a finite number above 0."""
    for i, w in enumerate(weights):
        if not math.isfinite(w) or w < 0:
            return PydanticCustomError("unit", f"{field}: weight {w!r} must be a finite number, 0 or more",
                                       {"at": [field, i]})
    total = math.fsum(weights)
    if not math.isfinite(total):
        return PydanticCustomError("unit", f"{field}: the weights add up past the largest number", {"at": [field]})
    if total <= 0:
        return PydanticCustomError("unit", f"{field}: at least one weight must be above 0", {"at": [field]})
    return None


class SlotConfig(BaseModel):
    """Base of every slot source's config: the fields all slots share.

    A source's config adds ``source: Literal["its name"]`` and its own fields.
    """

    # built on first validation (a unit from the built-in cache is made without any)
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    forms: list[str] | None = Field(
        default=None,
        description="Surface forms to draw from (e.g. plain, dashed, spaced, plus86 for a phone); "
        "the drawn form is the slot's text. Default: the source's own default form.",
    )
    form_weights: list[float] | None = Field(default=None, description="Weights of `forms`, same length.")

    @model_validator(mode="after")
    def _weights_match_forms(self) -> "SlotConfig":
        if self.form_weights is not None and len(self.form_weights) != len(self.forms or []):
            raise ValueError("form_weights must have one weight per form")
        problem = weights_problem("form_weights", self.form_weights or [1.0])
        if problem is not None:
            raise problem
        return self


#: an entry point as importlib.metadata reads it, or one of twinchat's own read without it
_EntryPoint = Union["metadata.EntryPoint", OwnEntryPoint]


def _where(ep: _EntryPoint) -> str:
    dist = ep.dist.name if ep.dist is not None else "an unknown distribution"
    return f"slot source {ep.name!r} ({ep.value}) of {dist}"


def _config_of(ep: _EntryPoint, entry: Any) -> type[SlotConfig]:
    """The entry's config model, checked: a SlotConfig whose ``source`` is the entry point's name."""
    config = getattr(entry, "config", None)
    if not (isinstance(config, type) and issubclass(config, SlotConfig)):
        raise SlotSourceError(f"{_where(ep)}: its `config` must be a subclass of SlotConfig")
    field = config.model_fields.get("source")
    tags = typing.get_args(field.annotation) if field is not None else ()
    if field is None or typing.get_origin(field.annotation) is not typing.Literal or tags != (ep.name,):
        raise SlotSourceError(f"{_where(ep)}: its config {config.__name__} must declare "
                              f"`source: Literal[{ep.name!r}]`")
    if not callable(getattr(entry, "drawer", None)):
        raise SlotSourceError(f"{_where(ep)}: it has no callable `drawer`")
    return config


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


def _load(ep: _EntryPoint) -> Any:
    """The entry ``ep`` names, checked."""
    try:
        entry = ep.load()
    except Exception as exc:  # a plugin's import may fail any way; it is reported, never swallowed
        raise SlotSourceError(f"{_where(ep)}: cannot be loaded: {type(exc).__name__}: {exc}") from exc
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
            entry = self._loaded[name] = _load(self._eps[name])
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

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        choices = {name: handler.generate_schema(entry.config) for name, entry in slot_sources().items()}
        return core_schema.tagged_union_schema(choices, discriminator="source")
