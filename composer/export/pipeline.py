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
    the records, one JSON object per line (UTF-8, ``ensure_ascii=False``)
``test.gold.jsonl``
    the evaluation items of the test split, for ``twinchat eval`` (format in
    :mod:`~twinchat.composer.eval.evaluate`)
``manifest.jsonl``
    per record: split, line, source id, templates, verdict (failed sessions flagged)
``tools.json``
    the tools as OpenAI ``tools`` entries (formats with tool calls)
``dataset_info.json``, …
    the format's own files (sharegpt and alpaca: LLaMA-Factory's dataset descriptions, so
    ``dataset: twinchat_train`` works)
``README.md`` ``export.json``
    the dataset card, and the same numbers as JSON
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

from twinchat.composer.export.dataset_card import ExportReport, dataset_card
from twinchat.composer.export.formats import Converter, ExportError, Format, RuleViolation, get_format, \
    openai_tools
from twinchat.composer.export.options import ExportOptions
from twinchat.composer.export.output import OutputExists, check_target, staging
from twinchat.composer.export.splits import SPLITS, Deduper, SplitItem, parse_split, plan_split
from twinchat.composer.session_models import check_sample
from twinchat.composer.store.diversity import DiversityMeter

__all__ = ["ExportOptions", "ExportReport", "export_sessions", "export_samples", "ExportError", "OutputExists"]

Progress = Callable[[int, int], None]
_PROGRESS_EVERY = 200
_ID_CHUNK = 500


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


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
def _spill(items: Iterable[_Item | None], total: int, spill_path: Path, dedup: Deduper,
           progress: Progress | None) -> list[SplitItem]:
    """Pass 1: the records of every item kept, deduplicated, into the spill file."""
    split_items: list[SplitItem] = []
    with open(spill_path, "w", encoding="utf-8") as spill:
        for done, item in enumerate(items, 1):
            if progress and (done % _PROGRESS_EVERY == 0 or done == total):
                progress(done, total)
            if item is None:
                continue
            kept = [r for r in item.records if dedup.check(r.text) is None]
            if not kept:
                continue
            split_items.append(SplitItem(item.key, tuple(t for r in kept for t in r.templates), item.flow))
            spill.write(_dumps({"key": item.key, "flow": item.flow, "outcome": item.outcome,
                                "status": item.status, "reasons": item.reasons,
                                "records": [[r.data, r.source, list(r.templates), r.gold] for r in kept]})
                        + "\n")
    return split_items


def _run(items: Iterable[_Item | None], total: int, report: ExportReport, target: Path, spec: Format,
         shares: tuple[float, float, float], progress: Progress | None) -> ExportReport:
    started = time.perf_counter()
    dedup = Deduper()
    with staging(target) as tmp:
        spill_path = tmp / ".spill.jsonl"
        split_items = _spill(items, total, spill_path, dedup, progress)
        report.duplicates.update(dedup.counts)
        if not split_items:
            raise ExportError(_nothing_message(report))
        plan = plan_split(split_items, shares, report.seed, report.holdout)
        report.held_out = plan.held_out
        report.overlap_templates, report.overlap_combinations = plan.overlap_templates, plan.overlap_combinations
        seen = plan.train_templates(split_items)
        _write_splits(tmp, spill_path, plan.assign, seen, shares, report)
        spill_path.unlink()
        if spec.calls:
            _write_json(tmp / "tools.json", openai_tools())
        if spec.files is not None:
            for name, value in spec.files([s for s, share in zip(SPLITS, shares) if share > 0]).items():
                _write_json(tmp / name, value)
        report.files = sorted([*(p.name for p in tmp.iterdir()), "README.md", "export.json"])
        stable = report.to_json()
        del stable["out_dir"], stable["seconds"]
        _write_json(tmp / "export.json", stable)
        (tmp / "README.md").write_text(dataset_card(report, spec.loading), encoding="utf-8")
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
                  shares: tuple[float, float, float], report: ExportReport) -> None:
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
        spill = stack.enter_context(open(spill_path, encoding="utf-8"))
        for line in spill:
            item = json.loads(line)
            split = assign[item["key"]]
            report.sessions[split] += 1
            report.by_flow[split][item["flow"]] += 1
            report.by_outcome[split][item["outcome"] or "-"] += 1
            for data, source, templates, items in item["records"]:
                files[split].write(_dumps(data) + "\n")
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


def _units(units_dirs: Sequence[str]) -> dict[str, Any]:
    from twinchat.units.loader import load_units

    return load_units(units_dirs)


def _declared(units: dict[str, Any]) -> dict[str, list[str]]:
    out = {}
    for uid, src in sorted(units.items()):
        unit = getattr(src, "unit", None)
        out[uid] = [f"{uid}:{t.id}" for t in getattr(unit, "templates", [])]
    return out


# -- selecting the sessions --------------------------------------------------------------------------
def _by_ids(conn: sqlite3.Connection, ids: Sequence[str]) -> list[str]:
    """``ids`` (each once) in the store's (flow, seed, index) order; every one must be stored."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        raise ExportError("no sessions to export: the list of session ids is empty")
    keys: dict[str, tuple[str, int, int]] = {}
    for start in range(0, len(wanted), _ID_CHUNK):
        chunk = wanted[start:start + _ID_CHUNK]
        rows = conn.execute(f"SELECT id, flow, seed, idx FROM sessions WHERE id IN ({', '.join('?' * len(chunk))})",
                            chunk)
        keys.update((r[0], (r[1], r[2], r[3])) for r in rows)
    missing = [i for i in wanted if i not in keys]
    if missing:
        more = f" (and {len(missing) - 1:,} more of the ids)" if len(missing) > 1 else ""
        raise ExportError(f"no stored session {missing[0]!r}{more}")
    return sorted(keys, key=keys.__getitem__)


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


def _unit_inputs(options: ExportOptions) -> list[tuple[str, str]]:
    return [("the unit files given with --units", d) for d in options.units_dirs]


def _session_items(sessions: Iterable[Any], converter: Converter, report: ExportReport,
                   include_failed: bool) -> Iterator[_Item | None]:
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
    from twinchat.composer.store.sessions import SessionStore

    chosen = options.chosen()
    if options.ids is not None and chosen:
        raise ExportError(f"export by session ids takes no filter as well (got {chosen})")
    units = _units(options.units_dirs)
    spec = get_format(fmt)
    converter = spec.new_converter(units)
    shares = _shares(options.split, options.holdout_templates)
    target = check_target(out_dir, options.force, [("the database in use", _db_file(db)), *_unit_inputs(options)])
    conn, owned = _open(db)
    report = ExportReport(format=fmt, out_dir=target, seed=options.seed, split=shares,
                          holdout=options.holdout_templates, declared=_declared(units), diversity=DiversityMeter())
    try:
        store = SessionStore(conn)
        if options.ids is not None:
            selected = _by_ids(conn, options.ids)
            total, sessions = len(selected), (store.get(sid) or sid for sid in selected)  # str: gone since
        else:
            total, sessions = store.count(**options.filters()), store.iter_sessions(**options.filters())
            if total == 0:
                raise ExportError(f"no stored session matches {chosen}" if chosen else
                                  "no sessions stored; compose some first with `twinchat compose`")
        items = _session_items(sessions, converter, report, options.include_failed)
        return _run(items, total, report, target, spec, shares, progress)
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

    Each sample's user text becomes ``input`` and its label the JSON ``output``; samples hold
    no dialogue, so the other formats do not apply to them, and neither do the session filters
    of ``options``.
    """
    from twinchat.composer.export.formats import formats

    able = [f.name for f in formats().values() if f.from_sample is not None]
    if fmt not in able:
        raise ExportError(f"--from-samples exports {', '.join(able)} only (single-unit samples are extraction "
                          f"data), not {fmt!r}")
    if options.chosen() or options.ids is not None or options.include_failed:
        raise ExportError("--from-samples takes no session filter, ids or --include-failed (samples are not "
                          "stored sessions)")
    spec = get_format(fmt)
    units = _units(options.units_dirs)
    converter = spec.new_converter(units)
    path = Path(samples)
    if not path.is_file():
        raise ExportError(f"{path}: not a regular file" if path.exists() else f"{path}: no such file")
    shares = _shares(options.split, options.holdout_templates)
    target = check_target(out_dir, options.force, [("the samples file", path), *_unit_inputs(options)])
    with open(path, encoding="utf-8") as fh:
        total = sum(1 for line in fh if line.strip())
    report = ExportReport(format=fmt, out_dir=target, seed=options.seed, split=shares,
                          holdout=options.holdout_templates, source=path.name, declared=_declared(units))
    return _run(_sample_items(path, spec, converter, report), total, report, target, spec, shares, progress)
