"""The ``twinchat`` console script's entry point: the plain form of ``generate`` runs without
click (:mod:`twinchat.composer.cli.plain_generate`), everything else through the click commands
(:mod:`twinchat.composer.cli.commands`), imported only then."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

from twinchat.composer.cli.plain_generate import run
from twinchat.composer.gcpause import pause

__all__ = ["main"]


def _terminated(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point: SIGTERM is handled as Ctrl-C."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminated)
    pause()  # the command resumes the collector when its work begins (see twinchat.composer.gcpause)
    code = run(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from twinchat.composer.cli.commands import cli

    cli(prog_name="twinchat")
