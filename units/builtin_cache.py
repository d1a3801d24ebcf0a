"""The built-in units' validated form, shipped beside their YAML files (``builtin_units.jsonl``).

The built-in units are the same in every process, so a process need not parse and validate
them each time: ``builtin_units.jsonl`` holds, one line per built-in unit file, the file's name,
the SHA-256 of its text and the unit's validated models as JSON (each model with its class and
the fields that were set). The loader takes a built-in unit from there only while the file's
text still has that hash and the models still have those fields; otherwise it parses and
validates the file as it does every user's file. A test rebuilds the cache from the YAML files
and fails when it differs from the shipped one (``twinchat.units.loader.write_builtin_cache()``
writes it anew).

Models are made with ``model_construct`` (no validation: the values are the validated ones) and
equal those validation makes.
"""

from __future__ import annotations

import hashlib
import json
from sys import intern
from functools import lru_cache
from importlib import resources
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from twinchat.units import spec
from twinchat.units.slot_sources import SlotConfig, slot_sources

__all__ = ["CACHE_FILE", "StaleCache", "cached_unit", "cache_text", "encode", "decode"]

#: The cache's file name in the package ``twinchat.units``.
CACHE_FILE = "builtin_units.jsonl"

#: The spec's models a cached unit may hold (slot configs are found by their ``source``).
_MODELS: dict[str, type[BaseModel]] = {cls.__name__: cls for cls in (
    spec.Unit, spec.Template, spec.LabelField, spec.ToolCall, spec.Outcome, spec.Case, spec.Noise)}


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
    if isinstance(value, BaseModel):
        head = {"__slot__": value.source} if isinstance(value, SlotConfig) else {"__model__": type(value).__name__}
        if "__model__" in head and _MODELS.get(head["__model__"]) is not type(value):
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


def decode(data: Any) -> Any:
    """The models :func:`encode` wrote, made without validation; :class:`StaleCache` when they no
    longer fit the models."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "__items__" in data:
        return {decode(k): decode(v) for k, v in data["__items__"]}
    if "__model__" in data:
        cls = _MODELS.get(data["__model__"])
    elif "__slot__" in data:
        entry = slot_sources().get(data["__slot__"])
        cls = getattr(entry, "config", None)
    else:  # keys interned as validation makes them: the engine's lookups of slot and field names
        return {intern(k): decode(v) for k, v in data.items()}
    fields = data["fields"]
    if cls is None or fields.keys() != cls.model_fields.keys():
        raise StaleCache(f"{data.get('__model__') or data.get('__slot__')}: the cached fields are not the model's")
    return cls.model_construct(set(data["set"]), **{k: decode(v) for k, v in fields.items()})


#: how each line of the cache begins, up to its file's name
_HEAD = b'{"file": "'


@lru_cache(maxsize=1)
def _lines() -> dict[str, bytes]:
    """The cache's lines by file name, as bytes: each decoded only when its unit is asked for (the
    whole cache, half a megabyte of text, decoded at once cost every start 20 million instructions)."""
    try:
        data = (resources.files("twinchat.units") / CACHE_FILE).read_bytes()
    except OSError:
        return {}
    lines = {}
    for line in filter(None, data.split(b"\n")):
        name = line[len(_HEAD):line.find(b'"', len(_HEAD))].decode("utf-8", "replace")
        lines[name] = line
    return lines


def cached_unit(path: Path) -> spec.Unit | None:
    """The built-in unit of the file at ``path`` from the cache, or None when the cache has no
    unit made from this very text (the caller then loads the file in full)."""
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
        return decode(entry["unit"])
    except (StaleCache, ValueError, KeyError, TypeError, AttributeError):
        return None  # a damaged cache line: the file is loaded and checked in full instead


def cache_text(units: Iterable[tuple[Path, spec.Unit]]) -> str:
    """The cache's text for the built-in unit files and the units validation made of them. A unit
    with a value JSON cannot hold is left out (it is loaded in full each time)."""
    out = []
    for path, unit in units:
        try:
            encoded = encode(unit)
        except ValueError:
            continue
        entry = {"file": path.name, "sha256": _digest(path.read_bytes()), "unit": encoded}
        out.append(json.dumps(entry, ensure_ascii=False) + "\n")
    return "".join(out)
