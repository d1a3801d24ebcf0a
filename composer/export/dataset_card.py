"""What an export did (:class:`ExportReport`), and the dataset card made of it (``README.md`` next to
the exported files; how to load them is the format's own text).

The card says what is in the files and how they were made: counts per split, flow, unit and
outcome, template coverage and hold-out, what was left out and why, the seed and the twinchat
version. It holds no clock time and no absolute path, so the same export gives the same card.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twinchat.composer.store.diversity import diversity_card

__all__ = ["ExportReport", "dataset_card"]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("twinchat")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


@dataclass
class ExportReport:
    """What an export did (also written as ``export.json`` and the dataset card)."""

    format: str
    out_dir: Path
    seed: int
    split: tuple[float, float, float]
    holdout: bool
    #: ``store`` or the samples file's name
    source: str = "store"
    #: sessions (or samples) read, failed ones left out, failed ones kept (flagged in the manifest)
    read: int = 0
    failed_excluded: int = 0
    failed_included: int = 0
    #: records that broke a rule of the format's consumer, by rule, with the first example of each
    rejected: Counter[str] = field(default_factory=Counter)
    rejected_examples: dict[str, str] = field(default_factory=dict)
    #: duplicate records dropped: ``exact`` and ``near``
    duplicates: Counter[str] = field(default_factory=Counter)
    #: per split: sessions (or samples), records, and counts by flow, unit (user turns) and outcome
    sessions: dict[str, int] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)
    by_flow: dict[str, Counter[str]] = field(default_factory=dict)
    by_unit: dict[str, Counter[str]] = field(default_factory=dict)
    by_outcome: dict[str, Counter[str]] = field(default_factory=dict)
    #: per split, the ``unit:template`` keys used; and the templates each unit declares
    templates: dict[str, Counter[str]] = field(default_factory=dict)
    declared: dict[str, list[str]] = field(default_factory=dict)
    held_out: list[str] = field(default_factory=list)
    overlap_templates: int = 0
    overlap_combinations: int = 0
    gold_items: int = 0
    files: list[str] = field(default_factory=list)
    version: str = field(default_factory=_version)
    seconds: float = 0.0
    #: the exported sessions' diversity (a store.diversity.DiversityMeter), when they come from the store
    diversity: Any = None

    @property
    def exported(self) -> int:
        return sum(self.records.values())

    def to_json(self) -> dict[str, Any]:
        def sort(c: Counter[str]) -> dict[str, int]:
            return dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))

        return {
            "format": self.format, "out_dir": str(self.out_dir), "seed": self.seed, "split": list(self.split),
            "holdout_templates": self.holdout, "source": self.source, "read": self.read,
            "failed_excluded": self.failed_excluded, "failed_included": self.failed_included,
            "rejected": sort(self.rejected), "rejected_examples": dict(sorted(self.rejected_examples.items())),
            "duplicates": {"exact": self.duplicates["exact"], "near": self.duplicates["near"]},
            "sessions": self.sessions, "records": self.records,
            "by_flow": {s: sort(c) for s, c in self.by_flow.items()},
            "by_unit": {s: sort(c) for s, c in self.by_unit.items()},
            "by_outcome": {s: sort(c) for s, c in self.by_outcome.items()},
            "templates": {s: sorted(c) for s, c in self.templates.items()},
            "declared_templates": self.declared, "held_out_templates": self.held_out,
            "overlap": {"templates": self.overlap_templates, "combinations": self.overlap_combinations},
            "gold_items": self.gold_items, "files": self.files, "version": self.version,
            "seconds": round(self.seconds, 3),
        }



def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(f"{c:,}" if isinstance(c, int) else str(c) for c in row) + " |" for row in rows]
    return out


def _by(report: ExportReport, table: dict[str, Counter[str]], label: str) -> list[str]:
    splits = list(table)
    keys = sorted({k for c in table.values() for k in c}, key=lambda k: (-sum(c[k] for c in table.values()), k))
    rows = [[f"`{k}`", *(table[s][k] for s in splits), sum(table[s][k] for s in splits)] for k in keys]
    return _table([label, *splits, "all"], rows)


def dataset_card(report: ExportReport, loading: str) -> str:
    """The card as Markdown; ``loading`` is the format's paragraph on how trainers load the files."""
    splits = list(report.records)
    share = dict(zip(("train", "valid", "test"), report.split))
    lines = [f"# twinchat dataset ({report.format})", "",
             f"Composed, verified and exported by twinchat {report.version}: seed {report.seed}, split "
             + ", ".join(f"{s} {share[s]:g}" for s in splits)
             + (", templates held out of train" if report.holdout else "") + f"; source: {report.source}.", "",
             loading, "", "## Counts", ""]
    unit_name = "sessions" if report.source == "store" else "samples"
    lines += _table(["split", unit_name, "records"], [[s, report.sessions[s], report.records[s]] for s in splits])
    left = [f"- read: {report.read:,}",
            f"- failed verification, left out: {report.failed_excluded:,}",
            f"- failed verification, kept and flagged in `manifest.jsonl`: {report.failed_included:,}",
            f"- duplicates dropped: {report.duplicates['exact']:,} exact, {report.duplicates['near']:,} near "
            "(same text after case, width, space and punctuation folding)"]
    for rule, n in sorted(report.rejected.items(), key=lambda kv: (-kv[1], kv[0])):
        left.append(f"- broke the {report.format} rule \"{rule}\": {n:,} (e.g. {report.rejected_examples[rule]})")
    lines += ["", *left, ""]
    if report.source == "store":
        lines += ["## Sessions by flow", "", *_by(report, report.by_flow, "flow"), ""]
    lines += ["## User turns by unit", "", *_by(report, report.by_unit, "unit"), "",
              f"## {unit_name.capitalize()} by outcome", "", *_by(report, report.by_outcome, "outcome"), ""]
    lines += ["## Template coverage", ""]
    used_units = sorted({t.split(":", 1)[0] for c in report.templates.values() for t in c})
    rows = []
    for unit in used_units:
        declared = report.declared.get(unit, [])
        per = [sum(1 for t in report.templates[s] if t.split(":", 1)[0] == unit) for s in splits]
        held = sum(1 for t in report.held_out if t.split(":", 1)[0] == unit)
        rows.append([f"`{unit}`", len(declared) if declared else "?", *per, held])
    lines += _table(["unit", "declared", *(f"in {s}" for s in splits), "held out"], rows)
    if report.holdout:
        lines += ["", "Held out of train (valid and test only): "
                  + ", ".join(f"`{t}`" for t in report.held_out) + ".",
                  f"Overlap with train: {report.overlap_templates} held-out templates, "
                  f"{report.overlap_combinations} valid/test template combinations."]
    if report.diversity is not None:
        lines += ["", *diversity_card(report.diversity.to_json())]
    if "test" in report.records:
        lines += ["", "## Evaluation", "",
                  f"`test.gold.jsonl` holds {report.gold_items:,} items: for each assistant turn of the test "
                  "split, the prompt (in this format) and the reference output. Write one JSON object per "
                  "line, `{\"id\": <item id>, \"output\": <the model's answer>}` — a string, or an OpenAI "
                  "assistant message with `tool_calls` — and score it with",
                  "", "```", "twinchat eval --gold test.gold.jsonl --pred predictions.jsonl", "```"]
    lines += ["", "## Files", "", *(f"- `{f}`" for f in report.files), ""]
    return "\n".join(lines)
