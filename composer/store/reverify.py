"""``twinchat verify``: every stored session verified again against the world and the current units."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from twinchat.composer.store.batches import DEFAULT_BATCH, Progress
from twinchat.composer.store.sessions import SessionStore, reason_key
from twinchat.composer.store.snapshot import snapshot_composer

__all__ = ["VerifyReport", "verify_run"]

@dataclass
class VerifyReport:
    """What a re-verification did."""

    db: Path
    checked: int = 0
    failed: int = 0
    newly_failed: int = 0
    newly_ok: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    #: ``session ID: path: message`` for each session whose shape is wrong (its verdict: ``schema: path: message``)
    malformed: list[str] = field(default_factory=list)


def verify_run(
    db: str | os.PathLike[str],
    *,
    units_dirs: Sequence[str] = (),
    progress: Progress | None = None,
) -> VerifyReport:
    """Re-verify every stored session against the world and the current units; update verdicts."""
    from twinchat.inventory import open_world

    started = time.perf_counter()
    conn = open_world(db)
    report = VerifyReport(db=Path(db))
    try:
        store = SessionStore(conn)
        composer = snapshot_composer(db, 0, units_dirs)
        total = store.count()
        if progress:
            progress(0, total)
        changed: list[tuple[str, list[str]]] = []
        for stored in store.iter_sessions(lenient=True):
            reasons = [f"schema: {p}" for p in stored.problems] or composer.verify(stored.session)
            report.malformed += [f"session {stored.id}: {p}" for p in stored.problems[:1]]
            report.checked += 1
            if reasons:
                report.failed += 1
                report.failures.update({reason_key(r) for r in reasons})
            if reasons != stored.reasons:
                changed.append((stored.id, reasons))
                if bool(reasons) != (stored.status == "failed"):
                    if reasons:
                        report.newly_failed += 1
                    else:
                        report.newly_ok += 1
            if len(changed) >= DEFAULT_BATCH:
                store.set_verdicts(changed)
                changed = []
            if progress and report.checked % DEFAULT_BATCH == 0:
                progress(report.checked, total)
        if changed:
            store.set_verdicts(changed)
        if progress:
            progress(report.checked, total)
    finally:
        conn.close()
    report.seconds = time.perf_counter() - started
    return report
