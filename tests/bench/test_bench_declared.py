"""Benchmark: a declared tool against a Python tool of the same shape, in compose.

Run with ``pytest tests/bench/test_bench_declared.py --bench -s``. Prints numbers and the ratio;
it never asserts a timing.

The declared tool is the README's ``IssueInvoice`` (imported from its OpenAPI block, implemented
by its ``rules`` block: one SQL lookup, three conditions, a result of five templates, the
argument check against the JSON Schema). The Python tool does the same as a built-in tool would —
a pydantic argument model and a function with the same query and conditions — and must give the
same sessions byte for byte (so the two are of the same shape). Each composes
``TWINCHAT_BENCH_N`` sessions (default 20,000) of the README's ``invoice`` flow with
``compose_run`` (compose, verify, store; one worker) into a fresh copy of one world, twice in
alternation; the best run of each counts. The baseline is the Python tool, in this process.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from twinchat.composer.store.batches import compose_run
from twinchat.composer.tools.declare import using_tools
from twinchat.composer.tools.openapi import import_openapi
from twinchat.inventory import build_world
from twinchat.inventory.timefmt import format_time
from twinchat.inventory.tools import Tool, ToolContext, tool_error
from twinchat.inventory.tools.registry import declaring

N = int(os.environ.get("TWINCHAT_BENCH_N", "20000"))
README = Path(__file__).parents[2] / "README.md"


def _readme_files(folder: Path) -> Path:
    """The walk-through's files, made as the README makes them: the tool imported, then implemented."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Your own APIs"):text.index("## Extending twinchat")]
    blocks = [b.split("\n", 1) for b in re.findall(r"```yaml\n(.*?)```", section, re.S)]
    files = {first.removeprefix("# ").split(",")[0].strip(): rest for first, rest in blocks}
    (folder / "invoice_api.yaml").write_text(files.pop("invoice_api.yaml"), encoding="utf-8")
    units = folder / "my_units"
    import_openapi(folder / "invoice_api.yaml", units, ["IssueInvoice"])
    stub = (units / "IssueInvoice.yaml").read_text(encoding="utf-8")
    implemented = stub[:stub.index("implementation:")] + files.pop("my_units/IssueInvoice.yaml")
    (units / "IssueInvoice.yaml").write_text(implemented, encoding="utf-8")
    for name, body in files.items():
        (folder / name).write_text(body, encoding="utf-8")
    return units


class _InvoiceArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_no: str = Field(pattern=r"^DD[0-9]{12}$")
    title: str = Field(min_length=1, max_length=60)
    kind: Literal["personal", "company"]
    tax_id: str | None = Field(default=None, pattern=r"^[0-9A-Z]{18}$")


def _issue(ctx: ToolContext, args: _InvoiceArgs) -> dict:
    now = format_time(ctx.now)
    row = ctx.conn.execute("SELECT order_no, total, delivered_at FROM orders WHERE order_no = ? AND created_at <= ?",
                           (args.order_no, now)).fetchone()
    if row is None:
        return tool_error("order_not_found", f"未找到订单 {args.order_no},请核对订单号", "order_no")
    if row[2] is None or row[2] > now:
        return tool_error("not_delivered", f"订单 {args.order_no} 还没有签收,签收后才能开票", "order_no")
    if args.kind == "company" and args.tax_id is None:
        return tool_error("tax_id_required", "公司抬头需要提供税号", "tax_id")
    given = args.model_dump(exclude_unset=True)
    request = json.dumps({"tool": "IssueInvoice", "arguments": given, "now": now}, ensure_ascii=False, sort_keys=True)
    number = int(hashlib.sha256(request.encode()).hexdigest(), 16) % 10**8
    return {"invoice_no": f"FP{now[:10].replace('-', '')}{number:08d}", "order_no": row[0], "title": args.title,
            "amount": row[1], "issued_at": now}


class _PythonTool(Tool):
    """A built-in-style tool whose calls, like the declared tool's, leave out an optional argument
    without a value (so both record the same calls)."""

    omits_null = frozenset({"tax_id"})


PYTHON_TOOL = _PythonTool("IssueInvoice", "为已签收的订单开具电子发票", _InvoiceArgs, _issue)


def _compose(world: Path, db: Path, units: Path) -> float:
    shutil.copy(world, db)
    started = time.perf_counter()
    report = compose_run(db, flow="invoice", n=N, seed=0, workers=1, units_dirs=[str(units)])
    seconds = time.perf_counter() - started
    assert report.composed == N and report.failed == 0
    return N / seconds


def _sessions(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT * FROM sessions ORDER BY id").fetchall()


@pytest.mark.bench
def test_bench_declared_tool_against_a_python_tool(tmp_path):
    import twinchat.composer.engine.compose  # noqa: F401 - imported before timing

    world = build_world(tmp_path / "world.db", seed=0)
    units = _readme_files(tmp_path)
    rates: dict[str, list[float]] = {"python": [], "declared": []}
    for round_ in range(2):
        with declaring([PYTHON_TOOL]):
            rates["python"].append(_compose(world, tmp_path / f"python{round_}.db", units))
        with using_tools([units], world):
            rates["declared"].append(_compose(world, tmp_path / f"declared{round_}.db", units))
    assert _sessions(tmp_path / "python0.db") == _sessions(tmp_path / "declared0.db")  # the same shape, exactly
    best = {k: max(v) for k, v in rates.items()}
    for kind, runs in rates.items():
        print(f"\ninvoice flow, {kind} IssueInvoice: {N:,} verified sessions, best {best[kind]:,.0f}/s "
              f"(runs: {', '.join(f'{r:,.0f}' for r in runs)})")
    print(f"declared / python tool: {best['declared'] / best['python']:.2f}x the speed "
          f"(the python tool takes {best['python'] / best['declared']:.2f}x less time per session)")
