"""The demo plugin's slot source ``licence_plate``, installed for real: a unit using it validates,
passes the load-time checks, generates and composes; its config, forms and checks speak in the
same one-line errors as twinchat's own sources; a plugin that cannot be used is one line too."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

PLATE = re.compile(r"粤[A-HJ-NP-Z](·| )\d{5}")
SOURCES = "choice, composite, context, faker, inventory, licence_plate, place, reference, time"


def _unit(plugin_site: Path) -> Path:
    return plugin_site / "twinchat_demo_plugin" / "units" / "demo_licence_plate.yaml"


def test_a_unit_using_the_plugin_source_passes_the_checks(run_twinchat, plugin_site):
    done = run_twinchat("units", "check", str(_unit(plugin_site)))
    assert (done.stdout, done.stderr) == ("1 unit(s) OK\n", "")


def test_generate_and_compose_draw_plates_of_both_forms(run_twinchat, plugin_site, world_path, tmp_path):
    db = tmp_path / "world.db"
    shutil.copy(world_path, db)
    run_twinchat("generate", "demo_licence_plate", "-n", "50", "--units", str(_unit(plugin_site)),
                 "-o", "out.jsonl", "--db", str(db))
    samples = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(samples) == 50
    forms = set()
    for sample in samples:
        found = PLATE.search(sample["text"])
        assert found, sample["text"]
        forms.add(found[1])
        assert sample["label"]["province"] == "粤"
        assert sample["label"]["plate_number"] == found[0][-5:]
    assert forms == {"·", " "}  # plain and spaced

    flow = tmp_path / "plate_flow.yaml"
    flow.write_text("kind: flow\nid: plate_flow\ntitle: 车牌\nstart: plate\nsteps:\n"
                    "  - id: plate\n    unit: demo_licence_plate\n    next: {\"*\": end}\n", encoding="utf-8")
    done = run_twinchat("compose", "--flow", "plate_flow", "-n", "20", "--db", str(db),
                        "--units", str(_unit(plugin_site)), "--units", str(flow))
    assert "verified: 20 ok, 0 failed" in done.stdout
    with sqlite3.connect(db) as conn:
        texts = [t for (t,) in conn.execute("SELECT user_text FROM sessions WHERE flow = 'plate_flow'")]
    assert len(texts) == 20 and all(PLATE.search(t) for t in texts), texts


def _write(tmp_path: Path, name: str, slot: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"id: {name}\ntitle: t\nslots:\n  plate:\n{slot}templates:\n  - id: t1\n    text: \"{{{{ plate }}}}\"\n",
                    encoding="utf-8")
    return path


def test_an_unknown_source_lists_the_plugin_source(run_twinchat, tmp_path):
    path = _write(tmp_path, "typo", "    source: licence_plat\n")
    done = run_twinchat("units", "check", str(path), check=False)
    assert done.returncode == 1
    assert done.stderr == (f"Error: {path}:4: unit 'typo', field slots.plate: unknown slot source 'licence_plat' "
                           f"(did you mean 'licence_plate'?); sources: {SOURCES}\n")


def test_the_plugin_config_forms_and_checks_give_located_errors(run_twinchat, tmp_path):
    field = _write(tmp_path, "field", "    source: licence_plate\n    provinces: 粤\n")
    done = run_twinchat("units", "check", str(field), check=False)
    assert (done.returncode, done.stderr) == (1, f"Error: {field}:6: unit 'field', field slots.plate.provinces: "
                                                 "unknown field 'provinces'\n")
    form = _write(tmp_path, "form", "    source: licence_plate\n    forms: [dotted]\n")
    done = run_twinchat("units", "check", str(form), check=False)
    assert done.returncode == 1
    assert f"{form}:4: unit 'form': slot 'plate': unknown form 'dotted'; forms: plain, spaced" in done.stderr
    province = _write(tmp_path, "province", "    source: licence_plate\n    province: XX\n")
    done = run_twinchat("units", "check", str(province), check=False)
    assert done.returncode == 1
    assert f"{province}:4: unit 'province': slot 'plate': unknown province 'XX'; provinces: 京津沪" in done.stderr


def test_a_plugin_that_fails_to_import_is_one_line(tmp_path):
    """A distribution whose slot-source entry point names a missing module: one line, exit 1."""
    site = tmp_path / "site"
    info = site / "broken_plates-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plates\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[twinchat.slot_sources]\nplates = no_such_plates_module:PLATES\n",
                                           encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(site)}
    exe = Path(sys.executable).with_name("twinchat")
    done = subprocess.run([str(exe), "units", "check"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr == ("Error: slot source 'plates' (no_such_plates_module:PLATES) of broken-plates: cannot be "
                           "loaded: ModuleNotFoundError: No module named 'no_such_plates_module'\n")
