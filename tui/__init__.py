"""twinchat.tui — the Textual app to browse, edit, re-verify and export sessions."""

from twinchat.tui.app import TwinchatApp, run_tui
from twinchat.tui.workspace import TuiError, Workspace, check_db

__all__ = ["TwinchatApp", "TuiError", "Workspace", "check_db", "run_tui"]
