"""``twinchat units check`` checks flows against the units compose would load (the built-ins and
the user's files): one small file per case, each refused with one located line and exit 1."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from checks_cli import run_twinchat, snapshot

FILES = Path(__file__).resolve().parent / "files"

#: case file → the one line on stderr (exit 1), with {path} for the file as given
CASES = {
    "flow_unknown_unit": "{path}:6: flow 'flow_unknown_unit': step 'ask' plays unknown unit 'order_ask_statu' "
                         "(did you mean 'order_ask_status'?)",
    "flow_unknown_outcome": "{path}:9: flow 'flow_unknown_outcome': step 'ask': unit 'order_ask_status' has no "
                            "outcome 'not_fund' (did you mean 'not_found'?)",
    "flow_remember_undeclared": "{path}:9: flow 'flow_remember_undeclared': remember 'orders' uses undeclared "
                                "variable 'resul' (did you mean 'result'?)",
    "flow_remember_syntax": "{path}:9: flow 'flow_remember_syntax': remember 'orders': syntax error: "
                            "unexpected end of the expression (in 'result.orders[')",
    "flow_remember_chunk": "{path}:9: flow 'flow_remember_chunk': remember 'orders': syntax error: "
                           "unexpected '}}}}' after the expression (in 'result.orders }}}}{{{{ outcome')",
    "flow_order_no_customer": "{path}:9: flow 'flow_order_no_customer': step 'ask': a flow with `customer: "
                              "order` must remember `customer` (the owner of the order) in its start step",
    "unit_shadows_builtin": "Error: {path}:1: unit 'order_pick' is already defined in <builtin>/order_pick.yaml",
    "flow_shadows_builtin": "Error: {path}:2: flow 'order_status' is already defined in "
                            "<builtin>/order_status.yaml",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_bad_flow_or_shadowing_file_is_one_located_line(name, tmp_path):
    shutil.copy(FILES / f"{name}.yaml", tmp_path / f"{name}.yaml")
    before = snapshot(tmp_path)
    done = run_twinchat("units", "check", f"{name}.yaml", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == CASES[name].format(path=f"{name}.yaml") + "\n"
    assert snapshot(tmp_path) == before


def test_a_directory_is_checked_with_the_builtins(tmp_path):
    for name in ("flow_unknown_unit", "unit_shadows_builtin"):
        shutil.copy(FILES / f"{name}.yaml", tmp_path / f"{name}.yaml")
    done = run_twinchat("units", "check", ".", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == "Error: unit_shadows_builtin.yaml:1: unit 'order_pick' is already defined in " \
                          "<builtin>/order_pick.yaml\n"


def test_a_sound_flow_on_builtin_units_passes(tmp_path):
    text = (FILES / "flow_unknown_outcome.yaml").read_text(encoding="utf-8").replace("not_fund", "not_found")
    (tmp_path / "mine.yaml").write_text(text.replace("flow_unknown_outcome", "mine"), encoding="utf-8")
    done = run_twinchat("units", "check", "mine.yaml", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "0 unit(s) OK\n1 flow(s) OK\n", "")


def test_every_case_file_is_covered():
    assert sorted(p.stem for p in FILES.glob("flow_*.yaml")) + sorted(p.stem for p in FILES.glob("unit_*.yaml")) \
        == sorted(k for k in CASES if k.startswith("flow_")) + sorted(k for k in CASES if k.startswith("unit_"))
