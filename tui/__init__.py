"""twinchat.tui — the Textual app to browse, edit, re-verify and export sessions."""

__all__: list[str] = []
