"""twinchat.units — the content: unit models (the spec), their loader, the built-in unit files.

Dependency rule: this package imports nothing else of twinchat's.
"""

from twinchat.units.errors import TwinchatError, UnitError
from twinchat.units.loader import UnitSource, builtin_paths, load_unit_file, load_units
from twinchat.units.spec import Unit

__all__ = ["TwinchatError", "UnitError", "Unit", "UnitSource", "load_units", "load_unit_file", "builtin_paths"]
