"""Benchmark: ``export`` of a large store beside a hand-written exporter of the same records.

Run with ``pytest tests/bench/test_bench_export.py --bench -s``. Prints numbers and ratios; it never
asserts a timing. The store is made in this process: 1,000 sessions of the built-in mix composed,
then copied under new seeds by SQL until it holds ``TWINCHAT_BENCH_EXPORT_N`` sessions (default
100,000; real rows). Both exporters run in this process, on the same store, in the same minutes:

* hand-written — what a user would write for the openai format with nothing else: read the rows,
  ``json.loads`` the turns, build ``{"messages", "tools"}`` per session (tool calls with JSON-string
  arguments), ``json.dumps`` each record to one ``train.jsonl``;
* ``export_sessions`` — the whole command's work (checks, deduplication, splits, manifest, gold
  items, token counts, dataset card) for ``openai`` and ``sharegpt``.

The ratio export / hand-written is what the README quotes (target: within 3×).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from targets import target

N = int(os.environ.get("TWINCHAT_BENCH_EXPORT_N", "100000"))
BASE = 1000


def big_store(world_path: Path, path: Path, n: int) -> Path:
    """A store of ``n`` sessions: ``BASE`` composed over every flow, then copied under new seeds."""
    from twinchat.composer.store.batches import compose_run
    from twinchat.composer.store.sessions import COLUMNS

    shutil.copyfile(world_path, path)
    compose_run(path, n=min(n, BASE), seed=0)
    cols = ", ".join(COLUMNS)
    shifted = ", ".join("flow || '/' || (seed + :k) || '/' || idx" if c == "id" else "seed + :k" if c == "seed"
                        else c for c in COLUMNS)
    conn = sqlite3.connect(path)
    with conn:
        for k in range(1, -(-n // BASE)):
            conn.execute(f"INSERT INTO sessions ({cols}) SELECT {shifted} FROM sessions WHERE seed = 0", {"k": k})
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def hand_written(db: Path, out: Path) -> int:
    """The openai records of every ok session, one JSON line each: the plain loop a user would write."""
    from twinchat.composer.export.formats.base import openai_tools, system_prompt

    tools = openai_tools()
    conn = sqlite3.connect(db)
    count = 0
    with open(out, "w", encoding="utf-8") as fh:
        for now, turns_json in conn.execute("SELECT now, turns FROM sessions WHERE status = 'ok' "
                                            "ORDER BY flow, seed, idx"):
            messages = [{"role": "system", "content": system_prompt(now)}]
            for t in json.loads(turns_json):
                if t["role"] == "tool":
                    messages.append({"role": "tool", "tool_call_id": t["tool_call_id"],
                                     "content": json.dumps(t["content"], ensure_ascii=False)})
                elif t.get("tool_calls"):
                    messages.append({"role": "assistant", "content": None, "tool_calls": [
                        {"id": c["id"], "type": "function",
                         "function": {"name": c["name"], "arguments": json.dumps(c["arguments"], ensure_ascii=False)}}
                        for c in t["tool_calls"]]})
                else:
                    messages.append({"role": t["role"], "content": t["content"]})
            fh.write(json.dumps({"messages": messages, "tools": tools}, ensure_ascii=False) + "\n")
            count += 1
    conn.close()
    return count


@pytest.mark.bench
def test_bench_export_against_hand_written(world_path, tmp_path):
    from twinchat.composer.export.pipeline import ExportOptions, export_sessions

    started = time.perf_counter()
    db = big_store(world_path, tmp_path / "store.db", N)
    print(f"\nstore of {N:,} sessions (every built-in flow) made in {time.perf_counter() - started:.1f}s")
    started, started_cpu = time.perf_counter(), time.process_time()
    records = hand_written(db, tmp_path / "hand.jsonl")
    base, base_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    print(f"  hand-written openai exporter   {base:8.2f}s  {records / base:>9,.0f} sessions/s  (CPU {base_cpu:.2f}s)")
    for fmt in ("openai", "sharegpt"):
        started, started_cpu = time.perf_counter(), time.process_time()
        report = export_sessions(db, fmt, tmp_path / fmt, ExportOptions(seed=0))
        seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
        print(f"  twinchat export --format {fmt:<9}{seconds:6.2f}s  {report.read / seconds:>9,.0f} sessions/s  "
              f"{seconds / base:5.2f}x the hand-written exporter  (CPU {cpu:.2f}s, {cpu / base_cpu:.2f}x)")
        target(f"export --format {fmt} of {N:,} sessions against the hand-written exporter (wall)", seconds / base,
               3.0, "x", at_least=False)
        target(f"export --format {fmt} of {N:,} sessions against the hand-written exporter (CPU)", cpu / base_cpu,
               3.0, "x", at_least=False)
