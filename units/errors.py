"""The root of twinchat's exceptions.

Every error a user can cause (a bad unit file, a bad argument, an existing output file) is a
:class:`TwinchatError`; the CLI turns one into a single line on stderr and exit code 1.
Anything else that escapes is a bug in twinchat and keeps its traceback.

The root lives in ``twinchat.units`` because this module imports nothing at all: it is the one
name that ``twinchat.inventory`` (which otherwise imports nothing of ours) takes from us.
"""

from __future__ import annotations

__all__ = ["TwinchatError", "UnitError", "ToolFileError"]


class TwinchatError(Exception):
    """A user-facing error: its message is one line naming the file, unit, template or field at fault."""


class UnitError(TwinchatError):
    """A unit or flow file is invalid (YAML, schema, template or variable)."""


class ToolFileError(UnitError):
    """A tool file (``kind: tool``) is invalid: its shape, a JSON Schema, a query, a template or
    its python target."""
