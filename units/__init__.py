"""twinchat.units — the content: unit and flow models, their loader, the built-in unit files.

Dependency rule: this package imports nothing else of twinchat's.
"""

from twinchat.units.errors import TwinchatError, UnitError

__all__ = ["TwinchatError", "UnitError"]
