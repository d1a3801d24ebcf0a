"""Benchmark: verified sessions/second with 1 and 2 workers, and peak memory as runs grow.

Run with ``pytest tests/bench/test_bench_compose.py --bench -s``. Prints numbers and ratios; it
never asserts a timing.

* throughput — ``compose_run`` of the shopping flow (compose + verify + store, batches of 200)
  with 1 worker, then 2 workers, each into a fresh copy of one world; the baseline is the
  1-worker run in this process. ``TWINCHAT_BENCH_N`` sets the sessions per run (default
  100,000). Start-up (world snapshot, composers, worker processes, the first batch's one-off
  template compilation) is part of each run and printed apart: the time to the first committed
  batch. Modules are imported before either run is timed, so neither pays for the import.
* memory — peak resident memory of a child process composing N sessions of every flow with
  2 workers, for N = 1/10 of ``TWINCHAT_BENCH_MEMORY_N`` and for that N (default 100,000); the
  ratio of the two peaks shows whether memory grows with the number of sessions.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from twinchat.composer.store.batches import compose_run
from twinchat.inventory import build_world

N = int(os.environ.get("TWINCHAT_BENCH_N", "100000"))
MEMORY_N = int(os.environ.get("TWINCHAT_BENCH_MEMORY_N", "100000"))

_CHILD = """
import resource, sys
from twinchat.composer.store.batches import compose_run
compose_run(sys.argv[1], n=int(sys.argv[2]), seed=0, workers=2)
self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(self, children)
"""


@pytest.mark.bench
def test_bench_compose_throughput(tmp_path):
    import twinchat.composer.engine.compose  # noqa: F401 - imported before timing (the 1-worker run would pay alone)

    world = build_world(tmp_path / "world.db", seed=0)
    rates = {}
    for workers in (1, 2):
        db = tmp_path / f"w{workers}.db"
        shutil.copy(world, db)
        first: list[float] = []

        def progress(done: int, total: int) -> None:
            if done and not first:
                first.append(time.perf_counter())

        started = time.perf_counter()
        report = compose_run(db, flow="memory_upgrade", n=N, seed=0, workers=workers, progress=progress)
        seconds = time.perf_counter() - started
        assert report.composed == N
        rates[workers] = (N - report.failed) / seconds
        print(f"\nmemory_upgrade, {workers} worker(s): {N:,} sessions in {seconds:.2f}s = "
              f"{rates[workers]:,.0f} verified sessions/s ({report.failed} failed; first batch committed "
              f"after {first[0] - started:.2f}s)")
    print(f"2 workers / 1 worker: {rates[2] / rates[1]:.2f}x (on {os.cpu_count()} cores)")


@pytest.mark.bench
def test_bench_compose_memory(tmp_path):
    world = build_world(tmp_path / "world.db", seed=0)
    peaks = {}
    for n in (MEMORY_N // 10, MEMORY_N):
        db = tmp_path / f"m{n}.db"
        shutil.copy(world, db)
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _CHILD, str(db), str(n)], capture_output=True, text=True,
                             check=True).stdout.split()
        seconds = time.perf_counter() - started
        parent, worker = (int(x) for x in out)  # KiB on Linux
        peaks[n] = (parent, worker)
        print(f"\n{n:,} sessions (all flows, 2 workers) in {seconds:.0f}s: peak RSS parent {parent / 1024:.0f} MiB, "
              f"largest worker {worker / 1024:.0f} MiB; store {db.stat().st_size / 2**20:.0f} MiB")
    small, large = peaks[MEMORY_N // 10], peaks[MEMORY_N]
    print(f"peak RSS ratio {MEMORY_N:,} / {MEMORY_N // 10:,} sessions: parent {large[0] / small[0]:.2f}x, "
          f"worker {large[1] / small[1]:.2f}x")
