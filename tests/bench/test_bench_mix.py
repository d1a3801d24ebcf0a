"""Benchmark: what users run — the whole built-in mix of flows, and a writing tool's unit.

Run with ``pytest tests/bench/test_bench_mix.py --bench -s``. Prints numbers and ratios; it never
asserts a timing.

* mix — ``compose_run`` over every built-in flow (``-n`` split across them, as ``twinchat compose``
  does) with 1 worker, then 2, each into a fresh copy of one world; the baseline is the 1-worker
  run in this process. ``TWINCHAT_BENCH_MIX_N`` sets the sessions per run (default 20,000).
* whole process — ``twinchat compose -n N`` over the mix as a user runs it (start-up, world snapshot,
  store writes), with 1 and 2 workers, for N of ``TWINCHAT_BENCH_PROCESS_N`` (default 1,000, 10,000
  and 100,000), beside the recipe's plain Faker + Jinja2 loop writing N lines in the same minutes
  (the baseline of ``test_bench_generate``: it composes no dialogue, checks nothing, and is the
  floor a whole process is measured against).
* writing tool — ``ticket_create_call`` samples/s in-process (``create_ticket`` writes a ticket that
  is undone after every sample), beside ``address_extraction``, which calls no tool, as the baseline
  in the same process. ``TWINCHAT_BENCH_TICKET_N`` sets the samples (default 5,000).

Both mix benchmarks first compose 2,400 sessions untimed, so that every timed run reads compiled
templates from the cache, as a user's runs after the first do.
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from twinchat.composer.engine.generate import UnitGenerator
from twinchat.composer.store.batches import compose_run
from twinchat.composer.verify.samples import Verifier
from twinchat.inventory import build_world, open_world
from twinchat.units.loader import load_units

MIX_N = int(os.environ.get("TWINCHAT_BENCH_MIX_N", "20000"))
TICKET_N = int(os.environ.get("TWINCHAT_BENCH_TICKET_N", "5000"))


@pytest.mark.bench
def test_bench_compose_mix(tmp_path):
    import twinchat.composer.engine.compose  # noqa: F401 - imported before timing

    world = build_world(tmp_path / "world.db", seed=0)
    _warm_template_cache(world, tmp_path)
    rates = {}
    for workers in (1, 2):
        db = tmp_path / f"mix{workers}.db"
        shutil.copy(world, db)
        started = time.perf_counter()
        report = compose_run(db, n=MIX_N, seed=0, workers=workers)
        seconds = time.perf_counter() - started
        assert report.composed == MIX_N
        rates[workers] = (MIX_N - report.failed) / seconds
        flows = ", ".join(f"{flow} {n:,}" for flow, n in sorted(report.asked.items()))
        print(f"\nall flows ({flows}), {workers} worker(s): {MIX_N:,} sessions in {seconds:.2f}s = "
              f"{rates[workers]:,.0f} verified sessions/s ({report.failed} failed)")
    print(f"2 workers / 1 worker: {rates[2] / rates[1]:.2f}x (on {os.cpu_count()} cores)")


#: Sessions of the mix composed, untimed, before the timed runs: compiled templates are kept
#: between runs (in the test session's cache directory), so without this the first timed run
#: (1 worker) would compile what the second (2 workers) then reads, and the ratio would flatter two.
WARM_N = 2_400


def _warm_template_cache(world, tmp_path) -> None:
    warm = tmp_path / "warm.db"
    shutil.copy(world, warm)
    compose_run(warm, n=WARM_N, seed=1, workers=1)
    warm.unlink()


PROCESS_N = tuple(int(n) for n in os.environ.get("TWINCHAT_BENCH_PROCESS_N", "1000,10000,100000").split(","))


@pytest.mark.bench
def test_bench_compose_mix_whole_process(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from baseline_loop import SCRIPT as _BASELINE_SCRIPT

    world = build_world(tmp_path / "world.db", seed=0)
    _warm_template_cache(world, tmp_path)
    exe = str(Path(sys.executable).with_name("twinchat"))

    def timed(args: list[str]) -> float:
        started = time.perf_counter()
        subprocess.run(args, cwd=tmp_path, check=True, capture_output=True)
        return time.perf_counter() - started

    print("\nwhole process, every built-in flow (twinchat compose -n N), beside the baseline loop writing N lines")
    for n in PROCESS_N:
        base = timed([sys.executable, "-c", _BASELINE_SCRIPT, str(n), "base.jsonl"])
        line = f"  {n:>7,}: baseline loop {n / base:>8,.0f} lines/s"
        rates = {}
        for workers in (1, 2):
            db = tmp_path / f"mix{workers}.db"
            shutil.copy(world, db)
            seconds = timed([exe, "compose", "-n", str(n), "--workers", str(workers), "--db", db.name])
            rates[workers] = n / seconds
            line += f" | {workers} worker(s) {rates[workers]:>7,.0f} sessions/s"
        print(f"{line} | 2 / 1 workers {rates[2] / rates[1]:.2f}x")


def _samples_per_second(src, conn, n: int) -> tuple[float, int]:
    gen = UnitGenerator(src, conn, seed=0)
    verify = Verifier(src.unit, rerun=gen.call)
    gen.sample(0)  # one-off template compilation is not part of the rate
    failures = 0
    started = time.perf_counter()
    for i in range(1, n + 1):
        if verify(gen.sample(i).to_json()):
            failures += 1
    return n / (time.perf_counter() - started), failures


@pytest.mark.bench
def test_bench_writing_tool_unit(tmp_path):
    conn = open_world(build_world(tmp_path / "w.db", seed=0))
    units = load_units()
    base, _ = _samples_per_second(units["address_extraction"], conn, TICKET_N)
    ours, failures = _samples_per_second(units["ticket_create_call"], conn, TICKET_N)
    print(f"\n{TICKET_N:,} samples each, in-process, verified:")
    print(f"  address_extraction (no tool)            {base:>10,.0f} samples/s")
    print(f"  ticket_create_call (create_ticket)      {ours:>10,.0f} samples/s ({failures} failed)")
    print(f"  ratio ticket_create_call / address      {ours / base:>10.2f}x")
    conn.close()
