"""The app's widgets: the virtual session list and the chat of a session."""

__all__: list[str] = []
