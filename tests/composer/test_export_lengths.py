"""Token lengths of exported examples: a real tokenizer.json or a labelled estimate, the cutoff, the warning."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from twinchat.composer.export.formats import get_format
from twinchat.composer.export.lengths import Lengths, TokenCounter, open_counter
from twinchat.composer.export.pipeline import ExportError, ExportOptions, export_sessions

README = Path(__file__).parents[2] / "README.md"
#: the command as installed beside this Python
TWINCHAT = str(Path(sys.executable).parent / "twinchat")


@pytest.fixture(scope="module")
def tokenizer_json(tmp_path_factory) -> Path:
    """A small BPE tokenizer.json trained here on Chinese service text (no network)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["[UNK]", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    corpus = ["你好,请问有什么可以帮您?", "我的订单到哪了", "深圳市南山区今晚能送到吗", '{"name": "query_order"}'] * 50
    tok.train_from_iterator(corpus, trainer)
    path = tmp_path_factory.mktemp("tok") / "tokenizer.json"
    tok.save(str(path))
    return path


@pytest.fixture(scope="module")
def store(world_path, tmp_path_factory) -> Path:
    from twinchat.composer.store.batches import compose_run

    db = tmp_path_factory.mktemp("lengths") / "store.db"
    shutil.copy(world_path, db)
    compose_run(db, n=40, seed=5)
    return db


def test_the_estimate_counts_cjk_digits_and_symbols_one_each_and_latin_letters_a_quarter():
    counter = TokenCounter()
    assert counter.estimate and counter.name == "estimate"
    assert counter.count("今晚能送到吗?") == 7
    assert counter.count("DDR5 16GB") == 3 + 2  # three digits; five letters, a quarter each, rounded up
    assert counter.count("abcdefgh ab\u3000,") == 3 + 1  # ten letters; spaces (full width too) count nothing
    assert counter.count("") == 0


def test_a_tokenizer_counts_as_the_library_does(tokenizer_json):
    from tokenizers import Tokenizer

    counter = open_counter(str(tokenizer_json))
    text = "<|im_start|>user\n我的订单到哪了<|im_end|>\n"
    assert not counter.estimate and counter.name == "tokenizer.json"
    assert counter.count(text) == len(Tokenizer.from_file(str(tokenizer_json)).encode(text,
                                                                                       add_special_tokens=False).ids)
    assert open_counter(str(tokenizer_json.parent)).count(text) == counter.count(text)  # the folder works too


def test_a_missing_or_broken_tokenizer_is_one_located_error(tmp_path):
    with pytest.raises(ExportError, match=r"nothing\.json: no such tokenizer file \(a Hugging Face tokenizer\.json\)"):
        open_counter(str(tmp_path / "nothing.json"))
    bad = tmp_path / "tokenizer.json"
    bad.write_text('{"version": "1.0"}', encoding="utf-8")
    with pytest.raises(ExportError, match=r"tokenizer\.json: not a Hugging Face tokenizer\.json \("):
        open_counter(str(bad))


def test_the_cutoff_keeps_the_longest_example_and_percentiles_are_nearest_rank():
    lengths = Lengths(TokenCounter(), ["train", "test"])
    for n in range(1, 101):
        lengths.add("train", ("前缀", "字" * n))
    lengths.add("test", ("前缀", "字" * 500))
    summary = lengths.summary()
    assert summary["splits"]["train"] == {"examples": 100, "p50": 50, "p95": 95, "max": 100, "prefix_p50": 2,
                                          "prefix_max": 2}
    assert summary["cutoff_len"] == 576 and summary["estimate"]  # 500 + 16, up to a multiple of 64
    assert lengths.warnings() == []


def test_a_prefix_longer_than_half_the_median_example_is_warned_about():
    lengths = Lengths(TokenCounter(), ["train"])
    for _ in range(3):
        lengths.add("train", ("系" * 60, "系" * 60 + "问答" * 20))
    [warning] = lengths.warnings()
    assert warning.startswith("the system prompt and tools (estimated median 60 tokens) are more than half of the "
                              "median example (100 tokens)")


def test_the_card_gives_lengths_counted_with_the_tokenizer(store, tokenizer_json, tmp_path):
    out = tmp_path / "oa"
    report = export_sessions(store, "openai", out, ExportOptions(tokenizer=str(tokenizer_json)))
    counter = open_counter(str(tokenizer_json))
    render = get_format("openai").render
    expected = sorted(counter.count(render(json.loads(line))[1])
                      for line in (out / "train.jsonl").read_text(encoding="utf-8").splitlines())
    train = report.tokens["splits"]["train"]
    assert (train["examples"], train["max"], train["p50"]) == (len(expected), expected[-1],
                                                                expected[(len(expected) + 1) // 2 - 1])
    longest = max(s["max"] for s in report.tokens["splits"].values())
    assert longest < report.tokens["cutoff_len"] <= longest + 16 + 64
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "counted with `tokenizer.json`" in card and f"`cutoff_len: {report.tokens['cutoff_len']}`" in card
    assert json.loads((out / "export.json").read_text(encoding="utf-8"))["tokens"] == report.tokens


def test_without_a_tokenizer_the_card_labels_its_numbers_an_estimate(store, tmp_path):
    report = export_sessions(store, "sharegpt", tmp_path / "sg", ExportOptions())
    card = (tmp_path / "sg" / "README.md").read_text(encoding="utf-8")
    assert report.tokens["estimate"] and "estimated (no --tokenizer" in card and "an estimate;" in card


def test_the_cli_warns_when_the_prefix_outweighs_the_examples(store, tmp_path):
    run = subprocess.run([TWINCHAT, "export", "--db", str(store), "--format",
                          "alpaca", "-o", str(tmp_path / "al"), "--flow", "order_status"],
                         capture_output=True, text=True, encoding="utf-8")
    assert run.returncode == 0, run.stderr
    assert "estimated tokens: train p50" in run.stdout and "keeps every example whole" in run.stdout
    report = json.loads((tmp_path / "al" / "export.json").read_text(encoding="utf-8"))
    median = report["tokens"]["splits"]["train"]["p50"]
    head = report["tokens"]["splits"]["train"]["prefix_p50"]
    assert ("warning: the system prompt and tools" in run.stderr) == (head * 2 > median)


def test_the_cli_refuses_a_broken_tokenizer_with_one_line(store, tmp_path):
    bad = tmp_path / "tokenizer.json"
    bad.write_text("not json", encoding="utf-8")
    run = subprocess.run([TWINCHAT, "export", "--db", str(store), "--format",
                          "sharegpt", "-o", str(tmp_path / "x"), "--tokenizer", str(bad)],
                         capture_output=True, text=True, encoding="utf-8")
    assert run.returncode == 1 and not (tmp_path / "x").exists()
    assert re.fullmatch(r"Error: .*tokenizer\.json: not a Hugging Face tokenizer\.json \(.*\)\n", run.stderr)


def test_the_readme_recipe_sets_the_cutoff_of_the_readme_export(world_path, tmp_path):
    """The README composes 2,000 sessions and exports sharegpt with templates held out; its sft.yaml
    must carry the cutoff_len that export's card gives."""
    from twinchat.composer.store.batches import compose_run

    db = tmp_path / "shop.db"
    shutil.copy(world_path, db)
    compose_run(db, n=2000, seed=0)
    report = export_sessions(db, "sharegpt", tmp_path / "data", ExportOptions(holdout_templates=True))
    text = README.read_text(encoding="utf-8")
    recipe = re.search(r"# sft\.yaml.*?```", text, re.DOTALL)
    assert recipe, "the README has no sft.yaml recipe"
    found = re.search(r"^cutoff_len: (\d+)", recipe.group(0), re.MULTILINE)
    assert found and int(found.group(1)) == report.tokens["cutoff_len"]
    alpaca = re.search(r"# sft_alpaca\.yaml.*?```", text, re.DOTALL)
    assert alpaca and re.search(r"^mask_history: true$", alpaca.group(0), re.MULTILINE)
