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
"""

from __future__ import annotations

import itertools
import json
import re
import time
from pathlib import Path

import jinja2
import pytest

from twinchat.composer.engine.exhaustive import plan, samples
from twinchat.composer.engine.generate import UnitGenerator
from twinchat.composer.tools import using_tools
from twinchat.composer.verify.samples import Verifier
from twinchat.inventory import build_world, open_world
from twinchat.units.loader import load_units

N = 6_000


def _best(fn, rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        done = fn()
        times.append((time.perf_counter() - started) / done)
    return 1 / min(times)


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


def _exhaustive(conn, src, pools) -> int:
    gen = UnitGenerator(src, conn, seed=0)
    verify = Verifier(src.unit, rerun=gen.call)
    p = plan(gen, pools)
    done = failed = 0
    for sample in itertools.islice(samples(gen, p), N):
        record = sample.to_json()
        failed += bool(verify(record))
        json.dumps(record, ensure_ascii=False)
        done += 1
    assert failed == 0
    return done


def _drawn(conn, src) -> int:
    gen = UnitGenerator(src, conn, seed=0)
    verify = Verifier(src.unit, rerun=gen.call)
    for i in range(N // 4):
        record = gen.sample(i).to_json()
        verify(record)
        json.dumps(record, ensure_ascii=False)
    return N // 4


def _readme_units(folder: Path) -> Path:
    """The README's declared tool and unit (section "Function-call pairs from a schema"), written to ``folder``."""
    text = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    start = text.index("## Function-call pairs from a schema")
    for block in re.findall(r"```yaml\n(.*?)```", text[start:text.index("\n## ", start)], re.S):
        first, body = block.split("\n", 1)
        path = folder / first.removeprefix("# ").strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    return folder / "pairs_units"


@pytest.mark.bench
def test_bench_pairs(tmp_path):
    conn = open_world(build_world(tmp_path / "w.db", seed=0))
    declared = _readme_units(tmp_path)
    units = load_units([declared])
    base = _best(_baseline)
    ticket = _best(lambda: _exhaustive(conn, units["ticket_create_call"],
                                       {"user_name": 10, "problem": 8, "serve_time": 6, "is_vip": 2}))
    address = _best(lambda: _exhaustive(conn, units["address_extraction"], {}))
    with using_tools([str(declared)], str(tmp_path / "w.db")):
        callback = _best(lambda: _exhaustive(conn, units["callback_request"], {}))
    drawn = _best(lambda: _drawn(conn, units["ticket_create_call"]))
    print(f"\nfunction-call pairs, {N:,} per round, best of 3")
    print(f"  baseline (product + precompiled Jinja2, unverified)  {base:>10,.0f} pairs/s")
    print(f"  ticket_create_call --exhaustive (create_ticket)      {ticket:>10,.0f} pairs/s  {ticket / base:.2f}x")
    print(f"  callback_request --exhaustive (BookCallback, 5 args) {callback:>10,.0f} pairs/s  {callback / base:.2f}x")
    print(f"  address_extraction --exhaustive (no tool)            {address:>10,.0f} pairs/s  {address / base:.2f}x")
    print(f"  ticket_create_call -n (a tool call per sample)       {drawn:>10,.0f} samples/s  {drawn / base:.2f}x")
    conn.close()
