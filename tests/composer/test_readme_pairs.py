"""The README's "Function-call pairs from a schema" runs as written: its files are written as
shown, its commands run as a user runs them (in a folder whose default world is the test world),
and every output line shown that does not depend on the machine is printed."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).parents[2] / "README.md"
TWINCHAT = shutil.which("twinchat", path=os.path.dirname(sys.executable)) or "twinchat"
_TIMED = re.compile(r"\d+\.\ds\b|/s\)")


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Function-call pairs from a schema")
    return text[start:text.index("\n## ", start)]


def _blocks() -> list[tuple[str, str]]:
    return re.findall(r"```(\w+)\n(.*?)```", _section(), re.S)


@pytest.fixture(scope="module")
def walked(world_path, tmp_path_factory):
    """A folder where the section ran: each YAML block written, each command run, in order."""
    folder = tmp_path_factory.mktemp("pairs")
    shutil.copy(world_path, folder / "twinchat.db")
    ran = []
    for kind, block in _blocks():
        if kind == "yaml":
            first, text = block.split("\n", 1)
            path = folder / first.removeprefix("# ").strip()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            continue
        commands: list[tuple[str, list[str]]] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                commands.append((line[2:], []))
            elif commands:
                commands[-1][1].append(line)
        for command, shown in commands:
            args = shlex.split(command)
            done = subprocess.run([TWINCHAT, *args[1:]], capture_output=True, text=True, cwd=folder, timeout=600)
            failed = bool(shown) and shown[0].startswith("Error:")
            assert done.returncode == (1 if failed else 0), f"{command}: {done.stderr}"
            printed = (done.stderr if failed else done.stdout).splitlines()
            for line in shown:
                if not _TIMED.search(line):
                    assert line in printed, f"{command}: README shows {line!r}, not printed"
            ran.append(command)
    return folder, ran


def test_the_section_runs_a_built_in_and_a_declared_tool(walked):
    folder, ran = walked
    assert sum("--dry-run" in c for c in ran) == 3 and sum("--units pairs_units" in c for c in ran) == 3
    tickets = [json.loads(line) for line in (folder / "tickets.jsonl").read_text(encoding="utf-8").splitlines()]
    calls = {(r["label"]["user_name"], r["label"]["problem"], r["label"]["serve_time"], r["label"]["is_vip"])
             for r in tickets}
    assert len(tickets) == 1920 and len(calls) == 960 and {r["outcome"] for r in tickets} == {"created"}
    callbacks = [json.loads(line) for line in (folder / "callbacks.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(callbacks) == 6000 == len({r["text"] for r in callbacks})
    assert {r["tool_call"]["name"] for r in callbacks} == {"BookCallback"}
    assert not (folder / "all.jsonl").exists()  # the refused run wrote nothing
