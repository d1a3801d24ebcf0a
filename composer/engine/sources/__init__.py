"""twinchat.composer.engine.sources — slot sources: one module per built-in source, and the registry.

Every source, twinchat's own and a plugin's, is a :class:`SlotSource` named by an entry point of
the group ``twinchat.slot_sources``; :func:`slot_source` finds the entry of a slot's ``source``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from twinchat.composer.engine.slot_values import Record, Text
from twinchat.composer.engine.sources.base import Drawer, SlotSource, form_picker
from twinchat.units.slot_sources import OwnSources, SlotSourceError, slot_sources

if TYPE_CHECKING:
    from twinchat.units.slot_config import SlotConfig

#: What a plugin's source needs: the entry, its config base, the form picker, the value types.
__all__ = ["SlotSource", "SlotConfig", "SlotSourceError", "Drawer", "form_picker", "Record", "Text", "registry",
           "slot_source"]


def __getattr__(name: str) -> Any:
    if name == "SlotConfig":  # pydantic's side, imported when a plugin first asks for it
        from twinchat.units.slot_config import SlotConfig

        return SlotConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@lru_cache(maxsize=1)
def registry() -> Mapping[str, SlotSource]:
    """Every registered slot source, by name (the entry points are read once per process;
    twinchat's own sources are imported as they are first asked for)."""
    entries = slot_sources()
    if isinstance(entries, OwnSources):
        return entries  # twinchat's own: each a SlotSource (a test checks them all)
    for name, entry in entries.items():
        if not isinstance(entry, SlotSource):
            raise SlotSourceError(f"slot source {name!r}: its entry point names a {type(entry).__name__}, "
                                  "not a twinchat.composer.engine.sources.SlotSource")
    return entries


def slot_source(slot: SlotConfig) -> SlotSource:
    """The entry of ``slot``'s source (a validated slot's source is always registered)."""
    return registry()[slot.source]  # type: ignore[attr-defined]
