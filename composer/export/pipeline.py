"""``twinchat export``: the session store (or single-unit samples) to the files trainers load.

Two passes, never more than one page of sessions in memory:

1. read the selected sessions a page at a time; leave out failed ones (unless asked to keep them,
   flagged in the manifest); convert each to the format's records, check every record against
   its consumer's rules (the format's ``check``, see :mod:`~twinchat.composer.export.formats`; a
   breaking record is skipped and counted), drop exact and near duplicates, and spill the records to a scratch file;
2. split the sessions (:mod:`~twinchat.composer.export.splits`) and stream the spill into the files.

Everything is written into a temporary directory beside ``out_dir`` and renamed into place at
the end, so a failed or interrupted export leaves nothing behind; an existing ``out_dir`` is
replaced only with ``force``
(:mod:`~twinchat.composer.export.output`). The same store, arguments and seed give byte-identical files.

Files written (a split's files only when its share is above 0):

``train.jsonl`` ``valid.jsonl`` ``test.jsonl``
    the records, one JSON object per line (UTF-8, ``ensure_ascii=False``); as ``.parquet`` instead
    (or as well) with ``file_format`` (:mod:`~twinchat.composer.export.hub`)
``test.gold.jsonl``
    the evaluation items of the test split, for ``twinchat eval`` (format in
    :mod:`~twinchat.composer.eval.evaluate`)
``manifest.jsonl``
    per record: split, line, source id, templates, verdict (failed sessions flagged)
``tools.json``
    the tools the exported records carry, as OpenAI ``tools`` entries (formats with tool calls)
``dataset_info.json``, …
    the format's own files (sharegpt and alpaca, and openai as Parquet: LLaMA-Factory's dataset
    descriptions, so ``dataset: twinchat_train`` works; ``name`` replaces ``twinchat``)
``README.md`` ``export.json``
    the dataset card (with the Hub's YAML front matter, and token lengths: see
    :mod:`~twinchat.composer.export.lengths`), and the same numbers as JSON
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import orjson

from twinchat.composer.export.dataset_card import ExportReport, dataset_card
from twinchat.composer.export.formats import Converter, ExportError, Format, RuleViolation, get_format
from twinchat.composer.export.formats.base import dumps as _dumps  # json.dumps(value, ensure_ascii=False)
from twinchat.composer.export.formats.base import prompt_in_force
from twinchat.composer.export.formats.toolset import ToolSet
from twinchat.composer.export.hub import check_file_format, check_name, write_parquet
from twinchat.composer.export.lengths import Lengths, TokenCounter, open_counter
from twinchat.composer.export.options import ExportOptions
from twinchat.composer.export.select import by_ids
from twinchat.composer.export.output import OutputExists, check_target, staging
from twinchat.composer.export.splits import SPLITS, Deduper, SplitItem, parse_split, plan_split
from twinchat.composer.session_models import check_sample
from twinchat.composer.store.diversity import DiversityMeter

__all__ = ["ExportOptions", "ExportReport", "export_sessions", "export_samples", "ExportError", "OutputExists"]

Progress = Callable[[int, int], None]
_PROGRESS_EVERY = 200


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


@dataclass
class _Item:
    """One session or sample read: what the spill file and the splitter need."""

    key: str
    flow: str
    outcome: str | None
    status: str
    reasons: list[str]
    records: list[Any]


def _shares(split: str | Sequence[float], holdout: bool) -> tuple[float, float, float]:
    shares = parse_split(split)
    if holdout and shares[1] + shares[2] <= 0:
        raise ExportError("--holdout-templates needs a valid or test share above 0")
    return shares


# -- the shared pipeline ----------------------------------------------------------------------------
def _spill(items: Iterable[_Item | None], total: int, spill_path: Path, dedup: Deduper, lengths: Lengths,
           spec: Format, progress: Progress | None) -> list[SplitItem]:
    """Pass 1: each kept item's deduplicated records into the spill, as split-file lines and token counts."""
    split_items: list[SplitItem] = []
    render = spec.render
    with open(spill_path, "wb") as spill:  # a scratch file of ours: orjson, several times faster
        for done, item in enumerate(items, 1):
            if progress and (done % _PROGRESS_EVERY == 0 or done == total):
                progress(done, total)
            if item is None:
                continue
            kept = [r for r in item.records if dedup.check(r.text) is None]
            if not kept:
                continue
            split_items.append(SplitItem(item.key, tuple(t for r in kept for t in r.templates), item.flow))
            lines = [_dumps(r.data) for r in kept]  # the one encoding of each record
            records = [[line, r.source, list(r.templates), r.gold, *lengths.measure(render(r.data) if render
                                                                                    else ("", line))]
                       for line, r in zip(lines, kept)]
            spill.write(orjson.dumps({"key": item.key, "flow": item.flow, "outcome": item.outcome,
                                      "status": item.status, "reasons": item.reasons, "records": records})
                        + b"\n")
    return split_items


def _run(items: Iterable[_Item | None], total: int, report: ExportReport, target: Path, spec: Format,
         shares: tuple[float, float, float], progress: Progress | None, tools: ToolSet,
         counter: TokenCounter) -> ExportReport:
    started = time.perf_counter()
    dedup = Deduper()
    with staging(target) as tmp:
        spill_path = tmp / ".spill.jsonl"
        lengths = Lengths(counter, [s for s, share in zip(SPLITS, shares) if share > 0])
        split_items = _spill(items, total, spill_path, dedup, lengths, spec, progress)
        report.duplicates.update(dedup.counts)
        if not split_items:
            raise ExportError(_nothing_message(report))
        plan = plan_split(split_items, shares, report.seed, report.holdout)
        report.held_out = plan.held_out
        report.overlap_templates, report.overlap_combinations = plan.overlap_templates, plan.overlap_combinations
        seen = plan.train_templates(split_items)
        _write_splits(tmp, spill_path, plan.assign, seen, shares, report, lengths)
        report.tokens, report.warnings = lengths.summary(), lengths.warnings()
        spill_path.unlink()
        if spec.calls:
            _write_json(tmp / "tools.json", tools.used(sorted({it.group for it in split_items})))
        active = [s for s, share in zip(SPLITS, shares) if share > 0]
        extension = "jsonl"
        if report.file_format != "jsonl":
            write_parquet(tmp, active, spec.columns, keep_jsonl=report.file_format == "both")
            extension = "parquet"
        if spec.files is not None:
            for name, value in spec.files(active, report.name, extension).items():
                _write_json(tmp / name, value)
        report.files = sorted([*(p.name for p in tmp.iterdir()), "README.md", "export.json"])
        stable = report.to_json()
        del stable["out_dir"], stable["seconds"]
        _write_json(tmp / "export.json", stable)
        (tmp / "README.md").write_text(dataset_card(report, spec.loading, spec.calls), encoding="utf-8")
    report.seconds = time.perf_counter() - started
    return report


def _nothing_message(report: ExportReport) -> str:
    why = [f"{report.read:,} read"]
    if report.failed_excluded:
        why.append(f"{report.failed_excluded:,} failed verification (pass --include-failed to keep them)")
    if report.rejected:
        why.append(f"{sum(report.rejected.values()):,} broke the {report.format} rules")
    if report.duplicates:
        why.append(f"{sum(report.duplicates.values()):,} duplicates")
    return "nothing to export: " + ", ".join(why)


def _write_splits(tmp: Path, spill_path: Path, assign: dict[str, str], seen: set[str],
                  shares: tuple[float, float, float], report: ExportReport, lengths: Lengths) -> None:
    """Stream the spill into the split files, the manifest and the gold file; count as it goes."""
    active = [s for s, share in zip(SPLITS, shares) if share > 0]
    lines = dict.fromkeys(active, 0)
    for s in active:
        report.sessions[s], report.records[s] = 0, 0
        for table in (report.by_flow, report.by_unit, report.by_outcome, report.templates):
            table[s] = Counter()
    with ExitStack() as stack:
        def create(name: str) -> TextIO:
            return stack.enter_context(open(tmp / name, "w", encoding="utf-8"))

        files = {s: create(f"{s}.jsonl") for s in active}
        gold = create("test.gold.jsonl") if "test" in active else None
        manifest = create("manifest.jsonl")
        spill = stack.enter_context(open(spill_path, "rb"))
        for line in spill:
            item = orjson.loads(line)
            split = assign[item["key"]]
            report.sessions[split] += 1
            report.by_flow[split][item["flow"]] += 1
            report.by_outcome[split][item["outcome"] or "-"] += 1
            for line, source, templates, items, prefix_tokens, whole_tokens in item["records"]:
                files[split].write(line + "\n")
                lengths.add_counts(split, prefix_tokens, whole_tokens)
                lines[split] += 1
                report.records[split] += 1
                for t in templates:
                    report.by_unit[split][t.split(":", 1)[0]] += 1
                    report.templates[split][t] += 1
                entry = {"split": split, "line": lines[split], "source": source, "templates": templates,
                         "status": item["status"]}
                if item["status"] != "ok":
                    entry["reasons"] = item["reasons"]
                manifest.write(_dumps(entry) + "\n")
                if split != "test" or gold is None:
                    continue
                for k, g in enumerate(items):
                    gold.write(_dumps({"id": f"{source}#{k}", "session": item["key"], "kind": g["kind"],
                                       "unit": g["unit"], "template": g["template"],
                                       "template_seen": g["template"] in seen, "outcome": g["outcome"],
                                       "prompt": g["prompt"], "output": g["output"]}) + "\n")
                    report.gold_items += 1


def _content(units_dirs: Sequence[str]) -> tuple[dict[str, Any], ToolSet]:
    """The units loaded, and the tools each loaded flow's records carry."""
    from twinchat.units.loader import load_content

    units, flows = load_content(units_dirs)
    return units, ToolSet.of_content(units, flows)


def _declared(units: dict[str, Any]) -> dict[str, list[str]]:
    out = {}
    for uid, src in sorted(units.items()):
        unit = getattr(src, "unit", None)
        out[uid] = [f"{uid}:{t.id}" for t in getattr(unit, "templates", [])]
    return out


# -- entry points -----------------------------------------------------------------------------------
def _open(db: str | os.PathLike[str] | sqlite3.Connection) -> tuple[sqlite3.Connection, bool]:
    """The connection, and whether it is ours to close."""
    if isinstance(db, sqlite3.Connection):
        return db, False
    from twinchat.inventory import open_world

    return open_world(db), True


def _db_file(db: str | os.PathLike[str] | sqlite3.Connection) -> str | os.PathLike[str]:
    """The file of the database ``db`` (a path, or an open connection's main file)."""
    if isinstance(db, sqlite3.Connection):
        return next(row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main")
    return db


def _naming(options: ExportOptions) -> dict[str, str]:
    """The report's name, file format and license, checked (before any work is done)."""
    return {"name": check_name(options.name), "file_format": check_file_format(options.file_format),
            "license": options.license}


def _unit_inputs(options: ExportOptions) -> list[tuple[str, str]]:
    return [("the unit files given with --units", d) for d in options.units_dirs]


def _session_items(sessions: Iterable[Any], converter: Converter, report: ExportReport,
                   include_failed: bool, persona: Any = None) -> Iterator[_Item | None]:
    """Each stored session's checked records (None for one left out, counted in ``report``)."""
    for stored in sessions:
        if isinstance(stored, str):
            raise ExportError(f"session {stored!r} was deleted during the export")
        report.read += 1
        if stored.status != "ok":
            if not include_failed:
                report.failed_excluded += 1
                yield None
                continue
            report.failed_included += 1
        s = stored.session
        try:
            if persona is None:
                records = converter.records(s)
            else:
                with prompt_in_force(persona.for_flow(s["flow"])):
                    records = converter.records(s)
        except RuleViolation as exc:
            report.rejected[exc.rule] += 1
            report.rejected_examples.setdefault(exc.rule, exc.detail)
            yield None
            continue
        report.diversity.add(s)
        yield _Item(s["id"], s["flow"], s.get("outcome"), stored.status, stored.reasons, records)


def export_sessions(db: str | os.PathLike[str] | sqlite3.Connection, fmt: str, out_dir: str | os.PathLike[str],
                    options: ExportOptions = ExportOptions(), progress: Progress | None = None) -> ExportReport:
    """Export the stored sessions that ``options`` select to ``out_dir`` in format ``fmt``.

    ``db`` is the world file (or an open connection to it). The filters of ``options`` combine
    with AND (``template`` a ``unit:template`` a user turn uses, ``text`` a string in the user
    text); or ``options.ids`` names the sessions itself (a list's selection, e.g. from
    :func:`~twinchat.composer.store.curate.session_ids`), and then no filter may be given. Sessions are
    read in (flow, seed, index) order either way. Failed sessions are left out and counted unless
    ``include_failed``, which keeps them flagged in ``manifest.jsonl``. ``progress(done, total)``
    is called every few hundred sessions.
    """
    from twinchat.composer.store.missing_units import require_units
    from twinchat.composer.store.sessions import SessionStore

    chosen = options.chosen()
    if options.ids is not None and chosen:
        raise ExportError(f"export by session ids takes no filter as well (got {chosen})")
    units, tools = _content(options.units_dirs)
    spec = get_format(fmt)
    converter = spec.new_converter(units, tools)
    converter.thoughts = options.thoughts
    shares = _shares(options.split, options.holdout_templates)
    counter = open_counter(options.tokenizer)
    target = check_target(out_dir, options.force, [("the database in use", _db_file(db)), *_unit_inputs(options)])
    conn, owned = _open(db)
    report = ExportReport(format=fmt, out_dir=target, seed=options.seed, split=shares,
                          holdout=options.holdout_templates, declared=_declared(units), **_naming(options),
                          diversity=DiversityMeter())
    try:
        require_units(conn, units)
        store = SessionStore(conn)
        if options.ids is not None:
            selected = by_ids(conn, options.ids)
            total, sessions = len(selected), (store.get(sid) or sid for sid in selected)  # str: gone since
        else:
            total, sessions = store.count(**options.filters()), store.iter_sessions(**options.filters())
            if total == 0:
                raise ExportError(f"no stored session matches {chosen}" if chosen else
                                  "no sessions stored; compose some first with `twinchat compose`")
        report.shop = list(options.card_notes)
        items = _session_items(sessions, converter, report, options.include_failed, options.persona)
        return _run(items, total, report, target, spec, shares, progress, tools, counter)
    finally:
        if owned:
            conn.close()


def _sample_items(path: Path, spec: Format, converter: Converter, report: ExportReport) -> Iterator[_Item | None]:
    """Each sample's checked record (None for one that breaks a rule, counted in ``report``)."""
    assert spec.from_sample is not None
    seen: set[str] = set()
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            report.read += 1
            where = f"{path}:{lineno}"
            try:
                sample = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ExportError(f"{where}: not JSON ({exc.msg})") from exc
            check_sample(sample, where)
            try:
                rec = spec.from_sample(converter, sample, where)
            except RuleViolation as exc:
                report.rejected[exc.rule] += 1
                report.rejected_examples.setdefault(exc.rule, exc.detail)
                yield None
                continue
            if rec.source in seen:
                raise ExportError(f"{where}: sample {rec.source} appears twice (samples of one "
                                  "`twinchat generate` run have distinct indexes)")
            seen.add(rec.source)
            yield _Item(rec.source, str(sample.get("unit")), sample.get("outcome"), "ok", [], [rec])


def export_samples(samples: str | os.PathLike[str], fmt: str, out_dir: str | os.PathLike[str],
                   options: ExportOptions = ExportOptions(), progress: Progress | None = None) -> ExportReport:
    """Export single-unit samples (``twinchat generate`` JSONL) as extraction data (alpaca).

    Each sample's user text becomes ``input`` and its label the JSON ``output`` (alpaca); a sample
    with a call or a reply is also a short dialogue (openai, sharegpt: see ``formats.pairs``). The
    session filters of ``options`` do not apply.
    """
    from twinchat.composer.export.formats import formats

    able = [f.name for f in formats().values() if f.from_sample is not None]
    if fmt not in able:
        raise ExportError(f"--from-samples exports {', '.join(able)} only (single-unit samples are extraction "
                          f"data or function-call pairs), not {fmt!r}")
    if options.chosen() or options.ids is not None or options.include_failed:
        raise ExportError("--from-samples takes no session filter, ids or --include-failed (samples are not "
                          "stored sessions)")
    spec = get_format(fmt)
    units, tools = _content(options.units_dirs)
    converter = spec.new_converter(units, tools)
    path = Path(samples)
    if not path.is_file():
        raise ExportError(f"{path}: not a regular file" if path.exists() else f"{path}: no such file")
    shares = _shares(options.split, options.holdout_templates)
    counter = open_counter(options.tokenizer)
    target = check_target(out_dir, options.force, [("the samples file", path), *_unit_inputs(options)])
    with open(path, encoding="utf-8") as fh:
        total = sum(1 for line in fh if line.strip())
    report = ExportReport(format=fmt, out_dir=target, seed=options.seed, split=shares,
                          holdout=options.holdout_templates, source=path.name, declared=_declared(units),
                          **_naming(options))
    report.shop = list(options.card_notes)
    with prompt_in_force(options.persona.for_flow(None) if options.persona is not None else None):
        return _run(_sample_items(path, spec, converter, report), total, report, target, spec, shares, progress,
                    tools, counter)
