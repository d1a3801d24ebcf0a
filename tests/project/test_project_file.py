"""The project file: found in the working directory or given with --project, read by every command,
its defaults overridden by options; mix, calendar and persona; errors as one located line."""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from twinchat.composer.cli.commands import cli
from twinchat.composer.engine.calendar import SessionCalendar
from twinchat.composer.errors import ComposerError
from twinchat.composer.project import ProjectError, load_project
from twinchat.composer.project.persona import Personas
from twinchat.composer.store.batches import _shares


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A starter project with its world and 40 composed sessions."""
    root = tmp_path_factory.mktemp("p") / "shop"
    assert _invoke("new", str(root)).exit_code == 0
    result = _invoke("--project", str(root / "twinchat.yaml"), "compose", "-n", "40")
    assert result.exit_code == 0, result.output
    return root


def _copy(shop: Path, tmp: Path) -> Path:
    root = tmp / "shop"
    shutil.copytree(shop, root)
    return root


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_an_unknown_key_deep_down_names_its_path_and_the_fix(tmp_path):
    f = _write(tmp_path / "twinchat.yaml", "flow_personas:\n  coffee_shopping:\n    sytem_prompt: hi\n")
    with pytest.raises(ProjectError) as info:
        load_project(f)
    assert str(info.value) == (f"{f}:3: unknown key 'flow_personas.coffee_shopping.sytem_prompt' (did you mean "
                               "'system_prompt'?); keys here: system_prompt, channel")


@pytest.mark.parametrize("text, message", [
    ("shop: 豆香\nshop: 咖啡\n", r"twinchat.yaml:2: duplicate key 'shop'"),
    ("a: &x [1, 2]\nmix: *x\n", r"twinchat.yaml:1: .*anchor"),
    ("shop: [\n", r"twinchat.yaml:2: invalid YAML"),
])
def test_a_project_file_is_read_as_strictly_as_a_unit_file(tmp_path, text, message):
    """One parse with the unit files' checks: duplicate keys, anchors and aliases (an alias can
    expand a small file into gigabytes) and bad YAML are each one located line."""
    f = _write(tmp_path / "twinchat.yaml", text)
    with pytest.raises(ProjectError, match=message) as info:
        load_project(f)
    assert "\n" not in str(info.value)


def test_a_project_file_that_is_not_a_regular_file_is_refused(tmp_path):
    import os

    fifo = tmp_path / "twinchat.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ProjectError, match=r"twinchat.yaml: not a regular file; a project file is a YAML file$"):
        load_project(fifo)


def test_a_bad_value_names_its_key(tmp_path):
    f = _write(tmp_path / "twinchat.yaml", "calendar:\n  start: 2026-12-01\n  end: 2026-11-01\n")
    with pytest.raises(ProjectError, match=r"twinchat.yaml:1: key 'calendar': end 2026-11-01 is before start "
                                           r"2026-12-01$"):
        load_project(f)


def test_a_system_prompt_may_use_only_the_clock_shop_channel_and_flow(tmp_path):
    f = _write(tmp_path / "twinchat.yaml", "shop: 豆香\npersona:\n  system_prompt: '{{ shop }}{{ wether }}'\n")
    with pytest.raises(ProjectError, match=r"key 'persona.system_prompt': unknown variable 'wether'; a system "
                                           r"prompt may use channel, flow, now, shop$"):
        Personas.of(load_project(f))


def test_personas_render_per_flow_in_the_sandbox(tmp_path):
    f = _write(tmp_path / "twinchat.yaml", "shop: 豆香\npersona:\n  channel: 天猫\n  system_prompt: "
               "'{{ shop }}({{ channel }}) {{ now }}'\nflow_personas:\n  repair:\n    system_prompt: '维修 {{ flow }}'\n")
    personas = Personas.of(load_project(f))
    assert personas.for_flow("coffee")("2026-11-20 10:00:00") == "豆香(天猫) 2026-11-20 10:00:00"
    assert personas.for_flow("repair")("x") == "维修 repair"


def test_a_flow_mix_splits_n_by_weight_exactly():
    assert _shares(["a", "b", "c"], 10, {"a": 3, "b": 1, "c": 1}) == {"a": 6, "b": 2, "c": 2}
    assert _shares(["a", "b", "c"], 7, {"a": 1, "b": 1, "c": 1}) == {"a": 3, "b": 2, "c": 2}
    assert _shares(["a", "b"], 1, {"a": 1, "b": 3}) == {"a": 0, "b": 1}


def test_a_calendar_draws_only_open_hours_of_weighted_days():
    cal = SessionCalendar(date(2026, 3, 2), date(2026, 3, 15), "09:00", "18:00", [0, 0, 0, 0, 0, 1, 1],
                          {9: 0, 17: 5})
    clocks = [cal(random.Random(i)) for i in range(2000)]
    assert all(c.weekday() >= 5 and 10 <= c.hour < 18 for c in clocks)
    assert sum(c.hour == 17 for c in clocks) > 2000 * 0.3  # five times the weight of each other hour
    assert [cal(random.Random(5)) for _ in range(3)] == [cal(random.Random(5))] * 3
    with pytest.raises(ComposerError, match="no day has a weight above 0"):
        SessionCalendar(date(2026, 3, 2), date(2026, 3, 3), weekdays=[0] * 7)


def test_compose_follows_the_projects_calendar_and_export_its_persona(shop, tmp_path):
    conn = sqlite3.connect(shop / "twinchat.db")
    clocks = [datetime.fromisoformat(r[0]) for r in conn.execute("SELECT now FROM sessions")]
    conn.close()
    assert len(clocks) == 40
    assert all(date(2026, 11, 16) <= c.date() <= date(2026, 12, 13) and 9 <= c.hour < 22 for c in clocks)
    out = tmp_path / "oa"
    result = _invoke("--project", str(shop / "twinchat.yaml"), "export", "--format", "openai", "-o", str(out))
    assert result.exit_code == 0, result.output
    first = json.loads((out / "train.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["messages"][0]["content"].startswith("你是豆香咖啡旗舰店(天猫旗舰店)的智能客服")
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "- session calendar: 2026-11-16 to 2026-12-13, 09:00–22:00" in card
    assert json.loads((out / "export.json").read_text(encoding="utf-8"))["shop"][1] == "shop: 豆香咖啡旗舰店"


def test_every_command_finds_the_project_in_the_working_directory(shop, monkeypatch):
    monkeypatch.chdir(shop)
    stats = _invoke("stats", "--json")
    assert stats.exit_code == 0, stats.output
    assert json.loads(stats.stdout)["by_flow"] == {"coffee_shopping": 40}
    listed = _invoke("units", "list")
    assert "coffee_delivery" in listed.stdout
    elsewhere = _invoke("stats", "--db", "other.db")  # an option on the command line wins
    assert elsewhere.exit_code == 1 and "no database at other.db" in elsewhere.stderr


def test_verify_without_the_units_of_stored_sessions_is_an_error_not_a_verdict(shop, tmp_path):
    db = tmp_path / "copy.db"
    shutil.copyfile(shop / "twinchat.db", db)
    before = sqlite3.connect(db).execute("SELECT id, status, reasons FROM sessions ORDER BY id").fetchall()
    empty = _write(tmp_path / "twinchat.yaml", "shop: x\n")  # a project that forgot its units
    result = _invoke("--project", str(empty), "verify", "--db", str(db))
    assert result.exit_code == 1
    assert result.stderr == ("Error: session 'coffee_shopping/0/0' plays unit 'coffee_delivery', which is not loaded: "
                             "pass the folder of its file with --units DIR, or list that folder under `units:` in "
                             "twinchat.yaml\n")
    assert sqlite3.connect(db).execute("SELECT id, status, reasons FROM sessions ORDER BY id").fetchall() == before
    export = _invoke("--project", str(empty), "export", "--db", str(db), "--format", "plain", "-o",
                     str(tmp_path / "out"))
    assert export.exit_code == 1 and "plays unit 'coffee_delivery', which is not loaded" in export.stderr
    assert not (tmp_path / "out").exists()


def test_check_covers_flows_and_the_catalogs_categories(shop, tmp_path):
    root = _copy(shop, tmp_path)
    unit = root / "units" / "coffee_delivery.yaml"
    unit.write_text(unit.read_text(encoding="utf-8").replace("category: coffee_machine", "category: memory"),
                    encoding="utf-8")
    flow = root / "flows" / "coffee_shopping.yaml"
    flow.write_text(flow.read_text(encoding="utf-8").replace("unit: coffee_delivery", "unit: coffee_delivry"),
                    encoding="utf-8")
    result = _invoke("--project", str(root / "twinchat.yaml"), "check")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert any("slot 'product': unknown category 'memory'; categories: beans, coffee_machine, grinder" in x
               for x in lines), lines
    assert any("step 'ask_delivery' plays unknown unit 'coffee_delivry'" in x for x in lines), lines


def test_a_mix_naming_an_unknown_flow_is_refused_before_any_work(shop, tmp_path):
    root = _copy(shop, tmp_path)
    project = root / "twinchat.yaml"
    project.write_text(project.read_text(encoding="utf-8").replace("coffee_shopping: 1", "coffee_shoping: 1"),
                       encoding="utf-8")
    result = _invoke("--project", str(project), "compose", "-n", "5")
    assert result.exit_code == 1
    assert "coffee_shoping" in result.stderr and "coffee_shopping" in result.stderr


def test_new_refuses_a_directory_that_is_not_empty(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")
    result = _invoke("new", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {tmp_path}: not an empty directory; `twinchat new` writes only into a new or "
                             "empty one\n")
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]
