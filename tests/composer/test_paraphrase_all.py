"""``twinchat paraphrase --all``: every unit, a request budget, resume, the summary by unit and reason."""

from __future__ import annotations

import json

from click.testing import CliRunner

from canned_llm import Canned, completion
from twinchat.composer.cli.commands import cli
from twinchat.composer.paraphrase.batch import STATE_FILE

NO_ENV = {"TWINCHAT_ENDPOINT": None, "TWINCHAT_MODEL": None, "TWINCHAT_API_KEY": None, "OPENAI_API_KEY": None}
# a rewrite of address_extraction t01 (the first template of the first unit) that keeps its placeholders
GOOD_T01 = "寄给{{ person }}{{ sep }}手机号{{ phone }}{{ sep }}地址是{{ addr.region }}{{ addr.detail }}{{ sep }}邮编{{ addr.postcode }}"


def invoke(llm, world_path, out, *args):
    return CliRunner().invoke(cli, ["paraphrase", "--all", "-o", str(out), "-n", "2", "--db", str(world_path), *args],
                              env={**NO_ENV, "TWINCHAT_ENDPOINT": llm.url, "TWINCHAT_MODEL": "m"})


def test_a_budget_stops_the_run_and_the_same_command_goes_on(llm, world_path, tmp_path):
    out = tmp_path / "grown"
    llm.push(completion(GOOD_T01, "{{ person }}"))
    llm.push(completion("收件人{{ person }}", "随便写写"))
    first = invoke(llm, world_path, out, "--budget", "2")
    assert first.exit_code == 0, first.output
    assert len(llm.requests) == 2
    lines = first.stdout.splitlines()
    assert lines[0].split() == ["address_extraction", "2/15", "templates", "accepted", "1", "rejected", "3",
                                "(lost", "3)"]
    assert lines[-2] == f"accepted 1, rejected 3; 2 request(s) in this run; unit files with new templates in {out}"
    assert lines[-1] == "stopped: the request budget is spent; run the same command again to go on"
    grown = (out / "address_extraction.yaml").read_text(encoding="utf-8")
    assert grown.count("source: paraphrase") == 1 and GOOD_T01 in grown
    state = json.loads((out / STATE_FILE).read_text(encoding="utf-8"))
    assert state["units"]["address_extraction"]["done"] == ["t01", "t02"]

    llm.push(completion("{{ phone }}", "{{ addr.detail }}"))
    second = invoke(llm, world_path, out, "--budget", "1")
    assert second.exit_code == 0, second.output
    assert len(llm.requests) == 3  # t01 and t02 are not asked again
    assert second.stdout.splitlines()[0].split()[:7] == ["address_extraction", "3/15", "templates", "accepted", "1",
                                                         "rejected", "5"]
    assert "2 request(s)" not in second.stdout and "1 request(s) in this run" in second.stdout
    assert (out / "address_extraction.yaml").read_text(encoding="utf-8") == grown


def test_a_server_error_keeps_what_was_done(llm, world_path, tmp_path):
    out = tmp_path / "grown"
    llm.push(completion("{{ person }}", "{{ phone }}"))
    llm.push(Canned({"error": {"message": "model not loaded"}}, status=500))
    result = invoke(llm, world_path, out)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines()[-1].startswith("Error: ")
    state = json.loads((out / STATE_FILE).read_text(encoding="utf-8"))
    assert state["units"]["address_extraction"] == {"done": ["t01"], "accepted": [], "rejected": {"lost": 2}}
    assert not (out / "address_extraction.yaml").exists()


def test_another_run_s_directory_is_refused(llm, world_path, tmp_path):
    out = tmp_path / "grown"
    out.mkdir()
    (out / STATE_FILE).write_text(json.dumps({"run": {"model": "other"}, "units": {}}), encoding="utf-8")
    result = invoke(llm, world_path, out)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {out / STATE_FILE}: a run with other settings ({{'model': 'other'}}) wrote this "
                             "directory; choose another -o or the same settings\n")
    assert llm.requests == []


def test_bad_usage_of_all(llm):
    env = {**NO_ENV, "TWINCHAT_ENDPOINT": llm.url, "TWINCHAT_MODEL": "m"}
    for args, message in ((["--all"], "--all writes one file per unit: give the directory with -o DIR"),
                          (["shop_order", "--all", "-o", "d"], "give a UNIT_ID or --all, not both"),
                          ([], "give a UNIT_ID, or --all for every unit"),
                          (["--all", "-o", "d", "--review"], "--review does not go with --all"),
                          (["shop_order", "--budget", "3"], "--budget goes with --all")):
        result = CliRunner().invoke(cli, ["paraphrase", *args], env=env)
        assert result.exit_code == 2 and f"Error: {message}" in result.stderr, (args, result.output)
    assert llm.requests == []
