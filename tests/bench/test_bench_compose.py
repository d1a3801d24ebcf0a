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
* memory curve — one child process composing ``TWINCHAT_BENCH_MEMORY_N`` sessions of every flow with
  1 worker, its resident memory read at every tenth of the run: whether memory still grows in the
  run's second half, or only filled its bounded caches in the first.
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

_CURVE = """
import sys
from twinchat.composer.store.batches import compose_run

def rss():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

n, marks = int(sys.argv[2]), []
def progress(done, total):
    if done * 10 >= (len(marks) + 1) * total:
        marks.append((done, rss()))
compose_run(sys.argv[1], n=n, seed=0, workers=1, progress=progress)
print(" ".join(f"{done}:{kb}" for done, kb in marks))
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


@pytest.mark.bench
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads VmRSS from /proc")
def test_bench_compose_memory_curve(tmp_path):
    db = build_world(tmp_path / "world.db", seed=0)
    out = subprocess.run([sys.executable, "-c", _CURVE, str(db), str(MEMORY_N)], capture_output=True, text=True,
                         check=True).stdout.split()
    marks = [tuple(int(x) for x in mark.split(":")) for mark in out]
    print(f"\nresident memory while composing {MEMORY_N:,} sessions of every flow, 1 worker (kB):")
    for done, kb in marks:
        print(f"  {done:>9,} sessions  {kb:>9,}")
    half = next(kb for done, kb in marks if done * 2 >= MEMORY_N)
    print(f"second half of the run: {marks[-1][1] - half:+,} kB ({half:,} -> {marks[-1][1]:,}); "
          f"first tenth to the end: {marks[-1][1] - marks[0][1]:+,} kB")
