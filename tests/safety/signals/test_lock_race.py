"""Taking over a stale compose lock is atomic: of several composes starting at the same instant
over a lock left by a process that is gone, exactly one runs; the others are refused in one line."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

WAIT = 120
#: a compose that imports everything first, then starts at the wall-clock time given as its first argument
_AT = ("import sys, time; from twinchat.composer.cli import main; at = float(sys.argv.pop(1)); "
       "time.sleep(max(0.0, at - time.time())); sys.argv[0] = 'twinchat'; main()")
REFUSED = re.compile(r"Error: w\.db: a compose( \(pid (\d+)\))? is running on it; wait for it or stop it")


def _dead_pid() -> int:
    done = subprocess.Popen(["true"])
    done.wait(timeout=WAIT)
    return done.pid


def _stored(db: Path) -> tuple[int, int]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM sessions").fetchone()
    finally:
        conn.close()


@pytest.mark.parametrize("round_", [1, 2, 3])
def test_of_two_composes_over_a_stale_lock_exactly_one_runs(tmp_path, world_path, round_):
    shutil.copy(world_path, tmp_path / "w.db")
    (tmp_path / ".w.db.compose-lock").write_text(f"{_dead_pid()}\n")
    at = str(time.time() + 2.0)
    procs = [subprocess.Popen([sys.executable, "-c", _AT, at, "compose", "-n", "2000", "--db", "w.db"], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.pid, *p.communicate(timeout=WAIT), p.returncode) for p in procs]
    ran = [r for r in results if r[3] == 0]
    refused = [r for r in results if r[3] == 1]
    assert (len(ran), len(refused)) == (1, 1), results
    line = refused[0][2].strip()
    match = REFUSED.fullmatch(line)
    assert match, line
    assert match.group(2) in (None, str(ran[0][0]))  # the winner's PID, or none yet written
    assert refused[0][1] == ""
    assert _stored(tmp_path / "w.db") == (2000, 2000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.db"]  # the lock is gone


def test_a_lock_held_by_flock_is_held_whatever_pid_it_names(tmp_path, world_path):
    """The moment between a taker's flock and its PID: the file still names the dead process."""
    shutil.copy(world_path, tmp_path / "w.db")
    lock = tmp_path / ".w.db.compose-lock"
    lock.write_text(f"{_dead_pid()}\n")
    before = (tmp_path / "w.db").read_bytes()
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        done = subprocess.run([sys.executable, "-c", _AT, "0", "compose", "-n", "10", "--db", "w.db"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=WAIT, check=False)
    finally:
        os.close(fd)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "Error: w.db: a compose is running on it; wait for it or stop it\n"
    assert (tmp_path / "w.db").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".w.db.compose-lock", "w.db"]
