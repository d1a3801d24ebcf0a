"""``twinchat compose``, ``verify`` and ``stats`` from the command line."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from twinchat.composer.cli.commands import cli
from twinchat.units.loader import load_content


def test_compose_then_stats_and_verify(world_path, tmp_path):
    db = tmp_path / "t.db"
    shutil.copy(world_path, db)
    runner = CliRunner()
    flows = sorted(load_content()[1])
    n = 2 * len(flows)
    result = runner.invoke(cli, ["compose", "-n", str(n), "--seed", "1", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert f"composed {n} sessions into {db}" in result.stdout
    assert "flows: " + ", ".join(f"{f} 2" for f in flows) in result.stdout
    assert f"verified: {n} ok, 0 failed" in result.stdout

    again = runner.invoke(cli, ["compose", "-n", str(n), "--seed", "1", "--db", str(db)])
    assert "composed 0 sessions" in again.stdout and f"{n} already stored" in again.stdout

    stats = runner.invoke(cli, ["stats", "--db", str(db), "--json"])
    assert stats.exit_code == 0, stats.output
    data = json.loads(stats.stdout)
    assert data["sessions"] == n and data["by_status"] == {"ok": n}
    assert data["by_flow"] == {f: 2 for f in flows}

    table = runner.invoke(cli, ["stats", "--db", str(db), "--flow", "repair_ticket"])
    assert "sessions: 2  ok 2" in table.stdout and "memory_upgrade" not in table.stdout

    verified = runner.invoke(cli, ["verify", "--db", str(db)])
    assert verified.exit_code == 0
    assert f"checked {n} sessions" in verified.stdout and f"{n} ok, 0 failed" in verified.stdout


def test_compose_builds_the_world_when_missing(tmp_path):
    db = tmp_path / "fresh.db"
    result = CliRunner().invoke(cli, ["compose", "-n", "2", "--flow", "repair_ticket", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert f"no world at {db}: building it (seed 0)" in result.stderr
    assert "composed 2 sessions" in result.stdout


def test_session_commands_report_bad_input_in_one_line(world_path, tmp_path):
    runner = CliRunner()
    missing = tmp_path / "none.db"
    for command in ("stats", "verify"):
        result = runner.invoke(cli, [command, "--db", str(missing)])
        assert result.exit_code == 1
        assert result.stderr == (f"Error: no database at {missing}; create one with "
                                 f"`twinchat compose -n 1000 --db {missing}`\n")
    db = tmp_path / "t.db"
    shutil.copy(world_path, db)
    result = runner.invoke(cli, ["compose", "--flow", "nope", "-n", "1", "--db", str(db)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: unknown flow 'nope'; flows: ")
    assert result.stderr.count("\n") == 1 and "memory_upgrade, " in result.stderr
    assert runner.invoke(cli, ["compose", "-n", "0", "--db", str(db)]).exit_code == 2
    assert runner.invoke(cli, ["stats", "--status", "maybe", "--db", str(db)]).exit_code == 2


def test_a_file_system_error_is_one_line_not_a_traceback(world_path, tmp_path):
    db = tmp_path / "t.db"
    shutil.copy(world_path, db)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder is expected")
    result = CliRunner().invoke(cli, ["generate", "address_extraction", "-n", "2", "--db", str(db),
                                      "-o", str(blocker / "out.jsonl")])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"Error: {blocker / 'out.jsonl'}: cannot write it (Not a directory)"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([db.name, blocker.name])  # no temporary file left
    assert "Traceback" not in result.output


def test_an_unknown_flow_or_unit_is_said_before_any_world_is_built(tmp_path):
    runner = CliRunner()
    db = tmp_path / "never.db"
    result = runner.invoke(cli, ["compose", "--flow", "memory_upgrad", "-n", "1", "--db", str(db)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: unknown flow 'memory_upgrad' (did you mean 'memory_upgrade'?)")
    result = runner.invoke(cli, ["generate", "adress_extraction", "-n", "1", "--db", str(db),
                                 "-o", str(tmp_path / "x.jsonl")])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: unknown unit 'adress_extraction' (did you mean 'address_extraction'?)")
    assert "building" not in result.stderr
    assert not db.exists() and not (tmp_path / "x.jsonl").exists()
