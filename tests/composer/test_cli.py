"""The command line: help everywhere, one-line errors with exit 1, usage errors with exit 2."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from twinchat.composer.cli.commands import cli


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # the commands loaded when asked for among them
        command = group.get_command(ctx, name)
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


ALL = list(_commands(cli))


@pytest.mark.parametrize("path", [p for p, _ in ALL], ids=[" ".join(p) for p, _ in ALL])
def test_every_command_has_help_with_an_example(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    command = dict(ALL)[path]
    if not isinstance(command, click.Group):
        assert "Example" in result.output, f"`twinchat {' '.join(path)} --help` shows no example"


def test_init_builds_then_refuses_to_overwrite(tmp_path):
    db = tmp_path / "shop.db"
    runner = CliRunner()
    first = runner.invoke(cli, ["init", "--db", str(db), "--seed", "2"])
    assert first.exit_code == 0, first.output
    assert f"built {db} (seed 2)" in first.stdout
    assert "products" in first.stdout
    second = runner.invoke(cli, ["init", "--db", str(db)])
    assert second.exit_code == 1
    assert second.stderr == f"Error: {db}: file exists; pass --force to replace it\n"
    assert second.stdout == ""


def test_init_into_a_missing_directory(tmp_path):
    result = CliRunner().invoke(cli, ["init", "--db", str(tmp_path / "nope" / "w.db")])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'nope'}: directory does not exist\n"


@pytest.mark.parametrize("command", [["compose", "-n", "2"], ["generate", "address_extraction", "-n", "2", "-o"]])
def test_a_world_in_a_missing_directory_is_refused_before_it_is_announced(tmp_path, command):
    db = tmp_path / "nope" / "w.db"
    out = [str(tmp_path / "a.jsonl")] if command[-1] == "-o" else []
    result = CliRunner().invoke(cli, [*command, *out, "--db", str(db)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'nope'}: directory does not exist\n"


def test_bad_usage_exits_2():
    result = CliRunner().invoke(cli, ["init", "--seed", "many"])
    assert result.exit_code == 2
    assert "'many' is not a valid integer" in result.stderr


def test_tools_call_prints_the_result(world_path):
    args = json.dumps({"category": "内存条", "compatible_with": "T14", "limit": 2}, ensure_ascii=False)
    result = CliRunner().invoke(cli, ["tools", "call", "search_products", args, "--db", str(world_path),
                                      "--now", "2026-11-20 10:00"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["device"]["name"] == "联想ThinkPad T14 Gen 4" and len(out["products"]) == 2


def test_tools_call_errors(world_path, tmp_path):
    runner = CliRunner()
    unknown = runner.invoke(cli, ["tools", "call", "teleport", "{}", "--db", str(world_path)])
    assert unknown.exit_code == 1
    assert unknown.stderr.startswith("Error: unknown tool 'teleport' (known tools: change_address, check_coupons, check_delivery, check_price_protection, "
                                   "create_ticket,")
    assert unknown.stderr.count("\n") == 1
    bad_json = runner.invoke(cli, ["tools", "call", "search_products", "{oops", "--db", str(world_path)])
    assert bad_json.exit_code == 2 and "not JSON" in bad_json.stderr
    missing = runner.invoke(cli, ["tools", "call", "search_products", "{}", "--db", str(tmp_path / "x.db")])
    assert missing.exit_code == 1
    assert missing.stderr == (f"Error: {tmp_path / 'x.db'}: no such world; "
                              f"create it with `twinchat init --db {tmp_path / 'x.db'}`\n")


def test_tools_schema(world_path):
    result = CliRunner().invoke(cli, ["tools", "schema", "create_ticket"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["name"] == "create_ticket" and "phone" in schema["parameters"]["properties"]
