"""Paraphrasing every unit in one run, within a budget of requests, resumable.

``twinchat paraphrase --all -o DIR`` walks every unit (built-in and ``--units``) in id order and
every template of each, asks the model for rewrites and checks them exactly as a single-unit run
does (:class:`~twinchat.composer.paraphrase.rewrite.Paraphraser`). For each unit that gains
templates, ``DIR/<unit>.yaml`` is a copy of its file with the accepted ones added (written
atomically, checked to load). ``DIR/paraphrase-state.json`` records, after every template, which
templates are done, what was accepted and the rejections by reason; running the same command
again — after Ctrl-C, an error of the server, or a spent ``budget`` — goes on from there. The
budget counts HTTP requests to the server; a template whose rewrites the budget cannot pay for
in full is left for the next run.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twinchat.composer.atomic import atomic_write
from twinchat.composer.errors import ComposerError
from twinchat.composer.paraphrase.client import ChatClient
from twinchat.composer.paraphrase.rewrite import SOURCE, ParaphraseError, Paraphraser, unit_file
from twinchat.composer.paraphrase.unit_file import next_template_id, write_unit_text
from twinchat.units.loader import UnitSource
from twinchat.units.spec import Template

__all__ = ["BatchReport", "BudgetClient", "paraphrase_all", "STATE_FILE"]

#: The run's record in the output directory.
STATE_FILE = "paraphrase-state.json"


class _BudgetSpent(Exception):
    pass


class BudgetClient(ChatClient):
    """A chat client that sends at most ``budget`` requests (None: no limit)."""

    def __init__(self, *args: Any, budget: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.left = budget
        self.sent = 0

    def _post(self, body: dict[str, Any]) -> Any:
        if self.left is not None and self.left <= 0:
            raise _BudgetSpent
        if self.left is not None:
            self.left -= 1
        self.sent += 1
        return super()._post(body)


@dataclass
class BatchReport:
    """What a ``--all`` run has done so far (this run and the runs before it)."""

    out_dir: Path
    #: per unit: templates done, accepted (new id, original id, text), rejections by reason
    units: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: int = 0                 # sent in this run
    stopped: str | None = None        # why this run stopped before the end (None: it finished)

    def accepted(self, unit: str) -> int:
        return len(self.units.get(unit, {}).get("accepted", []))

    def rejected(self, unit: str) -> Counter[str]:
        return Counter(self.units.get(unit, {}).get("rejected", {}))


def _load_state(path: Path, run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    if not path.exists():
        return {}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ParaphraseError(f"{path}: cannot read the run's state: {exc}") from exc
    if state.get("run") != run:
        raise ParaphraseError(f"{path}: a run with other settings ({state.get('run')}) wrote this directory; "
                              "choose another -o or the same settings")
    units: dict[str, dict[str, Any]] = state.get("units", {})
    return units


def _save_state(path: Path, run: dict[str, Any], units: dict[str, dict[str, Any]]) -> None:
    with atomic_write(path) as (fh, _):
        fh.write(json.dumps({"run": run, "units": units}, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def paraphrase_all(units: dict[str, UnitSource], out_dir: str | Path, *, conn: sqlite3.Connection,
                   client: BudgetClient, n: int = 3, seed: int = 0, temperature: float = 0.9,
                   units_dirs: Sequence[str] = (), progress: Callable[[str], None] | None = None) -> BatchReport:
    """Paraphrase every template of every unit into ``out_dir`` (see the module docstring)."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ParaphraseError(f"{out}: not a directory")
    out.mkdir(parents=True, exist_ok=True)
    run = {"model": client.model, "n": n, "seed": seed, "temperature": temperature}
    state_path = out / STATE_FILE
    report = BatchReport(out, _load_state(state_path, run))
    try:
        for uid in sorted(units):
            _one_unit(units[uid], report, conn, client, n=n, seed=seed, temperature=temperature,
                      units_dirs=units_dirs, save=lambda: _save_state(state_path, run, report.units),
                      progress=progress)
    except _BudgetSpent:
        report.stopped = "the request budget is spent"
    except KeyboardInterrupt:
        report.stopped = "interrupted"
    finally:
        report.requests = client.sent
        _save_state(state_path, run, report.units)
    return report


def _one_unit(src: UnitSource, report: BatchReport, conn: sqlite3.Connection, client: BudgetClient, *, n: int,
              seed: int, temperature: float, units_dirs: Sequence[str], save: Callable[[], None],
              progress: Callable[[str], None] | None) -> None:
    unit = src.unit
    record = report.units.setdefault(unit.id, {"done": [], "accepted": [], "rejected": {}})
    todo = [t for t in unit.templates if t.id not in record["done"]]
    if not todo:
        return
    para = Paraphraser(src, conn, seed=seed, units_dirs=units_dirs)
    for template in todo:
        if progress:
            progress(f"{unit.id}, template {template.id}: asking for {n} rewrite(s)…")
        try:
            para.baseline(template.id)
        except ParaphraseError:  # nothing to check rewrites on: counted, not asked
            _reject(record, "no_sample_data")
            record["done"].append(template.id)
            save()
            continue
        texts = para.ask(client, template, n, temperature=temperature, seed=seed)  # may spend the budget
        for text in texts:
            others = [(f"candidate {a['id']}", a["text"]) for a in record["accepted"]]
            code, _, _ = para.check(template, text, others)
            if code is None:
                taken = {t.id for t in unit.templates} | {a["id"] for a in record["accepted"]}
                record["accepted"].append({"id": next_template_id(template.id, taken), "from": template.id,
                                           "text": text})
            else:
                _reject(record, code)
        record["done"].append(template.id)
        _write_unit(src, record, report.out_dir)
        save()


def _reject(record: dict[str, Any], code: str) -> None:
    record["rejected"][code] = record["rejected"].get(code, 0) + 1


def _write_unit(src: UnitSource, record: dict[str, Any], out_dir: Path) -> None:
    """``out_dir/<unit>.yaml``: the unit's file with every template accepted so far."""
    if not record["accepted"]:
        return
    path, _ = unit_file(src)
    try:
        loaded = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ComposerError(f"{src.path}: cannot read unit file: {exc}") from exc
    originals = {t.id: t for t in src.unit.templates}
    added = [Template(id=a["id"], text=a["text"], missing=list(originals[a["from"]].missing),
                      label=dict(originals[a["from"]].label), source=SOURCE) for a in record["accepted"]]
    target = out_dir / f"{src.unit.id}.yaml"
    fresh = out_dir / f".{src.unit.id}.yaml.new"  # made whole from the original file and every acceptance so far
    fresh.unlink(missing_ok=True)
    write_unit_text(path, loaded, src.unit, added, out=fresh, shown=str(target))
    os.replace(fresh, target)  # the file before stays until the new one is complete
