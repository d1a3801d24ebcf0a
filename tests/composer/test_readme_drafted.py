"""The README's "Pairs from a tool's schema alone" runs as written: the tool file of the section
before it is written as shown, its commands run as a user runs them (in a folder whose default
world is the test world), and every output line shown that does not depend on the machine is
printed."""

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


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(title)
    return text[start:text.index("\n## ", start)]


@pytest.fixture(scope="module")
def walked(world_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("drafted")
    shutil.copy(world_path, folder / "twinchat.db")
    for block in re.findall(r"```yaml\n(.*?)```", _section("## Function-call pairs from a schema"), re.S):
        first, text = block.split("\n", 1)
        path = folder / first.removeprefix("# ").strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    ran = []
    for block in re.findall(r"```console\n(.*?)```", _section("## Pairs from a tool's schema alone"), re.S):
        commands: list[tuple[str, list[str]]] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                commands.append((line[2:], []))
            elif commands:
                commands[-1][1].append(line)
        for command, shown in commands:
            done = subprocess.run([TWINCHAT, *shlex.split(command)[1:]], capture_output=True, text=True, cwd=folder,
                                  timeout=600)
            assert done.returncode == 0, f"{command}: {done.stderr}"
            for line in shown:
                if not _TIMED.search(line):
                    assert line in done.stdout.splitlines(), f"{command}: README shows {line!r}, not printed"
            ran.append(command)
    return folder, ran


def test_the_section_runs_a_declared_and_a_built_in_tool_in_both_shapes(walked):
    folder, ran = walked
    assert sum("--tool BookCallback" in c for c in ran) == 3 and sum("--tool search_solution" in c for c in ran) == 2
    assert sum("--shape action" in c for c in ran) == 2
    drafted = [json.loads(line) for line in (folder / "drafted.jsonl").read_text(encoding="utf-8").splitlines()]
    shown = re.findall(r"```json\n(.*?)```", _section("## Pairs from a tool's schema alone"), re.S)
    for text in re.findall(r'"text": "(.*?)"', shown[0]):
        assert text in {r["text"] for r in drafted}  # the negatives shown are the run's
    steps = (folder / "steps_alpaca" / "train.jsonl").read_text(encoding="utf-8").splitlines()
    assert all(json.loads(line)["output"].startswith("BookCallback{") for line in steps)
    search = [json.loads(line) for line in (folder / "search_sharegpt" / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all([t["name"] for t in json.loads(r["tools"])] == ["search_solution"] for r in search)
