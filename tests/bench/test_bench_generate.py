"""Benchmark: address_extraction samples/second, beside the recipe's plain Faker + Jinja2 loop.

Run with ``pytest tests/bench/test_bench_generate.py --bench -s``. It prints numbers and the
ratio; it never asserts a timing. Both loops run in this process on the same machine, one
after the other, each the best of three rounds.

* baseline — the recipe's approach: ``Faker('zh_CN')`` for name, phone, province, city,
  district, street and postcode, rendered by one precompiled (unsandboxed) Jinja2 template;
  nothing is checked (and, as DESIGN.md notes, the address parts do not even agree).
* twinchat — ``UnitGenerator`` for the built-in ``address_extraction`` unit: slots, sandboxed
  template, label, then ``Verifier`` and the JSON line, as ``twinchat generate`` does.

Samples are drawn in index order, as ``generate`` draws them: samples come in blocks of
``STREAM_BLOCK`` that share one seeded random stream (see ``composer/generate.py``), so the
Mersenne Twister is seeded once per block rather than once per sample. This changed, once, the
samples a given seed gives; they are still byte-identical from run to run and the same whether a
sample is drawn alone or in a batch.
"""

from __future__ import annotations

import json
import os
import time

import jinja2
import pytest
from baseline_loop import SCRIPT as BASELINE_SCRIPT
from faker import Faker
from targets import byte_compiled, target

from twinchat.composer.engine.generate import UnitGenerator
from twinchat.composer.verify.samples import Verifier
from twinchat.inventory import build_world, open_world
from twinchat.units.loader import load_units

N = 20_000


def _rounds(fn, rounds: int = 3) -> list[float]:
    """Seconds of each round (the best one is what counts)."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


@pytest.mark.bench
def test_bench_address_extraction(tmp_path):
    fake = Faker("zh_CN")
    fake.seed_instance(0)
    template = jinja2.Environment().from_string(
        "收件人:{{ name }},电话:{{ phone }},地址:{{ province }}{{ city }}{{ district }}{{ street }},邮编:{{ postcode }}")

    def baseline() -> None:
        for _ in range(N):
            json.dumps({"text": template.render(
                name=fake.name(), phone=fake.phone_number(), province=fake.province(), city=fake.city(),
                district=fake.district(), street=fake.street_address(), postcode=fake.postcode())},
                ensure_ascii=False)

    conn = open_world(build_world(tmp_path / "w.db", seed=0))
    src = load_units()["address_extraction"]
    gen = UnitGenerator(src, conn, seed=0)
    verify = Verifier(src.unit, rerun=gen.call)
    failures = []

    def twinchat() -> None:
        for i in range(N):
            record = gen.sample(i).to_json()
            reasons = verify(record)
            if reasons:
                failures.append(reasons)
            json.dumps(record, ensure_ascii=False)

    base_rounds = _rounds(baseline)
    ours_rounds = _rounds(twinchat)
    base = N / min(base_rounds)
    ours = N / min(ours_rounds)
    print(f"\naddress_extraction, {N:,} samples, best of 3")
    print(f"  baseline (Faker + precompiled Jinja2, unverified) {base:>10,.0f} samples/s")
    print(f"  twinchat (sandboxed, labelled, verified)          {ours:>10,.0f} samples/s")
    print(f"  ratio twinchat / baseline                         {ours / base:>10.2f}x")
    print(f"  verification failures                             {len(failures):>10,}")
    print("  µs per sample in each round: baseline "
          + " ".join(f"{t / N * 1e6:.1f}" for t in base_rounds)
          + ", twinchat " + " ".join(f"{t / N * 1e6:.1f}" for t in ours_rounds))
    conn.close()




#: sample counts of the whole-process runs (``TWINCHAT_BENCH_PROCESS_N``, comma-separated)
PROCESS_N = tuple(int(n) for n in os.environ.get("TWINCHAT_BENCH_PROCESS_N", "1000,10000,100000").split(","))


@pytest.mark.bench
def test_bench_generate_whole_process(tmp_path):
    """Whole processes, as a user runs them: ``twinchat generate address_extraction -n N`` on an
    existing world against the recipe's loop as a script, start-up included, at 1,000, 10,000 and
    100,000 samples (best of 3 up to 10,000, one run above); and the time to the first sample (``-n 1``).
    Target (#22): at 10,000 and 100,000 samples, ≥ 3× the baseline loop."""
    import subprocess
    import sys
    from pathlib import Path

    build_world(tmp_path / "w.db", seed=0)
    byte_compiled()  # start as an installed twinchat starts (see targets.byte_compiled)
    exe = str(Path(sys.executable).with_name("twinchat"))

    def timed(args: list[str]) -> float:
        started = time.perf_counter()
        subprocess.run(args, cwd=tmp_path, check=True, capture_output=True)
        return time.perf_counter() - started

    first = min(timed([exe, "generate", "address_extraction", "-n", "1", "--db", "w.db", "-o", "one.jsonl",
                       "--force"]) for _ in range(5))
    print(f"\ntwinchat generate -n 1 (start-up to the first sample, whole process, best of 5): {first:.2f}s")
    for n in PROCESS_N:
        rounds = 3 if n <= 10_000 else 1
        base = min(timed([sys.executable, "-c", BASELINE_SCRIPT, str(n), "base.jsonl"]) for _ in range(rounds))
        ours = min(timed([exe, "generate", "address_extraction", "-n", str(n), "--db", "w.db", "-o", "x.jsonl",
                          "--force"]) for _ in range(rounds))
        print(f"{n:,} samples, whole process, best of {rounds}: baseline {base:.2f}s ({n / base:,.0f}/s), "
              f"twinchat {ours:.2f}s ({n / ours:,.0f}/s), ratio {base / ours:.2f}x")
        if n >= 10_000:
            target(f"whole-process generate address_extraction -n {n:,} against the baseline loop", base / ours,
                   3.0, "x")
