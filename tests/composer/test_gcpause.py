"""The garbage collector paused while a ``twinchat`` process starts, and running again when its work begins."""

from __future__ import annotations

import gc
import shutil
import subprocess
import sys

import pytest

from twinchat.composer import gcpause


@pytest.fixture
def collector():
    """The collector's state around a test: running, nothing frozen, restored after."""
    was = gc.isenabled()
    gc.enable()
    yield
    gc.unfreeze()
    gcpause._paused = False
    (gc.enable if was else gc.disable)()


def test_resume_without_pause_leaves_the_collector_as_it_was(collector):
    gcpause.resume()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    gcpause.resume()  # a caller that stopped the collector itself keeps it stopped
    assert not gc.isenabled()


def test_pause_stops_the_collector_until_resume_which_sets_start_up_aside(collector):
    gcpause.pause()
    assert not gc.isenabled()
    gcpause.resume()
    assert gc.isenabled() and gc.get_freeze_count() > 0
    frozen = gc.get_freeze_count()
    gcpause.resume()  # once only
    assert gc.get_freeze_count() == frozen


_SCRIPT = ("import gc, sys\nfrom twinchat.composer.cli.commands import main\nseen = []\n"
           "import twinchat.composer.gcpause as p\nresume = p.resume\n"
           "def spy():\n    seen.append(gc.isenabled())\n    resume()\n"
           "p.resume = spy\n"
           "import twinchat.composer.cli.commands as c, twinchat.composer.cli.generate_command as g, "
           "twinchat.composer.store.batches as b\n"
           "c.resume = g.resume = b.resume = spy\n"
           "sys.argv = ['twinchat', *sys.argv[1:]]\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
           "print('collector', seen[:1], gc.isenabled())")


@pytest.mark.parametrize("args", [
    ["units", "list"],
    ["generate", "address_extraction", "-n", "2", "--db", "w.db", "-o", "x.jsonl"],
    ["compose", "-n", "2", "--db", "w.db"],
], ids=["units list", "generate", "compose"])
def test_every_command_runs_its_work_with_the_collector(args, world_path, tmp_path):
    """Started as the console script does, each command finds the collector paused by start-up
    and ends with it running: generate and compose resume it themselves, the others on start."""
    shutil.copy(world_path, tmp_path / "w.db")
    done = subprocess.run([sys.executable, "-c", _SCRIPT, *args], cwd=tmp_path, capture_output=True, text=True,
                          check=True)
    assert done.stdout.splitlines()[-1] == "collector [False] True", done.stdout + done.stderr
