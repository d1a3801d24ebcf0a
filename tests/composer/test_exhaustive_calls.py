"""An exhaustive run of a read-only tool's unit computes each request's answer once.

Every instruction of a request makes the same call at the same clock, and verification calls it
again for every sample: the tool's memo answers all but the first. The README's declared tool
``BookCallback`` (rules, no writes) runs here as a real registered tool that counts what it is
asked and what it computes, through ``generate_file`` as ``twinchat generate --exhaustive`` runs it.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from typing import Any

from twinchat.composer.engine.sample_files import generate_file
from twinchat.composer.tools.declare import declared_tools
from twinchat.inventory import open_world
from twinchat.inventory.tools.declared.tool import DeclaredTool
from twinchat.inventory.tools.registry import declaring
from twinchat.units.loader import load_units

#: every field pooled: 3 customers × 2 phones × 3 topics × 2 times × 2 urgencies = 72 requests
POOLS = {"customer": 3, "phone": 2, "topic": 3, "call_at": 2, "urgent": 2}


@dataclasses.dataclass(frozen=True)
class CountedTool(DeclaredTool):
    """A declared tool that keeps the arguments of every call made to it (``asked``) and of every
    answer its implementation computed (``computed``)."""

    asked: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    computed: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def __call__(self, ctx, arguments):
        self.asked.append(dict(arguments))
        return super().__call__(ctx, arguments)


def _counted(tool: DeclaredTool) -> CountedTool:
    computed: list[dict[str, Any]] = []

    def func(ctx, arguments):
        computed.append(dict(arguments))
        return tool.func(ctx, arguments)

    fields = {f.name: getattr(tool, f.name) for f in dataclasses.fields(tool) if f.init}
    return CountedTool(**{**fields, "func": func}, computed=computed)


def test_an_exhaustive_run_computes_a_read_only_answer_once_per_request(world_path, tmp_path, readme_pairs_units):
    folder = readme_pairs_units
    [declared] = declared_tools([str(folder)], str(world_path))
    assert declared.remembered and not declared.writes
    tool = _counted(declared)
    conn = open_world(world_path)
    try:
        with declaring([tool]):
            report = generate_file("callback_request", tmp_path / "pairs.jsonl", conn=conn, exhaustive=True,
                                   units=load_units([str(folder)]), pools=POOLS)
    finally:
        conn.close()
    records = [json.loads(line) for line in (tmp_path / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    requests = Counter(json.dumps(r["tool_call"]["arguments"], sort_keys=True) for r in records)
    # each request said in both templates
    assert not report.failures and report.written == len(records) == 144
    assert len(requests) == 72 and set(requests.values()) == {2}
    assert all(r["tool_call"]["name"] == "BookCallback" and "booking_no" in r["result"] for r in records)
    # every sample's call was made again by verification, and answered from memory
    assert len(tool.asked) >= len(records) + len(requests)
    computed = Counter(json.dumps(a, sort_keys=True) for a in tool.computed)
    assert computed == Counter(dict.fromkeys(requests, 1))
