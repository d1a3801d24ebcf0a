"""The built-in units' validated form, shipped beside their YAML files (``builtin_units.jsonl``).

The built-in units are the same in every process, so a process need not parse and validate
them each time: ``builtin_units.jsonl`` holds, one line per built-in unit file, the file's name,
the SHA-256 of its text and the unit's validated models as JSON (each model with its class and
the fields that were set); its first line holds the SHA-256 of the sources of the models
(:data:`MODEL_SOURCES`). The loader takes a built-in unit from there only while the file's text
still has that hash and the models' sources theirs; otherwise it parses and validates the file
as it does every user's file. A test rebuilds the cache from the YAML files and fails when it
differs from the shipped one (``twinchat.units.loader.write_builtin_cache()`` writes it anew).

The spec's models (and the slot configs a source names as ``"module:Name"``) come back as
:class:`~twinchat.units.cached_models.CachedModel` objects, made without pydantic; other slot
configs (a plugin's class) with ``model_construct``. Both equal the models validation makes.
"""

from __future__ import annotations

import hashlib
import json
from sys import intern
from functools import lru_cache
from importlib import import_module
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from twinchat.units.cached_models import SPEC, CachedModel, model_class, real
from twinchat.units.slot_sources import slot_sources

__all__ = ["CACHE_FILE", "MODEL_SOURCES", "StaleCache", "cached_unit", "cache_text", "encode", "decode", "models_digest"]

#: The cache's file name in the package ``twinchat.units``.
CACHE_FILE = "builtin_units.jsonl"

#: The modules whose text decides the models' fields (a change to one makes the cache stale).
MODEL_SOURCES = ("spec.py", "slot_config.py")

#: The spec's models a cached unit may hold (slot configs are found by their ``source``).
_MODELS = ("Unit", "Template", "LabelField", "ToolCall", "Outcome", "Case", "Noise")


#: The keys that mark an encoded model or mapping (a plain mapping never has them).
_TAGS = {"__slot__", "__model__", "__items__"}


class StaleCache(Exception):
    """The cached form does not fit the models as they are now (a field added or gone, a slot
    source no longer registered): the file is loaded in full instead."""


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def encode(value: Any) -> Any:
    """``value`` (a validated unit or a part of it) as JSON data: each model as its class name
    (a slot config as its source), the fields that were set and every field's value."""
    from pydantic import BaseModel

    from twinchat.units import spec
    from twinchat.units.slot_config import SlotConfig

    if isinstance(value, CachedModel):
        value = real(value)
    if isinstance(value, BaseModel):
        name = type(value).__name__
        head = {"__slot__": value.source} if isinstance(value, SlotConfig) else {"__model__": name}
        if "__model__" in head and (name not in _MODELS or getattr(spec, name) is not type(value)):
            raise ValueError(f"{type(value).__name__} is not a model of the unit spec")
        return {**head, "set": sorted(value.model_fields_set),
                "fields": {name: encode(getattr(value, name)) for name in type(value).model_fields}}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):  # JSON's keys are strings: kept as pairs
            return {"__items__": [[encode(k), encode(v)] for k, v in value.items()]}
        if _TAGS & value.keys():
            raise ValueError(f"a mapping the cache cannot tell from a model: {sorted(value)}")
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if value is None or type(value) in (str, int, float, bool):
        return value
    raise ValueError(f"a value of type {type(value).__name__} has no JSON form")


def decode(data: Any, lite: bool = True) -> Any:
    """The models :func:`encode` wrote, made without validation: the spec's (and slot configs named
    ``"module:Name"``) as cached models when ``lite``, else as the real ones (``model_construct``);
    :class:`StaleCache` when they no longer fit the models."""
    if isinstance(data, list):
        return [decode(v, lite) for v in data]
    if not isinstance(data, dict):
        return data
    if "__items__" in data:
        return {decode(k, lite): decode(v, lite) for k, v in data["__items__"]}
    if "__model__" in data:
        name = data["__model__"]
        if name not in _MODELS:
            raise StaleCache(f"{name}: not a model of the unit spec")
        return _made(f"{SPEC}:{name}", data, lite)
    if "__slot__" not in data:  # keys interned as validation makes them: the engine's lookups of slot and field names
        return {intern(k): decode(v, lite) for k, v in data.items()}
    config = getattr(slot_sources().get(data["__slot__"]), "config", None)
    if isinstance(config, str):  # a model imported when first needed: stands in for it
        return _made(config, data, lite)
    return _constructed(config, data, lite)


def _made(place: str, data: dict[str, Any], lite: bool) -> Any:
    if not lite:
        module, name = place.split(":")
        return _constructed(getattr(import_module(module), name), data, lite)
    return model_class(place)(data["set"], {k: decode(v, lite) for k, v in data["fields"].items()})


def _constructed(cls: Any, data: dict[str, Any], lite: bool) -> Any:
    """The real model of class ``cls`` that ``data`` holds (a model's fields checked against the class's)."""
    fields = data["fields"]
    if not isinstance(cls, type) or fields.keys() != cls.model_fields.keys():
        raise StaleCache(f"{data.get('__model__') or data.get('__slot__')}: the cached fields are not the model's")
    return cls.model_construct(set(data["set"]), **{k: decode(v, lite) for k, v in fields.items()})


#: how each line of the cache begins, up to its file's name
_HEAD = b'{"file": "'
#: how the cache's first line begins, up to the hash of the models' sources
_MODELS_HEAD = '{"models": "'


#: the package's folder: its files are read by path (every install unpacks the package as a folder),
#: which spares each process importing ``importlib.resources`` and what it pulls in
_PACKAGE = Path(__file__).parent


def models_digest() -> str:
    """The SHA-256 of the sources of the models (:data:`MODEL_SOURCES`), or "" when one cannot be read."""
    root = _PACKAGE
    try:
        return _digest(b"\0".join((root / name).read_bytes() for name in MODEL_SOURCES))
    except OSError:
        return ""


@lru_cache(maxsize=1)
def _lines() -> dict[str, bytes]:
    """The cache's lines by file name, as bytes: each decoded only when its unit is asked for (the
    whole cache, half a megabyte of text, decoded at once cost every start 20 million instructions)."""
    try:
        data = (_PACKAGE / CACHE_FILE).read_bytes()
    except OSError:
        return {}
    first, _, data = data.partition(b"\n")
    digest = models_digest()
    if not digest or first != f'{_MODELS_HEAD}{digest}"}}'.encode():
        return {}  # made from other models: every built-in file is loaded in full
    lines = {}
    for line in filter(None, data.split(b"\n")):
        name = line[len(_HEAD):line.find(b'"', len(_HEAD))].decode("utf-8", "replace")
        lines[name] = line
    return lines


def cached_unit(path: Path, lite: bool = True) -> Any:
    """The built-in unit of the file at ``path`` from the cache (as cached models when ``lite``, else
    as the real ones: see :func:`decode`), or None when the cache has no unit made from this very
    text (the caller then loads the file in full)."""
    line = _lines().get(path.name)
    if line is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None  # the full load says what is wrong with the file
    try:
        entry = json.loads(line)
        if entry["sha256"] != _digest(data):
            return None
        return decode(entry["unit"], lite)
    except (StaleCache, ValueError, KeyError, TypeError, AttributeError):
        return None  # a damaged cache line: the file is loaded and checked in full instead


def cache_text(units: Iterable[tuple[Path, Any]]) -> str:
    """The cache's text for the built-in unit files and the units validation made of them. A unit
    with a value JSON cannot hold is left out (it is loaded in full each time)."""
    out = [f'{_MODELS_HEAD}{models_digest()}"}}\n']
    for path, unit in units:
        try:
            encoded = encode(unit)
        except ValueError:
            continue
        entry = {"file": path.name, "sha256": _digest(path.read_bytes()), "unit": encoded}
        out.append(json.dumps(entry, ensure_ascii=False) + "\n")
    return "".join(out)
