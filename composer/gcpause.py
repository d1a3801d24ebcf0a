"""The cyclic garbage collector, paused while a ``twinchat`` process starts.

Start-up (imports, unit files, the world's caches, composers) makes hundreds of thousands of
objects that live as long as the process, and almost no garbage; the collector would walk them
again and again as they pile up (a few per cent of a short run). The command line pauses it
when it starts (:func:`pause`) and the command resumes it (:func:`resume`) when the work begins:
samples and sessions are made with the collector running as before. What start-up made is then
moved out of the collector's sight (``gc.freeze``): it is never garbage, so later collections
need not walk it, and forked workers do not copy it by touching its collector headers.

A library caller never paused the collector, so :func:`resume` leaves it as it was.
"""

from __future__ import annotations

import gc

__all__ = ["pause", "resume"]

_paused = False


def pause() -> None:
    """Stop automatic collection until :func:`resume` (only if it is running)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Set aside what start-up made and run the collector again, if :func:`pause` stopped it."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
