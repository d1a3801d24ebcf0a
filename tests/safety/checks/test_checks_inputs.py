"""Damaged or foreign databases and odd command-line values: one command per case, each refused
with one line (exit 1, or exit 2 for bad usage) and no file changed."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from checks_cli import run_twinchat, snapshot

BIG = "99999999999999999999"
_RANGE = "is not in the range"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A folder with a world (w.db), a byte-damaged copy, a foreign SQLite file, junk and a FIFO."""
    folder = tmp_path_factory.mktemp("inputs")
    assert run_twinchat("init", "--db", "w.db", cwd=folder).returncode == 0
    data = bytearray((folder / "w.db").read_bytes())
    data[4096 * 3:4096 * 7] = b"\xff" * 4096 * 4
    (folder / "damaged.db").write_bytes(bytes(data))
    with sqlite3.connect(folder / "foreign.db") as conn:
        conn.execute("CREATE TABLE notes (x)")
    (folder / "junk.db").write_bytes(b"garbage " * 200)
    os.mkfifo(folder / "fifo.yaml")
    return folder


DAMAGED = "Error: damaged.db: damaged database (Page 4: btreeInitPage() returns error code 11); restore it from a copy"
ONE_LINE = {  # args → the one line on stderr (exit 1)
    ("stats", "--db", "damaged.db"): DAMAGED,
    ("verify", "--db", "damaged.db"): DAMAGED,
    ("compose", "-n", "1", "--db", "damaged.db"): DAMAGED,
    ("tools", "call", "query_order", "{}", "--db", "damaged.db"): DAMAGED,
    ("export", "--format", "openai", "-o", "out", "--db", "damaged.db"): DAMAGED,
    ("stats", "--db", "foreign.db"): "Error: foreign.db: not a twinchat world (no such table: meta)",
    ("compose", "-n", "1", "--db", "foreign.db"): "Error: foreign.db: not a twinchat world (no such table: meta)",
    ("verify", "--db", "junk.db"): "Error: junk.db: not a twinchat world (file is not a database)",
    ("units", "check", "/dev/zero"): "Error: /dev/zero: not a regular file; a unit file is a YAML file",
    ("units", "list", "--units", "fifo.yaml"): "Error: fifo.yaml: not a regular file; a unit file is a YAML file",
}
USAGE = {  # args → the last line on stderr (exit 2)
    ("init", "--db", "new.db", "--seed", BIG): f"Error: Invalid value for '--seed': {BIG} {_RANGE}",
    ("compose", "-n", BIG, "--db", "w.db"): f"Error: Invalid value for '-n': {BIG} {_RANGE}",
    ("compose", "-n", "1", "--seed", f"-{BIG}", "--db", "w.db"): f"Error: Invalid value for '--seed': -{BIG} {_RANGE}",
    ("generate", "address_extraction", "-n", BIG, "-o", "g.jsonl", "--db", "w.db"):
        f"Error: Invalid value for '-n': {BIG} {_RANGE}",
    ("generate", "address_extraction", "--seed", BIG, "-o", "g.jsonl", "--db", "w.db"):
        f"Error: Invalid value for '--seed': {BIG} {_RANGE}",
    ("export", "--format", "openai", "-o", "out", "--seed", BIG, "--db", "w.db"):
        f"Error: Invalid value for '--seed': {BIG} {_RANGE}",
    ("export", "--format", "openai", "-o", "out", "--split", "nan,0.5,0.5", "--db", "w.db"):
        "Error: Invalid value for '--split': split 'nan,0.5,0.5': shares must be finite numbers like 0.9,0.05,0.05",
    ("compose", "-n", "1", "--workers", BIG, "--db", "w.db"):
        f"Error: Invalid value for '--workers': {BIG} is not in the range 1<=x<=1024.",
    ("compose", "-n", "1", "--workers", "1025", "--db", "w.db"):
        "Error: Invalid value for '--workers': 1025 is not in the range 1<=x<=1024.",
    ("generate", "address_extraction", "--exhaustive", "--cap", BIG, "-o", "g.jsonl", "--db", "w.db"):
        f"Error: Invalid value for '--cap': {BIG} is not in the range 1<=x<=9223372036854775807.",
    ("stats", "--db", ""): "Error: Invalid value for '--db': a database path must not be empty",
    ("init", "--db", ""): "Error: Invalid value for '--db': a database path must not be empty",
}


@pytest.mark.parametrize("args", sorted(ONE_LINE), ids=" ".join)
def test_a_damaged_or_foreign_file_is_one_line(world, args):
    before = snapshot(world)
    done = run_twinchat(*args, cwd=world)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", ONE_LINE[args] + "\n")
    assert snapshot(world) == before


@pytest.mark.parametrize("args", sorted(USAGE), ids=" ".join)
def test_an_odd_value_is_a_usage_error(world, args):
    before = snapshot(world)
    done = run_twinchat(*args, cwd=world)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines()[-1].startswith(USAGE[args]), done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(world) == before


def test_a_closed_pipe_ends_quietly(world):
    code = "import sys; from twinchat.composer.cli import main; sys.argv[0] = 'twinchat'; main()"
    line = f"{sys.executable} -c \"{code}\" tools schema | head -1"
    done = subprocess.run(["bash", "-c", line], cwd=world, capture_output=True, text=True, timeout=60, check=False)
    assert (done.stdout, done.stderr) == ("[\n", "")


def test_a_template_dividing_by_zero_is_one_line(world, tmp_path):
    """A template's own arithmetic failing at render time (Jinja2 raises ZeroDivisionError) names the
    unit and template; no output file is written."""
    unit = tmp_path / "zdiv.yaml"
    unit.write_text("id: zdiv\ntitle: 除零\ndescription: d\ninstruction: 数量\n"
                    "slots:\n  n: {source: choice, values: [0]}\n"
                    "templates:\n  - id: t1\n    text: \"我要{{ 1 // n }}个\"\n", encoding="utf-8")
    before = snapshot(world)
    done = run_twinchat("generate", "zdiv", "-n", "2", "--units", str(unit), "-o", "z.jsonl", "--db", "w.db",
                        cwd=world)
    assert (done.returncode, done.stderr.splitlines()[-1]) == (1, (
        "Error: unit 'zdiv', template 't1': cannot render '我要{{ 1 // n }}个': "
        "ZeroDivisionError: integer division or modulo by zero"))
    assert snapshot(world) == before
