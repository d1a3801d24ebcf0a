"""`twinchat tui`: a one-line error, exit 1, for a database it cannot open; help with an example."""

from __future__ import annotations

from click.testing import CliRunner

from twinchat.composer.cli.commands import cli


def test_missing_database_is_one_line(tmp_path):
    db = tmp_path / "nope.db"
    result = CliRunner().invoke(cli, ["tui", "--db", str(db)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {db}: no such database; compose sessions first: twinchat compose --db {db}\n"


def test_database_without_sessions_is_one_line(world_path):
    result = CliRunner().invoke(cli, ["tui", "--db", str(world_path)])
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {world_path}: no sessions table; compose sessions first: "
                             f"twinchat compose --db {world_path}\n")


def test_a_file_that_is_not_sqlite_is_one_line(tmp_path):
    db = tmp_path / "notes.db"
    db.write_text("not a database", encoding="utf-8")
    result = CliRunner().invoke(cli, ["tui", "--db", str(db)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {db}: not a twinchat database (file is not a database)\n"
    assert db.read_text(encoding="utf-8") == "not a database"  # left as it was


def test_help_names_the_options():
    result = CliRunner().invoke(cli, ["tui", "--help"])
    assert result.exit_code == 0
    assert "--db" in result.output and "--units" in result.output and "twinchat tui --db twinchat.db" in result.output
