"""Export formats: a registry of :class:`Format` entries, one module per built-in format holding its
converter, its consumer's rules and its dataset-card text. ``FORMATS`` is the registry as a mapping
(read from the ``twinchat.formats`` entry points on first use)."""

from typing import Any

from twinchat.composer.export.formats.base import Converter, ExportError, Record, RuleViolation, annotate, \
    gold_item, openai_tools, session_templates, system_prompt
from twinchat.composer.export.formats.registry import Format, FormatRegistryError, format_names, formats, \
    get_converter, get_format

__all__ = ["FORMATS", "Converter", "ExportError", "Format", "FormatRegistryError", "Record", "RuleViolation",
           "annotate", "format_names", "formats", "get_converter", "get_format", "gold_item", "openai_tools",
           "session_templates", "system_prompt"]


def __getattr__(name: str) -> Any:
    if name == "FORMATS":  # loaded on first use, so importing a format module loads no plugin
        return formats()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
