"""What a compose run loads: only what its flow uses (start-up is part of every run's time)."""

import shutil

from loaded_modules import modules_after


def _modules_after_compose(db: str, flow: str) -> set[str]:
    """The modules loaded by ``twinchat compose --flow FLOW -n 2`` on ``db``, in a fresh interpreter."""
    return modules_after("compose", "--db", db, "--flow", flow, "-n", "2", "--workers", "1")


def test_a_flow_without_faker_slots_composes_without_faker_or_the_session_model(world_path, tmp_path):
    """memory_upgrade's units name no Faker provider, and sessions verified as they are composed
    need no Session model: neither Faker nor the pydantic models of stored sessions are built."""
    db = tmp_path / "world.db"
    shutil.copy(world_path, db)
    loaded = _modules_after_compose(str(db), "memory_upgrade")
    assert "twinchat.composer.verify.sessions" in loaded  # the probe saw a real run
    assert not {m for m in loaded if m == "faker" or m.startswith("faker.")}
    assert "twinchat.composer.session_models" not in loaded
