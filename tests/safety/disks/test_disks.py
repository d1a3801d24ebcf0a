"""Read-only and full disks: one command per case, each refused with one line naming the file and
the cause (exit 1), nothing half-written, the folder as it was.

Read-only: as a user, the folder's write bits are removed; as root (whom permissions do not stop),
the folder is bound read-only onto itself in a private mount namespace (``unshare -m``), a real
read-only file system that disappears with the command. Full: the command runs with a file size
limit (``RLIMIT_FSIZE``, with SIGXFSZ ignored), so its writes fail as they would on a full disk.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

WAIT = 120
_CODE = "import sys; from twinchat.composer.cli import main; sys.argv[0] = 'twinchat'; main()"
#: as root: bind the folder ($0) read-only onto itself, enter it, run the command
_READ_ONLY = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && cd "$0" && exec "$@"'
ROOT = os.geteuid() == 0


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _can_unshare() -> bool:
    try:
        probe = subprocess.run(["unshare", "-m", "sh", "-c", 'mount --bind "$0" "$0"', "/tmp"], capture_output=True,
                               timeout=WAIT, check=False)
    except OSError:
        return False
    return probe.returncode == 0


def _read_only(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``twinchat args`` in ``folder``, which it cannot write to."""
    command = [sys.executable, "-c", _CODE, *args]
    if not ROOT:
        modes = {p: p.stat().st_mode for p in (folder, *folder.iterdir())}
        for p, mode in modes.items():
            p.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        try:
            return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=WAIT, check=False)
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
    if not _can_unshare():
        pytest.skip("running as root without a private mount namespace (unshare -m): no honest way to make a "
                    "folder read-only for root")
    return subprocess.run(["unshare", "-m", "sh", "-c", _READ_ONLY, str(folder), *command], cwd=folder,
                          capture_output=True, text=True, timeout=WAIT, check=False)


#: what the system says of a write to the read-only folder, as the messages quote it
DENIED = "read-only file system" if ROOT else "permission denied"
SAYS = "Read-only file system" if ROOT else "Permission denied"


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory, world_path):
    """A writable folder with a world holding 40 composed sessions (what generate and export read)."""
    folder = tmp_path_factory.mktemp("elsewhere")
    shutil.copy(world_path, folder / "w.db")
    done = subprocess.run([sys.executable, "-c", _CODE, "compose", "-n", "40", "--db", "w.db"], cwd=folder,
                          capture_output=True, text=True, timeout=WAIT, check=False)
    assert done.returncode == 0, done.stderr
    return folder / "w.db"


def _cases(elsewhere: Path) -> dict[str, tuple[list[str], str]]:
    return {
        "init_new": (["init", "--db", "new.db"],
                     f"Error: new.db: cannot write it ({DENIED}); build the world in a writable folder"),
        "init_force": (["init", "--db", "w.db", "--force"],
                       f"Error: w.db: cannot write it ({DENIED}); build the world in a writable folder"),
        "stats": (["stats", "--db", "w.db"],
                  f"Error: w.db: cannot open it for writing ({DENIED}); twinchat opens a world read-write: copy it "
                  "to a writable folder"),
        "compose": (["compose", "-n", "5", "--db", "w.db"],
                    f"Error: w.db: cannot compose into it ({DENIED}); copy the world to a writable folder"),
        "generate": (["generate", "address_extraction", "-n", "3", "-o", "g.jsonl", "--db", str(elsewhere)],
                     f"Error: g.jsonl: cannot write it ({SAYS})"),
        "export": (["export", "--format", "openai", "-o", "out", "--db", str(elsewhere)],
                   f"Error: out: cannot write it ({SAYS})"),
    }


@pytest.mark.parametrize("case", ["init_new", "init_force", "stats", "compose", "generate", "export"])
def test_a_read_only_folder_is_named_with_its_cause(case, tmp_path, world_path, elsewhere):
    args, line = _cases(elsewhere)[case]
    shutil.copy(world_path, tmp_path / "w.db")
    before = _snapshot(tmp_path)
    done = _read_only(tmp_path, *args)
    errors = [x for x in done.stderr.splitlines() if x != "address_extraction: 3 samples to generate"]
    assert (done.returncode, done.stdout, errors) == (1, "", [line])
    assert _snapshot(tmp_path) == before


# -- a full disk -----------------------------------------------------------------------------------
def _full(folder: Path, limit: int, *args: str) -> subprocess.CompletedProcess[str]:
    """``twinchat args`` in ``folder``, unable to write a file past ``limit`` bytes."""
    def confine() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return subprocess.run([sys.executable, "-c", _CODE, *args], cwd=folder, capture_output=True, text=True,
                          timeout=WAIT, preexec_fn=confine, check=False)


FULL = {
    "init": (1_000_000, ["init", "--db", "new.db"],
             "Error: new.db: cannot write it (disk I/O error); is the disk full? Nothing was written"),
    "generate": (2_000_000, ["generate", "address_extraction", "-n", "20000", "-o", "g.jsonl", "--db", "{world}"],
                 "Error: g.jsonl: cannot write it (File too large); is the disk full? Nothing was written"),
    "export": (100_000, ["export", "--format", "openai", "-o", "out", "--db", "{world}"],
               "Error: out: cannot write it (File too large); is the disk full? Nothing was written"),
}


@pytest.mark.parametrize("case", sorted(FULL))
def test_a_full_disk_names_the_file_and_leaves_nothing(case, tmp_path, elsewhere):
    limit, args, line = FULL[case]
    done = _full(tmp_path, limit, *(a.replace("{world}", str(elsewhere)) for a in args))
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    assert [x for x in done.stderr.splitlines() if not x.startswith(("address_extraction: ", "building "))] == [line]
    assert list(tmp_path.iterdir()) == []  # no temporary file or staging folder left


def _count(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
    finally:
        conn.close()


def test_compose_on_a_full_disk_keeps_its_batches_and_resumes(tmp_path, world_path):
    shutil.copy(world_path, tmp_path / "w.db")
    done = _full(tmp_path, 3_000_000, "compose", "-n", "1500", "--db", "w.db")
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    assert done.stderr == ("Error: w.db: cannot write sessions (disk I/O error); is the disk full? The batches "
                           "committed before are kept: free some space and run the same command again\n")
    kept = _count(tmp_path / "w.db")
    assert 0 < kept < 1500
    assert not (tmp_path / ".w.db.compose-lock").exists()
    again = subprocess.run([sys.executable, "-c", _CODE, "compose", "-n", "1500", "--db", "w.db"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=WAIT, check=False)
    assert again.returncode == 0, again.stderr
    assert re.match(rf"composed {1500 - kept:,} sessions into w\.db in .*; {kept:,} already stored\n", again.stdout)
    assert _count(tmp_path / "w.db") == 1500
