"""The export directory as a dataset repository: front matter, Parquet, --name, and thoughts chosen by flag."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from twinchat.composer.export.hub import size_category
from twinchat.composer.export.pipeline import ExportError, ExportOptions, export_sessions

TWINCHAT = str(Path(sys.executable).parent / "twinchat")


@pytest.fixture(scope="module")
def store(world_path, tmp_path_factory) -> Path:
    from twinchat.composer.store.batches import compose_run

    db = tmp_path_factory.mktemp("hub") / "store.db"
    shutil.copy(world_path, db)
    compose_run(db, n=80, seed=2)
    return db


def _front_matter(out: Path) -> dict:
    text = (out / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n")[1])


def _load(out: Path, tmp_path: Path):
    datasets = pytest.importorskip("datasets")
    datasets.disable_progress_bars()
    return datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))


def test_the_card_front_matter_describes_the_dataset(store, tmp_path):
    report = export_sessions(store, "sharegpt", tmp_path / "sg", ExportOptions(name="shop", license="cc-by-4.0"))
    meta = _front_matter(tmp_path / "sg")
    assert meta["language"] == ["zh"] and meta["license"] == "cc-by-4.0" and meta["pretty_name"] == "shop"
    assert meta["task_categories"] == ["text-generation"] and "function-calling" in meta["tags"]
    assert meta["size_categories"] == [size_category(report.exported)] == ["n<1K"]
    assert meta["configs"] == [{"config_name": "default", "data_files": [
        {"split": "train", "path": "train.jsonl"}, {"split": "validation", "path": "valid.jsonl"},
        {"split": "test", "path": "test.jsonl"}]}]


def test_size_categories_follow_the_hub_buckets():
    assert [size_category(n) for n in (0, 999, 1000, 12_000, 2_000_000)] == \
        ["n<1K", "n<1K", "1K<n<10K", "10K<n<100K", "1M<n<10M"]


@pytest.mark.parametrize("fmt", ["sharegpt", "alpaca", "react", "plain"])
def test_the_directory_loads_with_datasets_as_its_splits(store, tmp_path, fmt):
    report = export_sessions(store, fmt, tmp_path / fmt, ExportOptions())
    loaded = _load(tmp_path / fmt, tmp_path)
    names = {"train": "train", "valid": "validation", "test": "test"}
    assert {names[s]: n for s, n in report.records.items()} == {k: len(v) for k, v in loaded.items()}


def test_openai_parquet_loads_without_padding(store, tmp_path):
    out = tmp_path / "oa"
    export_sessions(store, "openai", out, ExportOptions(file_format="both", name="shop_oa"))
    loaded = _load(out, tmp_path)
    assert set(loaded) == {"train", "validation", "test"}
    records = [json.loads(line) for line in (out / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = list(loaded["train"])
    assert len(rows) == len(records)
    for row, record in zip(rows, records):
        # tools: one JSON string, exactly the record's tools (no other tool's parameters merged in)
        assert json.loads(row["tools"]) == record["tools"]
        for message, original in zip(row["messages"], record["messages"], strict=True):
            assert set(message) == {"role", "content", "tool_calls", "tool_call_id"}
            assert message["tool_calls"] == original.get("tool_calls", [])  # a list, never null
            assert message["tool_call_id"] == original.get("tool_call_id", "")
            assert message["content"] == original["content"]
    info = json.loads((out / "dataset_info.json").read_text(encoding="utf-8"))
    assert sorted(info) == ["shop_oa_test", "shop_oa_train", "shop_oa_valid"]
    assert info["shop_oa_train"]["file_name"] == "train.parquet" and info["shop_oa_train"]["formatting"] == "openai"


def test_parquet_instead_of_json_lines(store, tmp_path):
    out = tmp_path / "pq"
    report = export_sessions(store, "sharegpt", out, ExportOptions(file_format="parquet"))
    assert not (out / "train.jsonl").exists() and (out / "train.parquet").exists()
    assert "train.parquet" in report.files and (out / "test.gold.jsonl").exists()
    info = json.loads((out / "dataset_info.json").read_text(encoding="utf-8"))
    assert info["twinchat_train"]["file_name"] == "train.parquet"
    assert _front_matter(out)["configs"][0]["data_files"][0] == {"split": "train", "path": "train.parquet"}
    again = export_sessions(store, "sharegpt", tmp_path / "pq2", ExportOptions(file_format="parquet"))
    assert again.files == report.files
    assert (out / "train.parquet").read_bytes() == (tmp_path / "pq2" / "train.parquet").read_bytes()


def test_name_sets_the_dataset_info_keys(store, tmp_path):
    export_sessions(store, "alpaca", tmp_path / "al", ExportOptions(name="addr_v2"))
    info = json.loads((tmp_path / "al" / "dataset_info.json").read_text(encoding="utf-8"))
    assert sorted(info) == ["addr_v2_test", "addr_v2_train", "addr_v2_valid"]


def test_a_bad_name_or_file_format_is_refused_before_anything_is_written(store, tmp_path):
    with pytest.raises(ExportError, match=r"--name 'my data': letters, digits, _ \. or - expected"):
        export_sessions(store, "sharegpt", tmp_path / "x", ExportOptions(name="my data"))
    with pytest.raises(ExportError, match=r"--file-format 'csv': one of jsonl, parquet, both expected"):
        export_sessions(store, "sharegpt", tmp_path / "x", ExportOptions(file_format="csv"))
    assert not (tmp_path / "x").exists()


def test_drop_thoughts_leaves_the_text_next_to_calls_out(world_path, tmp_path):
    from twinchat.composer.store.batches import compose_run

    db = tmp_path / "repair.db"
    shutil.copy(world_path, db)
    compose_run(db, n=20, seed=1, flow="repair_ticket")

    def call_contents(options: ExportOptions) -> list:
        out = tmp_path / f"oa{options.thoughts}"
        export_sessions(db, "openai", out, options)
        return [m["content"] for line in (out / "train.jsonl").read_text(encoding="utf-8").splitlines()
                for m in json.loads(line)["messages"] if m.get("tool_calls")]

    kept = call_contents(ExportOptions(split=(1.0, 0.0, 0.0)))
    assert any(isinstance(c, str) and c for c in kept)  # the flow writes thoughts
    assert call_contents(ExportOptions(split=(1.0, 0.0, 0.0), thoughts=False)) == [None] * len(kept)


def test_the_cli_writes_a_named_parquet_export(store, tmp_path):
    run = subprocess.run([TWINCHAT, "export", "--db", str(store), "--format", "sharegpt", "-o", str(tmp_path / "d"),
                          "--file-format", "both", "--name", "shop"], capture_output=True, text=True, encoding="utf-8")
    assert run.returncode == 0, run.stderr
    assert "train.parquet" in run.stdout and "train.jsonl" in run.stdout
    assert "shop_train" in json.loads((tmp_path / "d" / "dataset_info.json").read_text(encoding="utf-8"))
