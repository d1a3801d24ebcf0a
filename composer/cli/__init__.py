"""The ``twinchat`` command line: thin commands over the library. The only part of the engine
that may import the TUI."""

from twinchat.composer.cli.commands import cli, main

__all__ = ["cli", "main"]
