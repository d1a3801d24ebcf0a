"""A third-party export format, installed as a real distribution: it joins the CLI's choices,
exports records that pass its own rule, and a plugin that cannot load is one error line."""

from __future__ import annotations

import json


def test_the_plugin_format_is_a_choice_of_export(run_twinchat):
    help_text = run_twinchat("export", "--help").stdout
    assert "[alpaca|openai|plain|react|sharegpt|qa_pairs]" in " ".join(help_text.split())


def test_the_plugin_format_exports_records_that_pass_its_rule(run_twinchat, tmp_path):
    run_twinchat("compose", "-n", "20")
    done = run_twinchat("export", "--format", "qa_pairs", "-o", "out", "--split", "1,0,0")
    assert done.stdout.startswith("exported ") and " qa_pairs records from 20 sessions" in done.stdout
    lines = (tmp_path / "out" / "train.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) > 20  # every session has more than one question answered
    for record in records:
        assert set(record) == {"question", "answer"}
        assert all(isinstance(record[k], str) and record[k].strip() for k in ("question", "answer"))
    card = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\n") and "\nlicense: apache-2.0\n" in card  # the Hub's front matter first
    assert card.split("\n---\n", 1)[1].startswith("\n# twinchat dataset (qa_pairs)\n")
    assert "each line is one `{\"question\", \"answer\"}` pair" in card
    assert not (tmp_path / "out" / "tools.json").exists()  # qa_pairs carries no tool calls


def test_a_format_plugin_that_cannot_load_is_one_error_line(run_twinchat_broken_format):
    done = run_twinchat_broken_format("export", "--format", "openai", "-o", "out")
    assert done.returncode == 1
    assert done.stderr == ("Error: twinchat-broken-format 0.1.0: entry point csv = twinchat_broken_format:CSV "
                           "(twinchat.formats): cannot be loaded (AttributeError: module "
                           "'twinchat_broken_format' has no attribute 'CSV')\n")
    assert run_twinchat_broken_format("export", "--help").stderr == done.stderr
    assert run_twinchat_broken_format("--help").returncode == 0  # other commands do not load formats
