"""Benchmark: function-call pairs per second from ``generate --exhaustive``, beside the recipe's loop.

Run with ``pytest tests/bench/test_bench_pairs.py --bench -s``. It prints numbers and ratios; it
never asserts a timing. All loops run in this process, one after the other, best of three rounds.

* baseline — the recipe's approach for a five-field request: ``itertools.product`` over five
  value lists, one precompiled (unsandboxed) Jinja2 instruction per request and the JSON of the
  call; nothing is checked against a world.
* exhaustive — ``twinchat generate`` as it runs an exhaustive plan: pooled requests, every
  instruction rendered in the sandbox, the label, the tool call (one real call per request, its
  result reused by the request's other instructions), ``Verifier`` re-running every call, JSON.
  Three units: ``ticket_create_call`` (the recipe's 10 × 8 × 6 × 2 over ``create_ticket``, seven
  arguments, a writing tool), the README's ``callback_request`` (a declared five-field tool,
  ``BookCallback``, its default product) and ``address_extraction`` (a label, no tool).
* drawn — ``ticket_create_call`` drawn with ``-n`` (a fresh request, and so a fresh tool call, per
  sample), the number issue #22 tracks.

Units that call a tool run on the tracked in-memory copy of the world ``twinchat generate`` gives
them (``world_snapshot``). Each rate is printed by the wall clock and by this process's CPU time
(the steadier one on a shared machine), with the targets: ``ticket_create_call -n`` ≥ 10,000
samples/s (#22) and a five-field tool (``callback_request``) ≥ 20,000 pairs/s (#17).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import pytest
from targets import rates, target

from twinchat.composer.engine.exhaustive import plan, samples
from twinchat.composer.engine.generate import UnitGenerator
from twinchat.composer.jsontext import dumps_spaced
from twinchat.composer.store.snapshot import world_snapshot
from twinchat.composer.tools import using_tools
from twinchat.composer.verify.samples import Verifier
from twinchat.inventory import build_world, open_world
from twinchat.units.loader import load_units

N = 6_000


def _baseline() -> int:
    template = jinja2.Environment().from_string(
        "我叫{{ a }},电话{{ b }},地址{{ c }},{{ d }},麻烦{{ e }}上门。")
    pools = [[f"名{i}" for i in range(10)], [f"1380013800{i}" for i in range(8)],
             [f"地址{i}" for i in range(6)], [f"故障{i}" for i in range(5)], ["明天上午9点", "后天下午2点"]]
    done = 0
    for a, b, c, d, e in itertools.product(*pools):
        call = {"name": "create_ticket", "arguments": {"user_name": a, "phone": b, "address": c, "problem": d,
                                                      "serve_time": e}}
        json.dumps({"text": template.render(a=a, b=b, c=c, d=d, e=e), "tool_call": call}, ensure_ascii=False)
        done += 1
    return done


def _fresh(world: Path, run: Callable[[Any], int]) -> Callable[[], int]:
    """``run`` on a fresh in-memory copy of ``world`` per round (made inside the timing, as generate
    makes it once per run): tools remember answers per copy, and a round must not reuse another's."""
    def round_() -> int:
        snapshot = world_snapshot(world)
        try:
            return run(snapshot)
        finally:
            snapshot.close()
    return round_


def _exhaustive(conn, src, pools) -> int:
    gen = UnitGenerator(src, conn, seed=0)
    verify = Verifier(src.unit, rerun=gen.call)
    p = plan(gen, pools)
    done = failed = 0
    for sample in itertools.islice(samples(gen, p), N):
        record = sample.to_json()
        failed += bool(verify(record))
        dumps_spaced(record)  # the line generate writes: json.dumps(record, ensure_ascii=False)
        done += 1
    assert failed == 0
    return done


def _drawn(conn, src) -> int:
    gen = UnitGenerator(src, conn, seed=0)
    verify = Verifier(src.unit, rerun=gen.call)
    for i in range(N // 4):
        record = gen.sample(i).to_json()
        assert not verify(record)
        dumps_spaced(record)
    return N // 4


@pytest.mark.bench
def test_bench_pairs(tmp_path, readme_pairs_units):
    world = build_world(tmp_path / "w.db", seed=0)
    conn = open_world(world)  # a unit without a tool reads the file, as generate does
    declared = readme_pairs_units
    units = load_units([declared])
    base = rates(_baseline)
    ticket = rates(_fresh(world, lambda c: _exhaustive(c, units["ticket_create_call"],
                                                      {"user_name": 10, "problem": 8, "serve_time": 6, "is_vip": 2})))
    address = rates(lambda: _exhaustive(conn, units["address_extraction"], {}))
    with using_tools([str(declared)], str(world)):
        callback = rates(_fresh(world, lambda c: _exhaustive(c, units["callback_request"], {})))
    drawn = rates(_fresh(world, lambda c: _drawn(c, units["ticket_create_call"])))
    print(f"\nfunction-call pairs, {N:,} per round, best of 3; per second by the wall clock | by CPU time, "
          "and the ratio to the baseline (CPU)")
    for what, (wall, cpu) in (("baseline (product + precompiled Jinja2, unverified)", base),
                              ("ticket_create_call --exhaustive (create_ticket)", ticket),
                              ("callback_request --exhaustive (BookCallback, 5 args)", callback),
                              ("address_extraction --exhaustive (no tool)", address),
                              ("ticket_create_call -n (a tool call per sample)", drawn)):
        print(f"  {what:<53}{wall:>9,.0f} | {cpu:>9,.0f}/s  {cpu / base[1]:.3f}x")
    target("generate ticket_create_call -n, in-process (CPU)", drawn[1], 10_000, "samples/s")
    target("five-field tool callback_request --exhaustive, one core (CPU)", callback[1], 20_000, "pairs/s")
    conn.close()
