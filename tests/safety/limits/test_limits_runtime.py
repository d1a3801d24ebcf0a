"""A slot value that takes a template past a limit while it renders fails that sample or session
with its reason; the run goes on, writes the others and exits 0. One unit file per case (in
``runtime/``), run by ``twinchat`` in a subprocess under a memory limit and a timeout."""

from __future__ import annotations

import json
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

RUNTIME = Path(__file__).parent / "runtime"
MEMORY = 1 << 30  # 1 GiB of address space: a regression fails instead of exhausting memory
TIMEOUT = 120
_CODE = "import sys; from twinchat.composer.cli import main; sys.argv[0] = 'twinchat'; main()"

#: unit → (the template as the message quotes it, what the template did)
CASES = {
    "rt_times": ("\"{{ 'a' * n }}\"", "multiplies a str of 1 by 1,000,000,000, past the limit of 10,000"),
    "rt_format": ("'{{ f % 1 }}'", "formats with width 999999999 ('%999999999'), past the limit of 10,000"),
    "rt_center": ("\"{{ 'x'|center(n) }}\"", "filters with center(1,000,000,000), past the limit of 10,000"),
    "rt_loops": ("'{% for a in xs %}{% for b in xs %}{% end'",
                 "runs more than 100,000 loop iterations in one rendering"),
}


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _twinchat(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _CODE, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=TIMEOUT, preexec_fn=_limited, check=False)


def _reason(unit: str) -> str:
    template, did = CASES[unit]
    return f"limit: unit {unit!r}, template 't1': cannot render {template}: the template {did}"


@pytest.mark.parametrize("unit", sorted(CASES))
def test_generate_counts_a_sample_past_a_limit_as_failed_and_goes_on(unit, world_path, tmp_path):
    done = _twinchat("generate", unit, "-n", "40", "-o", "out.jsonl", "--db", str(world_path),
                     "--units", str(RUNTIME), cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, f"{unit}: 40 samples to generate\n"), done.stderr
    lines = done.stdout.splitlines()
    written = int(re.fullmatch(r"wrote (\d+) of 40 samples to out\.jsonl \(.*\)", lines[0]).group(1))
    failed = 40 - written
    assert 1 <= failed < 40
    assert lines[-1] == f"failed verification (not written): {_reason(unit)} {failed}"
    samples = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(samples) == written and all(len(s["text"]) <= 10 or unit == "rt_loops" for s in samples)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]  # no temporary file left behind


def test_the_same_seed_fails_the_same_samples(world_path, tmp_path):
    for name in ("a.jsonl", "b.jsonl"):
        done = _twinchat("generate", "rt_format", "-n", "40", "--seed", "3", "-o", name, "--db", str(world_path),
                         "--units", str(RUNTIME), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def _sessions(db: Path) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, status, reasons, turns FROM sessions ORDER BY id").fetchall()


def test_compose_stores_a_session_past_a_limit_as_failed_with_its_reason(world_path, tmp_path):
    reason = _reason("rt_times")
    results = []
    for workers in ("1", "2"):
        db = tmp_path / f"w{workers}.db"
        shutil.copy(world_path, db)
        done = _twinchat("compose", "--flow", "rt_flow", "-n", "40", "--workers", workers, "--db", db.name,
                         "--units", str(RUNTIME), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        ok, failed = map(int, re.search(r"^verified: (\d+) ok, (\d+) failed$", done.stdout, re.M).groups())
        assert ok + failed == 40 and 1 <= failed < 40
        assert f"failures: {reason} {failed}\n" in done.stdout
        rows = _sessions(db)
        assert len(rows) == 40
        broken = [r for r in rows if r[1] == "failed"]
        assert len(broken) == failed
        assert {(r[2], r[3]) for r in broken} == {(json.dumps([f"turn 1: {reason}"], ensure_ascii=False), "[]")}
        results.append(rows)
    assert results[0] == results[1]  # any number of workers: the same sessions, the same failures

    stats = _twinchat("stats", "--db", "w1.db", cwd=tmp_path)
    assert stats.returncode == 0 and re.search(rf"^  {re.escape(reason)} +{failed}$", stats.stdout, re.M)
    verify = _twinchat("verify", "--db", "w1.db", "--units", str(RUNTIME), cwd=tmp_path)
    assert verify.returncode == 0
    assert verify.stdout.splitlines()[-1] == f"failures: {reason} {failed}"
    assert f"{ok} ok, {failed} failed (0 newly failed, 0 newly ok)" in verify.stdout
