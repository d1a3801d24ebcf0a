"""``twinchat paraphrase``: exact messages, exit codes, and the summary, against a canned server."""

from __future__ import annotations

from click.testing import CliRunner

from canned_llm import Canned, completion
from twinchat.composer.cli.commands import cli

GOOD = "{{ when }}麻烦打{{ phone }}转{{ ext }}回我电话,我是{{ person }}"
NO_ENV = {"TWINCHAT_ENDPOINT": None, "TWINCHAT_MODEL": None, "TWINCHAT_API_KEY": None, "OPENAI_API_KEY": None}


def invoke(args, env=None):
    return CliRunner().invoke(cli, ["paraphrase", *args], env={**NO_ENV, **(env or {})})


def test_without_an_endpoint_it_says_how_to_point_at_one():
    result = invoke(["address_extraction"])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (
        "Error: no endpoint: pass --endpoint URL or set TWINCHAT_ENDPOINT to an OpenAI-compatible server, "
        "e.g. Ollama http://127.0.0.1:11434/v1, vLLM http://127.0.0.1:8000/v1, llama.cpp http://127.0.0.1:8080/v1\n")


def test_without_a_model():
    result = invoke(["address_extraction", "--endpoint", "http://127.0.0.1:9/v1"])
    assert result.exit_code == 1
    assert result.stderr == ("Error: no model: pass --model NAME or set TWINCHAT_MODEL (the name the server knows "
                             "it by, e.g. qwen2.5:7b for Ollama)\n")


def test_a_builtin_unit_needs_o(llm, world_path):
    result = invoke(["address_extraction", "--db", str(world_path)],
                    env={"TWINCHAT_ENDPOINT": llm.url, "TWINCHAT_MODEL": "m"})
    assert result.exit_code == 1
    assert result.stderr == ("Error: unit 'address_extraction' is built in (<builtin>/address_extraction.yaml): "
                             "pass -o FILE to write its paraphrases to a new file (or --dry-run to only see them)\n")
    assert llm.requests == []


def test_a_run_prints_accepted_and_rejected_and_writes(llm, world_path, unit_dir):
    llm.push(completion(GOOD, "我是{{ person }},请{{ when }}打{{ phone }}找我"))
    result = invoke(["callback", "--template", "c01", "-n", "2", "--units", str(unit_dir), "--db", str(world_path)],
                    env={"TWINCHAT_ENDPOINT": llm.url, "TWINCHAT_MODEL": "qwen2.5:7b"})
    assert result.exit_code == 0, result.output
    path = unit_dir / "callback.yaml"
    assert result.stdout == (
        "callback: 2 candidate(s) for 1 template(s) from qwen2.5:7b\n"
        "accepted 1:\n"
        f"  c04       (from c01#1)  {GOOD}\n"
        "rejected 1:\n"
        "  c01#2     lost: drops {{ ext }}\n"
        "            我是{{ person }},请{{ when }}打{{ phone }}找我\n"
        f"wrote 1 template(s) to {path}\n")
    assert result.stderr == "callback, template c01: asking for 2 rewrite(s)…\n"
    assert path.read_text(encoding="utf-8").count("source: paraphrase") == 1
    assert llm.requests[0]["body"]["model"] == "qwen2.5:7b"


def test_dry_run_writes_nothing(llm, world_path, unit_dir):
    before = (unit_dir / "callback.yaml").read_bytes()
    llm.push(completion(GOOD))
    result = invoke(["callback", "--template", "c01", "-n", "1", "--dry-run", "--units", str(unit_dir),
                     "--db", str(world_path), "--endpoint", llm.url, "--model", "m"])
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("dry run: nothing written\n") and "  c04       (from c01#1)" in result.stdout
    assert (unit_dir / "callback.yaml").read_bytes() == before


def test_a_server_error_is_one_line_and_exit_1(llm, world_path, unit_dir):
    before = (unit_dir / "callback.yaml").read_bytes()
    llm.push(Canned({"error": {"message": "CUDA out of memory"}}, status=500))
    result = invoke(["callback", "--template", "c01", "-n", "1", "--units", str(unit_dir), "--db", str(world_path),
                     "--endpoint", llm.url, "--model", "m"])
    assert result.exit_code == 1
    assert result.stderr == ("callback, template c01: asking for 1 rewrite(s)…\n"
                             f"Error: {llm.url}/chat/completions: HTTP 500 Internal Server Error: CUDA out of memory\n")
    assert (unit_dir / "callback.yaml").read_bytes() == before


def test_timeout_option(llm, world_path, unit_dir):
    llm.push(Canned(completion(GOOD), delay=2.0))
    result = invoke(["callback", "--template", "c01", "-n", "1", "--units", str(unit_dir), "--db", str(world_path),
                     "--endpoint", llm.url, "--model", "m", "--timeout", "0.2"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: {llm.url}/chat/completions: no response within 0.2s (timeout); is the server busy or the model "
        f"still loading? Raise --timeout to wait longer")


def test_unknown_template(llm, world_path, unit_dir):
    result = invoke(["callback", "--template", "c9", "--units", str(unit_dir), "--db", str(world_path),
                     "--endpoint", llm.url, "--model", "m"])
    assert result.exit_code == 1
    assert result.stderr == "Error: unit 'callback' has no template 'c9'; templates: c01, c02, c03\n"
    assert llm.requests == []


def test_bad_usage_exits_2(llm):
    assert invoke(["callback", "-n", "0"]).exit_code == 2
    no_flag = invoke(["callback", "--api-key", "sk-x"])            # keys come from the environment only
    assert no_flag.exit_code == 2 and "No such option '--api-key'" in no_flag.stderr
