"""The README's "Your own APIs" walk-through runs as written: its files are written as shown, its
commands run as a user runs them (each shown output line that does not depend on the machine must
be printed), and the exported records load with Hugging Face ``datasets`` and pass their formats'
consumer rules. The same sessions composed with one worker are byte for byte those of two."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).parents[1] / "README.md"
TWINCHAT = shutil.which("twinchat", path=os.path.dirname(sys.executable)) or "twinchat"
#: output lines that depend on the machine (timings, rates)
_TIMED = re.compile(r"\d+\.\ds\b|/s,")


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index("## Your own APIs"):text.index("## Extending twinchat")]


def _blocks(kind: str) -> list[str]:
    return [text for k, text in _in_order() if k == kind]


def _in_order() -> list[tuple[str, str]]:
    """The section's fenced blocks in order: (kind, text)."""
    return re.findall(r"```(\w+)\n(.*?)```", _section(), re.S)


def _file(block: str) -> tuple[str, str]:
    """A YAML block: the path its first line names, and the text under it."""
    first, rest = block.split("\n", 1)
    return first.removeprefix("# ").split(",")[0].strip(), rest


def _commands(block: str | None = None) -> list[tuple[str, list[str]]]:
    """Each ``$ twinchat …`` line of a console block (or of all), with the output lines shown under it."""
    out: list[tuple[str, list[str]]] = []
    for text in [block] if block is not None else _blocks("console"):
        for line in text.splitlines():
            if line.startswith("$ "):
                out.append((line[2:], []))
            elif out:
                out[-1][1].append(line)
    return out


def _run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    args = shlex.split(command)
    assert args[0] == "twinchat"
    return subprocess.run([TWINCHAT, *args[1:]], capture_output=True, text=True, cwd=cwd, timeout=600)


def _check_output(command: str, done: subprocess.CompletedProcess[str], shown: list[str]) -> None:
    assert done.returncode == 0, f"{command}: {done.stderr}"
    printed = done.stdout.splitlines()
    for line in shown:
        if line.strip() in ("", "…") or _TIMED.search(line):
            continue
        assert line in printed, f"{command}: README shows {line!r}, not printed"


def _apply(name: str, text: str, folder: Path) -> None:
    """Write a file as the README shows it; the implementation replaces the imported stub from
    ``implementation:`` on, as the README says."""
    path = folder / name
    if path.exists():
        imported = path.read_text(encoding="utf-8")
        assert "operation: IssueInvoice" in imported  # the stub the README says to replace
        text = imported[:imported.index("implementation:")] + text
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def walked(tmp_path_factory):
    """A folder where the walk-through ran: each YAML block written, each console block run, in order."""
    folder = tmp_path_factory.mktemp("apis")
    written = []
    for kind, block in _in_order():
        if kind == "yaml":
            name, text = _file(block)
            _apply(name, text, folder)
            written.append(name)
        elif kind == "console":
            for command, shown in _commands(block):
                done = _run(command, folder)
                if "tools call" in command:  # the JSON printed, line for line
                    assert done.returncode == 0 and done.stdout.splitlines() == shown, command
                else:
                    _check_output(command, done, shown)
    assert written == ["invoice_api.yaml", "my_units/IssueInvoice.yaml", "my_units/invoice_request.yaml",
                       "my_units/invoice.yaml"]
    return folder


def test_the_walk_through_runs_every_command(walked):
    commands = [c for c, _ in _commands()]
    assert commands[1].startswith("twinchat tools import") and commands[-1].startswith("twinchat eval")
    assert {"openai", "sharegpt"} <= {c.split("--format ")[1].split()[0] for c in commands if "--format" in c}
    assert (walked / "oa" / "tools.json").exists() and (walked / "sg" / "dataset_info.json").exists()


@pytest.mark.parametrize("fmt, folder", [("openai", "oa"), ("sharegpt", "sg")])
def test_the_exported_records_load_and_pass_their_consumer_rules(walked, fmt, folder, tmp_path):
    datasets = pytest.importorskip("datasets")
    from twinchat.composer.export.formats import get_format

    datasets.disable_progress_bars()
    check = get_format(fmt).check
    calls = 0
    for split in ("train", "valid", "test"):
        path = walked / folder / f"{split}.jsonl"
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        ds = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path))
        assert ds.num_rows == len(records) > 0
        for record in records:
            check(record)
            calls += json.dumps(record, ensure_ascii=False).count("IssueInvoice") > 0
    assert calls > 250  # every record calls the declared tool (and lists its schema)
    tools = json.loads((walked / folder / "tools.json").read_text(encoding="utf-8"))
    declared = next(t["function"] for t in tools if t["function"]["name"] == "IssueInvoice")
    assert declared["parameters"]["properties"]["kind"]["enum"] == ["personal", "company"]


def test_one_worker_composes_what_two_did(walked, tmp_path):
    one = tmp_path / "one.db"
    done = subprocess.run([TWINCHAT, "init", "--db", str(one)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0
    command = next(c for c, _ in _commands() if c.startswith("twinchat compose"))
    command = command.replace("--db shop.db", f"--db {one}").replace("--workers 2", "--workers 1")
    _check_output(command, _run(command, walked), [])

    def rows(db: Path) -> list[tuple]:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT * FROM sessions ORDER BY id").fetchall()

    assert rows(one) == rows(walked / "shop.db") and len(rows(one)) == 300


def test_the_tui_re_verifies_a_stored_session_that_calls_the_declared_tool(walked):
    from twinchat.composer.store.sessions import SessionStore
    from twinchat.composer.tools import using_tools
    from twinchat.inventory import open_world
    from twinchat.tui.workspace import Workspace

    units = [str(walked / "my_units")]
    conn = open_world(walked / "shop.db")
    try:
        stored = SessionStore(conn).get("invoice/0/0")
    finally:
        conn.close()
    session = stored.session
    assert session["turns"][1]["tool_calls"][0]["name"] == "IssueInvoice"
    with using_tools(units, walked / "shop.db"):
        workspace = Workspace(walked / "shop.db", units)
        try:
            assert workspace.composer(0).verify(session) == []
            session["turns"][2]["content"] = {**session["turns"][2]["content"], "forged": True}
            assert workspace.composer(0).verify(session) != []  # an edited tool result no longer re-executes
        finally:
            workspace.close()


def test_paraphrase_checks_rewrites_on_samples_that_call_the_declared_tool(walked, llm):
    rewrite = "麻烦给订单{{ order }}开张电子发票,抬头{{ order.customer.name }}"
    llm.push({"id": "c", "object": "chat.completion", "model": "m",
              "choices": [{"index": 0, "message": {"role": "assistant", "content": rewrite}, "finish_reason": "stop"}]})
    done = _run(f"twinchat paraphrase invoice_request --template p01 -n 1 --dry-run --units my_units --db shop.db "
                f"--endpoint {llm.url} --model m", walked)
    assert done.returncode == 0, done.stderr
    assert "accepted 1:" in done.stdout and rewrite in done.stdout and done.stdout.endswith("dry run: nothing written\n")
