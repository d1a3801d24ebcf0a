"""The export directory as a dataset repository: Parquet files, ``dataset_info.json`` names, and the
card's YAML front matter (configs and splits, language, license, task, size) that the Hugging Face
Hub and ``datasets.load_dataset(DIR)`` read.

**Parquet** (``--file-format parquet``, or ``both`` to keep the JSON Lines too; needs pyarrow:
``pip install 'twinchat[parquet]'``): each split file is written as a table whose rows all have the
same columns. A format whose records vary in shape gives its columnar form (``Format.columns``):
openai messages all carry ``role``, ``content``, ``tool_calls`` (a list, empty for none) and
``tool_call_id`` (empty for none), and ``tools`` is one JSON string, so a reader never pads a
message with ``tool_calls: null`` or a tool with every other tool's parameters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from twinchat.composer.export.formats.base import ExportError

__all__ = ["FILE_FORMATS", "HF_SPLIT", "check_file_format", "check_name", "front_matter", "size_category", "write_parquet"]

#: what ``--file-format`` takes
FILE_FORMATS = ("jsonl", "parquet", "both")
#: the Hub's split names for twinchat's
HF_SPLIT = {"train": "train", "valid": "validation", "test": "test"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SIZES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
          (10_000_000, "1M<n<10M"))


def check_name(name: str) -> str:
    """``name`` if it can prefix ``dataset_info.json`` keys (``NAME_train``…), else :class:`ExportError`."""
    if not _NAME.match(name):
        raise ExportError(f"--name {name!r}: letters, digits, _ . or - expected (it names the dataset_info.json "
                          "entries NAME_train, NAME_valid, NAME_test)")
    return name


def size_category(n: int) -> str:
    """The Hub's ``size_categories`` value for ``n`` examples."""
    return next((label for limit, label in _SIZES if n < limit), "n>10M")


def check_file_format(file_format: str) -> str:
    """``file_format`` if known and, for Parquet, if pyarrow is installed; else :class:`ExportError`."""
    if file_format not in FILE_FORMATS:
        raise ExportError(f"--file-format {file_format!r}: one of {', '.join(FILE_FORMATS)} expected")
    if file_format != "jsonl":
        try:
            import pyarrow.parquet  # noqa: F401
        except ImportError as exc:
            raise ExportError(f"--file-format {file_format} needs pyarrow: pip install 'twinchat[parquet]'") from exc
    return file_format


def write_parquet(folder: Path, splits: Sequence[str], columns: Any, keep_jsonl: bool) -> None:
    """``<split>.parquet`` from each ``<split>.jsonl`` in ``folder``, rows in ``columns`` form if given."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for split in splits:
        source = folder / f"{split}.jsonl"
        with open(source, encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh]
        if columns is not None:
            rows = [columns(r) for r in rows]
        pq.write_table(pa.Table.from_pylist(rows), folder / f"{split}.parquet", compression="zstd")
        if not keep_jsonl:
            source.unlink()


def front_matter(splits: Mapping[str, int], extension: str, name: str, license_id: str, calls: bool) -> str:
    """The card's YAML header: one config (``default``) whose splits are the written files."""
    files = "\n".join(f"  - split: {HF_SPLIT[s]}\n    path: {s}.{extension}" for s in splits)
    tags = ["synthetic", "customer-service", "dialogue", *(["function-calling"] if calls else [])]
    return "\n".join([
        "---", f"pretty_name: {name}", "language:", "- zh", f"license: {license_id}", "task_categories:",
        "- text-generation", "tags:", *(f"- {t}" for t in tags), "size_categories:",
        f"- {size_category(sum(splits.values()))}", "configs:", "- config_name: default", "  data_files:", files,
        "---", ""])
