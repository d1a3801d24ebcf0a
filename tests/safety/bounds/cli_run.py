"""Running ``twinchat`` in a child process under a time limit, as the bounds catalogue does."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["run_twinchat", "snapshot"]

_ENV_DROPPED = ("TWINCHAT_ENDPOINT", "TWINCHAT_MODEL", "TWINCHAT_API_KEY", "OPENAI_API_KEY")


def run_twinchat(*args: str, cwd: Path, limit: float) -> tuple[subprocess.CompletedProcess[str], float]:
    """The finished ``twinchat`` process and its wall-clock seconds; a run past ``limit`` seconds
    is killed and fails the test (subprocess.TimeoutExpired) instead of hanging it."""
    env = {k: v for k, v in os.environ.items() if k not in _ENV_DROPPED}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1"
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", "from twinchat.composer.cli import main; main()", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=limit)
    return done, time.monotonic() - start


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (to assert that nothing was left behind)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
