"""The modules a ``twinchat`` command loads, seen from a fresh interpreter (start-up tests)."""

from __future__ import annotations

import subprocess
import sys


def modules_after(*args: str) -> set[str]:
    """The modules in ``sys.modules`` after ``twinchat ARGS`` ran (and exited 0) in a new process."""
    probe = (
        "import sys\n"
        "from twinchat.composer.cli import cli\n"
        f"try:\n    cli({list(args)!r})\nexcept SystemExit as stop:\n    assert stop.code == 0, stop.code\n"
        "print('MODULES', ' '.join(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("MODULES "))
    return set(line.split()[1:])
