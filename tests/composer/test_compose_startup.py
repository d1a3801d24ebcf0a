"""What a compose run loads: only what its flow uses (start-up is part of every run's time)."""

import shutil
import subprocess
import sys


def _modules_after_compose(db: str, flow: str) -> set[str]:
    """The modules loaded by ``twinchat compose --flow FLOW -n 2`` on ``db``, in a fresh interpreter."""
    probe = (
        "import sys\n"
        "from twinchat.composer.cli import cli\n"
        f"args = ['compose', '--db', {db!r}, '--flow', {flow!r}, '-n', '2', '--workers', '1']\n"
        "try:\n    cli(args)\nexcept SystemExit as stop:\n    assert stop.code == 0, stop.code\n"
        "print('MODULES', ' '.join(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("MODULES "))
    return set(line.split()[1:])


def test_a_flow_without_faker_slots_composes_without_faker_or_the_session_model(world_path, tmp_path):
    """memory_upgrade's units name no Faker provider, and sessions verified as they are composed
    need no Session model: neither Faker nor the pydantic models of stored sessions are built."""
    db = tmp_path / "world.db"
    shutil.copy(world_path, db)
    loaded = _modules_after_compose(str(db), "memory_upgrade")
    assert "twinchat.composer.verify.sessions" in loaded  # the probe saw a real run
    assert not {m for m in loaded if m == "faker" or m.startswith("faker.")}
    assert "twinchat.composer.session_models" not in loaded
