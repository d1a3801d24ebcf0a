"""Benchmark: pairs per second of units drafted from a tool's schema (``generate --tool``).

Run with ``pytest tests/bench/test_bench_drafted.py --bench -s``. It prints numbers and ratios;
it never asserts a timing. Everything runs in this process, best of three rounds, beside the
written unit of the same tool:

* written — the README's ``callback_request`` over ``BookCallback`` (five arguments), its default
  product, as ``generate --exhaustive`` runs it (rendered, called once per request, verified, JSON);
* drafted — the unit ``generate --tool BookCallback`` drafts from the schema alone, in both shapes
  (the customer's words, the ReAct step), the same loop;
* drafted, negatives — the drafted unit's robustness cases alone (left out, wrong type, rejected).
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import pytest

from twinchat.composer.engine.exhaustive import _request, plan, samples
from twinchat.composer.engine.generate import UnitGenerator
from twinchat.composer.engine.negatives import negative_samples, sample_verifier
from twinchat.composer.engine.schema_units import draft_unit
from twinchat.composer.tools import using_tools
from twinchat.inventory import build_world, open_world
from twinchat.units.loader import load_units

N = 6_000


def _rate(conn, src, negatives: bool = False) -> float:
    """Pairs per second: the first N of the default product, or N negatives alone."""
    def run() -> int:
        gen = UnitGenerator(src, conn, seed=0)
        verify = sample_verifier(src.unit, gen.call)
        p = plan(gen, {}, None, N / 4_200 if negatives else 0.0)
        made = negative_samples(gen, p, p.valid, lambda r: _request(gen, p, r)) if negatives else samples(gen, p)
        done = failed = 0
        for sample in itertools.islice(made, N):
            record = sample.to_json()
            failed += bool(verify(record))
            json.dumps(record, ensure_ascii=False)
            done += 1
        assert failed == 0
        return done

    times = []
    for _ in range(3):
        started = time.perf_counter()
        done = run()
        times.append((time.perf_counter() - started) / done)
    return 1 / min(times)


@pytest.mark.bench
def test_bench_drafted(tmp_path: Path, readme_pairs_units: Path):
    db = tmp_path / "w.db"
    conn = open_world(build_world(db, seed=0))
    declared = readme_pairs_units
    units = load_units([declared])
    with using_tools([str(declared)], str(db)):
        written = _rate(conn, units["callback_request"])
        drafted = _rate(conn, draft_unit("BookCallback", conn=conn))
        action = _rate(conn, draft_unit("BookCallback", "action", conn=conn))
        negatives = _rate(conn, draft_unit("BookCallback", negatives=True, conn=conn), negatives=True)
    conn.close()
    print(f"\nBookCallback pairs (5 arguments), {N:,} per round, best of 3")
    print(f"  written unit callback_request            {written:>10,.0f} pairs/s")
    print(f"  drafted --tool (instruction shape)       {drafted:>10,.0f} pairs/s  {drafted / written:.2f}x")
    print(f"  drafted --tool --shape action            {action:>10,.0f} pairs/s  {action / written:.2f}x")
    print(f"  drafted --tool --negative (negatives)    {negatives:>10,.0f} pairs/s  {negatives / written:.2f}x")
