"""Entry points of twinchat's own distribution, read without ``importlib.metadata`` when no other
distribution declares the group.

Importing ``importlib.metadata`` (with the ``email``, ``zipfile`` and ``csv`` modules it pulls in)
and reading every installed distribution's entry points costs each process about a tenth of its
start. Most processes have no plugin: :func:`own_entry_points` lists the installed distributions
on ``sys.path`` as ``importlib.metadata`` does, and when none but twinchat's own mentions the
group, reads the group from twinchat's own ``entry_points.txt``. Whenever another distribution
mentions it, or anything is unusual (a zip or egg on the path, another distribution finder, a line
it does not read exactly as ``importlib.metadata`` would), it answers None and the caller reads
the group with ``importlib.metadata``: plugins are found exactly as before.

Dependency rule: this module imports nothing of twinchat's.
"""

from __future__ import annotations

import os
import re
import sys
from functools import reduce
from importlib import import_module
from importlib.machinery import PathFinder
from typing import Any, NamedTuple

__all__ = ["OwnEntryPoint", "own_entry_points"]

#: the distribution whose entry points are read here
OWN = "twinchat"
#: what importlib.metadata's EntryPoint reads a value with (module, attributes, extras)
_VALUE = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")
#: the folders a distribution's metadata is in
_INFO = (".dist-info", ".egg-info")


class _Dist(NamedTuple):
    name: str


class OwnEntryPoint(NamedTuple):
    """One of twinchat's own entry points: what the registries read of an
    ``importlib.metadata.EntryPoint`` (``name``, ``value``, ``group``, ``dist.name``, ``load()``)."""

    name: str
    value: str
    group: str
    dist: _Dist = _Dist(OWN)

    def load(self) -> Any:
        """The object the value names, imported as ``EntryPoint.load`` imports it."""
        match = _VALUE.match(self.value)
        assert match is not None  # checked when read
        attrs = filter(None, (match.group("attr") or "").split("."))
        return reduce(getattr, attrs, import_module(match.group("module")))


def _normalized(folder: str) -> str:
    """The distribution name of a metadata folder, as importlib.metadata compares names."""
    name = folder.lower().rpartition(".")[0].partition("-")[0]
    return re.sub(r"[-_.]+", "_", name)


def _sections(text: str, group: str) -> list[tuple[str, str]] | None:
    """The ``name = value`` pairs of ``group`` in an entry_points.txt, read as importlib.metadata
    reads it; None when a line of the group is not one it would read the same way."""
    pairs, section = [], None
    for line in map(str.strip, text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
            continue
        if section != group:
            continue
        name, eq, value = line.partition("=")
        if not eq or _VALUE.match(value.strip()) is None:
            return None
        pairs.append((name.strip(), value.strip()))
    return pairs


def own_entry_points(group: str) -> list[OwnEntryPoint] | None:
    """twinchat's own entry points of ``group`` (in its file's order) when no other installed
    distribution mentions the group; None when one may, or the path holds what this reader does
    not look into (the caller then asks ``importlib.metadata``)."""
    if any(getattr(finder, "find_distributions", None) is not None and finder is not PathFinder
           for finder in sys.meta_path):
        return None  # another finder may list distributions of its own
    own: list[OwnEntryPoint] | None = None
    seen: set[str] = set()  # as importlib.metadata: the first distribution of a name hides the others
    for entry in sys.path:
        root = entry or "."
        try:
            children = os.listdir(root)
        except OSError:
            if os.path.exists(root):
                return None  # a zip file (or a folder that cannot be listed)
            continue
        if os.path.basename(root).lower().endswith(".egg"):
            return None
        here: set[str] = set()
        for child in children:
            if not child.lower().endswith(_INFO):
                continue
            name = _normalized(child)
            if name in here:
                return None  # two of one name in a folder: which comes first is importlib.metadata's to say
            here.add(name)
            if name in seen:
                continue
            seen.add(name)
            try:
                with open(os.path.join(root, child, "entry_points.txt"), encoding="utf-8") as fh:
                    text = fh.read()
            except (FileNotFoundError, NotADirectoryError):
                continue
            except (OSError, ValueError):
                return None
            if group not in text:
                continue
            if name != OWN:
                return None  # a plugin: importlib.metadata reads them all
            pairs = _sections(text, group)
            if pairs is None:
                return None
            own = [OwnEntryPoint(name, value, group) for name, value in pairs]
    return own
