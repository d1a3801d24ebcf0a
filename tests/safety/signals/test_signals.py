"""SIGTERM is Ctrl-C, a killed process's temporary files are removed by the next run, and a
running compose holds a lock that ``init --force`` respects.

Each SIGTERM case starts the real ``twinchat`` command, waits (bounded) until it is writing its
temporary file, sends SIGTERM, and checks the exit code, the one-line message and that nothing is
left behind. Every wait is bounded.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from twinchat.composer.cli.commands import cli

TWINCHAT = str(Path(sys.executable).with_name("twinchat"))
WAIT = 60.0
INTERRUPTED = "interrupted: twinchat {} stopped before it finished"
COMPOSE_INTERRUPTED = re.compile(r"interrupted: [\d,]+ new sessions committed to w\.db \([\d,]+ of [\d,]+ "
                                 r"stored\); run the same command again to resume")
LOCKED = "Error: w.db: a compose (pid {}) is running on it; wait for it or stop it"


@pytest.fixture(scope="module")
def samples(samples_file) -> Path:
    """A samples file large enough that exporting it takes a few seconds."""
    return samples_file(50000)


def _dead_pid() -> int:
    """The PID of a process that has ended (and been reaped)."""
    done = subprocess.Popen(["true"])
    done.wait(timeout=WAIT)
    return done.pid


def _start(root: Path, *argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen([TWINCHAT, *argv], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(proc: subprocess.Popen[str], root: Path, pattern: str) -> None:
    """Wait until a file matching ``pattern`` exists in ``root`` (the command has started writing)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if list(root.glob(pattern)):
            return
        if proc.poll() is not None:
            raise AssertionError(f"ended before writing {pattern}: {proc.communicate()[1]}")
        time.sleep(0.01)
    proc.kill()
    raise AssertionError(f"never wrote {pattern}")


def _finish(proc: subprocess.Popen[str], sig: int | None = signal.SIGTERM) -> tuple[int, list[str]]:
    """Send ``sig`` (if any) and wait for the command: its exit code and stderr lines."""
    if sig is not None:
        proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=WAIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return proc.returncode, err.splitlines()


def _names(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir())


def _world(root: Path, world_path: Path) -> None:
    shutil.copy(world_path, root / "w.db")


# -- SIGTERM ---------------------------------------------------------------------------------------
def test_sigterm_during_init_leaves_no_temporary_database(tmp_path):
    proc = _start(tmp_path, "init", "--db", "w.db")
    _wait_for(proc, tmp_path, ".w.db.building-*")
    code, err = _finish(proc)
    assert code == 130
    assert [line for line in err if not line.startswith("building ")] == [INTERRUPTED.format("init")]
    assert _names(tmp_path) == []


def test_sigterm_during_generate_leaves_no_partial_file(tmp_path, world_path):
    _world(tmp_path, world_path)
    proc = _start(tmp_path, "generate", "address_extraction", "-n", "2000000", "-o", "s.jsonl", "--db", "w.db")
    _wait_for(proc, tmp_path, ".s.jsonl.part-*")
    code, err = _finish(proc)
    assert code == 130
    assert err[1:] == [INTERRUPTED.format("generate")]  # after "address_extraction: N samples to generate"
    assert _names(tmp_path) == ["w.db"]


@pytest.mark.parametrize("force", [False, True], ids=["new", "force"])
def test_sigterm_during_export_leaves_no_staging_folder(tmp_path, samples, force):
    shutil.copy(samples, tmp_path / "s.jsonl")
    if force:  # an earlier export, kept as it was
        assert CliRunner().invoke(cli, ["export", "--format", "alpaca", "-o", str(tmp_path / "out"),
                                        "--from-samples", str(samples)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} if force else None
    proc = _start(tmp_path, "export", "--format", "alpaca", "-o", "out", "--from-samples", "s.jsonl",
                  *(["--force"] if force else []))
    _wait_for(proc, tmp_path, ".out.part-*")
    code, err = _finish(proc)
    assert code == 130, err  # the message says what ended it otherwise
    assert err == [INTERRUPTED.format("export")]
    assert _names(tmp_path) == (["out", "s.jsonl"] if force else ["s.jsonl"])
    if force:
        assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_during_compose_keeps_the_batches_and_removes_the_lock(tmp_path, world_path, workers):
    _world(tmp_path, world_path)
    proc = _start(tmp_path, "compose", "-n", "1000000", "--db", "w.db", "--workers", str(workers))
    _wait_for(proc, tmp_path, ".w.db.compose-lock")
    time.sleep(1.0)
    code, err = _finish(proc)
    assert code == 130
    assert len(err) == 1 and COMPOSE_INTERRUPTED.fullmatch(err[0]), err
    assert _names(tmp_path) == ["w.db"]


# -- leftovers of a process that is gone -----------------------------------------------------------
def _plant(root: Path, names: list[str]) -> None:
    for name in names:
        if name.endswith("/"):
            (root / name).mkdir()
            (root / name / "x.jsonl").write_text("{}\n")
        else:
            (root / name).write_text("left over")


def _run(root: Path, *argv: str) -> None:
    """Run the command in its own process (this test's process stands for a live one)."""
    code, err = _finish(_start(root, *argv), None)
    assert code == 0, err


def _run_init(root: Path, world_path: Path) -> None:
    _run(root, "init", "--db", "w.db")


def _run_generate(root: Path, world_path: Path) -> None:
    _world(root, world_path)
    _run(root, "generate", "address_extraction", "-n", "5", "-o", "s.jsonl", "--db", "w.db")


def _run_export(root: Path, world_path: Path) -> None:
    _run_generate(root, world_path)
    _run(root, "export", "--format", "alpaca", "-o", "out", "--from-samples", "s.jsonl")


LEFTOVERS: dict[str, tuple[Callable[[Path, Path], None], list[str], list[str]]] = {
    # command: (run, names left by a dead process (removed), names kept: a live process's, or not ours)
    "init": (_run_init, [".w.db.building-{dead}", ".w.db.building-{dead}-journal"],
             [".w.db.building-{live}", ".w.db.building-{live}-journal", ".w.db.building-x", ".v.db.building-{dead}"]),
    "generate": (_run_generate, [".s.jsonl.part-{dead}"],
                 [".s.jsonl.part-{live}", ".s.jsonl.partial-{dead}", "s.jsonl.part-{dead}"]),
    "export": (_run_export, [".out.part-{dead}-0123abcd/", ".out.old-{dead}-89abcdef/"],
               [".out.part-{live}-0123abcd/", ".out.old-{live}-89abcdef/", ".outx.part-{dead}-0123abcd/"]),
}


@pytest.mark.parametrize("command", list(LEFTOVERS))
def test_the_next_run_removes_what_a_dead_process_left(tmp_path, world_path, command):
    run, dead, kept = LEFTOVERS[command]
    pids = {"dead": _dead_pid(), "live": os.getpid()}
    dead = [n.format(**pids) for n in dead]
    kept = [n.format(**pids) for n in kept]
    _plant(tmp_path, dead + kept)
    run(tmp_path, world_path)
    names = set(_names(tmp_path))
    assert not names & {n.rstrip("/") for n in dead}
    assert {n.rstrip("/") for n in kept} <= names


def test_an_export_killed_between_its_renames_gets_its_old_folder_back(tmp_path, samples):
    """The old export was moved aside and the new one not yet moved in: the next run puts it back
    (and, without --force, does not replace it)."""
    old = tmp_path / f".out.old-{_dead_pid()}-0123abcd"
    old.mkdir()
    assert CliRunner().invoke(cli, ["export", "--format", "alpaca", "-o", str(old / "d"),
                                    "--from-samples", str(samples)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in (old / "d").iterdir()}
    result = CliRunner().invoke(cli, ["export", "--format", "alpaca", "-o", str(tmp_path / "out"),
                                      "--from-samples", str(samples)])
    assert (result.exit_code, result.stderr) == (1, f"Error: {tmp_path / 'out'}: already exists; pass --force to "
                                                    "replace it\n")
    assert _names(tmp_path) == ["out"]
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before


# -- the compose lock --------------------------------------------------------------------------------
def _lock(root: Path, pid: int) -> Path:
    lock = root / ".w.db.compose-lock"
    lock.write_text(f"{pid}\n")
    return lock


def test_init_force_refuses_a_database_locked_by_a_live_process(tmp_path, world_path):
    _world(tmp_path, world_path)
    lock = _lock(tmp_path, os.getpid())
    before = (tmp_path / "w.db").read_bytes()
    code, err = _finish(_start(tmp_path, "init", "--db", "w.db", "--force"), None)
    assert (code, err) == (1, [LOCKED.format(os.getpid())])
    assert (tmp_path / "w.db").read_bytes() == before
    assert lock.read_text() == f"{os.getpid()}\n"
    assert _names(tmp_path) == [".w.db.compose-lock", "w.db"]


def test_init_force_takes_over_a_stale_lock(tmp_path, world_path):
    _world(tmp_path, world_path)
    _lock(tmp_path, _dead_pid())
    code, err = _finish(_start(tmp_path, "init", "--db", "w.db", "--force"), None)
    assert code == 0, err
    assert _names(tmp_path) == ["w.db"]


def test_init_force_refuses_while_compose_runs(tmp_path, world_path):
    _world(tmp_path, world_path)
    compose = _start(tmp_path, "compose", "-n", "1000000", "--db", "w.db")
    try:
        _wait_for(compose, tmp_path, ".w.db.compose-lock")
        code, err = _finish(_start(tmp_path, "init", "--db", "w.db", "--force", "--drop-sessions"), None)
        assert (code, err) == (1, [LOCKED.format(compose.pid)])
    finally:
        code, err = _finish(compose)
    assert code == 130 and len(err) == 1 and COMPOSE_INTERRUPTED.fullmatch(err[0]), err
    assert _names(tmp_path) == ["w.db"]


def test_compose_refuses_a_database_locked_by_a_live_process(tmp_path, world_path):
    _world(tmp_path, world_path)
    _lock(tmp_path, os.getpid())
    code, err = _finish(_start(tmp_path, "compose", "-n", "10", "--db", "w.db"), None)
    assert (code, err) == (1, [LOCKED.format(os.getpid())])
    assert _names(tmp_path) == [".w.db.compose-lock", "w.db"]


def test_compose_takes_over_a_stale_lock(tmp_path, world_path):
    _world(tmp_path, world_path)
    _lock(tmp_path, _dead_pid())
    code, err = _finish(_start(tmp_path, "compose", "-n", "10", "--db", "w.db"), None)
    assert code == 0, err
    assert _names(tmp_path) == ["w.db"]


def test_compose_fails_when_its_database_is_replaced(tmp_path, world_path):
    _world(tmp_path, world_path)
    shutil.copy(world_path, tmp_path / "other.db")
    compose = _start(tmp_path, "compose", "-n", "1000000", "--db", "w.db")
    _wait_for(compose, tmp_path, ".w.db.compose-lock")
    time.sleep(0.5)
    os.replace(tmp_path / "other.db", tmp_path / "w.db")  # what a tool ignoring the lock would do
    code, err = _finish(compose, None)
    assert (code, err) == (1, ["Error: w.db: the database was replaced (or its sessions table dropped) while "
                               "composing; the sessions of this run are not in it: run the same command again"])
    assert not (tmp_path / ".w.db.compose-lock").exists()


# -- a signal handled the moment the scratch path exists ----------------------------------------------
@pytest.mark.parametrize("what", ["export staging folder", "atomic write"])
def test_an_interruption_just_after_the_scratch_path_is_made_leaves_nothing(tmp_path, monkeypatch, what):
    """Python raises a signal's exception at the first bytecode after the system call that made
    the scratch folder or file: the cleanup must already cover that moment."""
    import builtins
    import pathlib

    from twinchat.composer import atomic
    from twinchat.composer.export.output import staging

    def then_interrupted(make):
        def wrapped(*args, **kwargs):
            made = make(*args, **kwargs)
            if hasattr(made, "close"):
                made.close()
            raise KeyboardInterrupt
        return wrapped

    if what == "atomic write":
        monkeypatch.setattr(atomic, "open", then_interrupted(builtins.open), raising=False)
        block = atomic.atomic_write(tmp_path / "out.jsonl")
    else:
        monkeypatch.setattr(pathlib.Path, "mkdir", then_interrupted(pathlib.Path.mkdir))
        block = staging(tmp_path / "out")
    with pytest.raises(KeyboardInterrupt):
        with block:
            pass
    monkeypatch.undo()
    assert _names(tmp_path) == []
