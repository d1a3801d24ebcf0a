"""``twinchat verify`` names a world-seed mismatch: sessions composed on another world's seed are
counted in one line and each failing one carries a reason naming both seeds."""

from __future__ import annotations

import json
import sqlite3

from checks_cli import run_twinchat


def test_sessions_of_another_world_seed_are_named_once(tmp_path):
    # the sessions of seed 8 on world 3 each call a tool whose answer depends on the world (a short
    # session that only reads the static knowledge base, or asks for a human agent, would verify on
    # any world): order-status sessions, which look up the world's orders
    for db, seed, session_seed in (("w0.db", "0", "0"), ("w3.db", "3", "8")):
        assert run_twinchat("init", "--db", db, "--seed", seed, cwd=tmp_path).returncode == 0
        assert run_twinchat("compose", "-n", "4", "--seed", session_seed, "--flow", "order_status", "--db", db,
                            cwd=tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "w0.db") as conn:  # a store merged from a world of another seed
        conn.execute("ATTACH ? AS other", (str(tmp_path / "w3.db"),))
        conn.execute("INSERT INTO sessions SELECT * FROM other.sessions")
    done = run_twinchat("verify", "--db", "w0.db", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert lines[0].startswith("checked 8 sessions in ") and lines[0].endswith(": 4 ok, 4 failed (4 newly failed, "
                                                                                "0 newly ok)")
    assert lines[2:] == ["world seed: 4 sessions were composed on world seed 3 but the world is seed 0"]
    with sqlite3.connect(tmp_path / "w0.db") as conn:
        rows = conn.execute("SELECT world_seed, status, reasons FROM sessions ORDER BY id").fetchall()
    for world_seed, status, reasons in rows:
        if world_seed == 3:
            assert status == "failed"
            assert json.loads(reasons)[0] == "world_seed: composed on 3, world is 0"
        else:
            assert (status, json.loads(reasons)) == ("ok", [])
