"""Benchmark: whole processes, start-up included — ``twinchat generate address_extraction`` at
10, 10,000 and 100,000 samples against the recipe's plain Faker + Jinja2 loop run as a script.

Run with ``pytest tests/bench/test_bench_startup.py --bench -s``. Prints numbers and ratios (the
baseline's time over twinchat's: above 1, twinchat is faster); it never asserts a timing. Both
commands run on the same machine one after the other, best of ``TWINCHAT_BENCH_ROUNDS`` (3),
on an existing world, writing a JSON-lines file as the user would. Also printed: the time to
import the ``twinchat`` command, and what the plain interpreter takes to start.

``TWINCHAT_BENCH_TWINCHAT`` runs another ``twinchat`` executable (another checkout's) instead
of the one beside this interpreter, to compare two versions in the same minutes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from baseline_loop import SCRIPT as BASELINE
from targets import byte_compiled, target

from twinchat.inventory import build_world

ROUNDS = int(os.environ.get("TWINCHAT_BENCH_ROUNDS", "3"))
SIZES = tuple(int(n) for n in os.environ.get("TWINCHAT_BENCH_SIZES", "10,10000,100000").split(","))



def _best(args: list[str], cwd: Path) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        subprocess.run(args, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return min(times)


@pytest.mark.bench
def test_bench_startup_whole_process(tmp_path):
    build_world(tmp_path / "w.db", seed=0)
    if not os.environ.get("TWINCHAT_BENCH_TWINCHAT"):
        byte_compiled()  # start as an installed twinchat starts (see targets.byte_compiled)
    exe = os.environ.get("TWINCHAT_BENCH_TWINCHAT") or str(Path(sys.executable).with_name("twinchat"))
    python = str(Path(exe).with_name("python")) if os.environ.get("TWINCHAT_BENCH_TWINCHAT") else sys.executable
    bare = _best([python, "-c", "pass"], tmp_path)
    imported = _best([python, "-c", "import twinchat.composer.cli"], tmp_path)
    print(f"\n{exe}, best of {ROUNDS}:")
    print(f"  python -c pass {bare:.2f}s; import twinchat.composer.cli {imported:.2f}s")
    for n in SIZES:
        base = _best([python, "-c", BASELINE, str(n), "base.jsonl"], tmp_path)
        ours = _best([exe, "generate", "address_extraction", "-n", str(n), "--db", "w.db", "-o", "x.jsonl",
                      "--force"], tmp_path)
        print(f"  {n:>7,} samples: baseline loop {base:6.2f}s ({n / base:>7,.0f}/s), twinchat generate "
              f"{ours:6.2f}s ({n / ours:>7,.0f}/s), ratio baseline/twinchat {base / ours:.2f}x")
        if n >= 10_000:
            target(f"whole-process generate address_extraction -n {n:,} against the baseline loop", base / ours,
                   3.0, "x")
