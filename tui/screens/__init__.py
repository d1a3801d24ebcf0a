"""The app's screens, one per module."""

__all__: list[str] = []
