"""What the benchmarks print about issue #22's and #17's speed targets, and what they do first.

Every benchmark prints its numbers and ratios and never asserts a timing; :func:`target` adds one
line per target, the number measured beside the goal, so a run says which are met on this
machine in these minutes. :func:`byte_compiled` writes the bytecode of twinchat's modules first,
as ``pip install`` does for a wheel: whole-process runs then start as a user's would, also where
``PYTHONDONTWRITEBYTECODE`` is set (an editable checkout would otherwise compile every module of
the package in every process).
"""

from __future__ import annotations

import compileall
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).parents[2]
#: the folders of the installed packages (pyproject's package-dir)
PACKAGES = ("units", "inventory", "composer", "tui")


def byte_compiled() -> None:
    """Write the bytecode of every twinchat module (into ``__pycache__``, as an install does)."""
    for folder in PACKAGES:
        compileall.compile_dir(str(ROOT / folder), quiet=1)


def target(what: str, value: float, goal: float, unit: str, *, at_least: bool = True) -> str:
    """One line: ``what``, the value against the goal, and whether it is met."""
    met = value >= goal if at_least else value <= goal
    sign = "≥" if at_least else "≤"
    line = f"  TARGET {what}: {value:,.2f} {unit} (goal {sign} {goal:,.2f} {unit}) — {'met' if met else 'NOT met'}"
    print(line)
    return line


def rates(fn: Callable[[], int], rounds: int = 3) -> tuple[float, float]:
    """Items per second of ``fn`` (it returns how many it made), best of ``rounds``: by the wall
    clock, and by this process's CPU time (steadier on a machine others load)."""
    wall, cpu = [], []
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        done = fn()
        wall.append((time.perf_counter() - started) / done)
        cpu.append((time.process_time() - started_cpu) / done)
    return 1 / min(wall), 1 / min(cpu)
