"""The plain form of ``generate``, run without click (twinchat.composer.cli.plain_generate): it
prints, writes and exits exactly as the click command does, and leaves every other command line
to click."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from twinchat.composer.cli.plain_generate import parse

#: the two ways in: the console script's main (the plain path where it applies) and click's group
_MAIN = "import sys; from twinchat.composer.cli import main; sys.argv[0] = 'twinchat'; main()"
_CLICK = "import sys; from twinchat.composer.cli.commands import cli; cli(sys.argv[1:], prog_name='twinchat')"
_PROBE = ("import sys, atexit; atexit.register(lambda: print('CLICK', 'click' in sys.modules, file=sys.stderr)); "
          + _MAIN)
#: the rate and time of a run, which differ from run to run
_TIMING = re.compile(r"\(\d+\.\ds, [\d,]+/s\)")


def _run(code: str, args: list[str], cwd) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd,
                          env={"PYTHONIOENCODING": "utf-8", "PATH": "/usr/bin:/bin", "TWINCHAT_CACHE_DIR": "off"})
    return done.returncode, _TIMING.sub("(T)", done.stdout), done.stderr


@pytest.mark.parametrize("args", [
    ["generate", "address_extraction", "-n", "7", "--seed", "3", "-o", "{out}", "--db", "{db}"],
    ["generate", "-o", "{out}", "--db", "{db}", "--seed", "-12", "address_extraction", "-n", "5"],
    ["generate", "address_extraction", "-n", "4", "--output", "{out}", "--db", "{db}", "--force"],
    ["generate", "no_such_unit", "-n", "2", "-o", "{out}", "--db", "{db}"],
    ["generate", "memory_upgrade", "-n", "2", "-o", "{out}", "--db", "{db}"],
    ["generate", "address_extraction", "-n", "2", "-o", "missing/x.jsonl", "--db", "{db}"],
    ["generate", "address_extraction", "-n", "2", "-o", "{out}", "--db", "junk.db"],
    ["generate", "address_extraction", "-n", "2", "-o", "{out}", "--db", "{db}", "EXISTS"],
    ["generate", "address_extraction", "-n", "2", "-o", "{out}", "--db", "new.db"],  # the world is built
])
def test_the_plain_form_prints_writes_and_exits_as_click_does(db, tmp_path, args):
    (tmp_path / "junk.db").write_text("not a database, some text long enough to be read as one" * 50)
    outs = {}
    out = tmp_path / "out.jsonl"
    line = [a.format(out=out, db=db) for a in args if a != "EXISTS"]
    for way, code in (("plain", _PROBE), ("click", _CLICK)):
        out.unlink(missing_ok=True)
        (tmp_path / "new.db").unlink(missing_ok=True)
        if "EXISTS" in args:
            out.write_text("kept\n")
        assert (parse(line) is not None) is True
        outs[way] = (*_run(code, line, tmp_path), out.read_bytes() if out.exists() else None)
    (code_p, stdout_p, stderr_p, file_p), (code_c, stdout_c, stderr_c, file_c) = outs["plain"], outs["click"]
    # the plain path ran, without click (building a new world imports sqlite-utils, which imports click)
    assert f"CLICK {'new.db' in line}" in stderr_p
    stderr_p = re.sub(r"CLICK (True|False)\n", "", stderr_p)
    assert (code_p, stdout_p, stderr_p, file_p) == (code_c, stdout_c, stderr_c, file_c)


@pytest.mark.parametrize("args", [
    ["generate"], ["generate", "address_extraction"], ["generate", "address_extraction", "-n", "0", "-o", "x"],
    ["generate", "address_extraction", "-n", "05", "-o", "x"], ["generate", "address_extraction", "-n=5", "-o", "x"],
    ["generate", "address_extraction", "-n5", "-o", "x"], ["generate", "address_extraction", "--seed", "+1", "-o", "x"],
    ["generate", "address_extraction", "-n", "2", "-n", "3", "-o", "x"],
    ["generate", "address_extraction", "-n", str(2**63), "-o", "x"],
    ["generate", "address_extraction", "--seed", str(-(2**63) - 1), "-o", "x"],
    ["generate", "address_extraction", "-o", "x", "--noise", "0.2"], ["generate", "address_extraction", "-o", "-x"],
    ["generate", "address_extraction", "-o", "x", "--db", " "], ["generate", "address_extraction", "-o", "."],
    ["generate", "address_extraction", "other", "-o", "x"], ["generate", "a-b", "-o", "x"],
    ["generate", "address_extraction", "-o", "x\x1b[31m"], ["generate", "address_extraction", "-o", "x", "--"],
    ["--project", "p.yaml", "generate", "address_extraction", "-o", "x"], ["compose", "-n", "1"], [],
    ["generate", "address_extraction", "-o", "x", "-h"],
])
def test_every_other_command_line_is_left_to_click(args):
    assert parse(args) is None


def test_the_bounds_of_counts_and_seeds_are_clicks():
    assert parse(["generate", "u", "-n", str(2**63 - 1), "--seed", str(-(2**63)), "-o", "x"]) == {
        "unit_id": "u", "n": 2**63 - 1, "seed": -(2**63), "out": "x", "db_path": "twinchat.db", "force": False}
    assert parse(["generate", "u", "-o", "x"])["n"] == 1000


def test_a_project_file_leaves_the_command_to_click(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert parse(["generate", "u", "-o", "x"]) is not None
    (tmp_path / "twinchat.yaml").write_text("name: p\n")
    assert parse(["generate", "u", "-o", "x"]) is None
