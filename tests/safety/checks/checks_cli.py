"""Running ``twinchat`` in a child process, as the checks catalogue does, and a folder's bytes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["run_twinchat", "snapshot"]

_CODE = "import sys; from twinchat.composer.cli import main; sys.argv[0] = 'twinchat'; main()"


def run_twinchat(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The finished ``twinchat`` process (killed after 120 s)."""
    return subprocess.run([sys.executable, "-c", _CODE, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, input=stdin, env=dict(os.environ), check=False)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (to assert that nothing was changed)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
