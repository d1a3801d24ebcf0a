"""``twinchat verify``: every stored session verified again against the world and the current units."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from twinchat.composer.store.missing_units import require_units
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
    #: the world's seed, and how many sessions were composed on each other world seed
    world_seed: int | None = None
    other_world_seeds: Counter[int] = field(default_factory=Counter)

    def seed_note(self) -> str | None:
        """One line saying how many sessions were composed on another world seed, or None."""
        if not self.other_world_seeds:
            return None
        n = sum(self.other_world_seeds.values())
        seeds = ", ".join(str(s) for s in sorted(self.other_world_seeds))
        plural = "s" if len(self.other_world_seeds) > 1 else ""
        return (f"{n:,} session{'s' if n != 1 else ''} {'were' if n != 1 else 'was'} composed on world "
                f"seed{plural} {seeds} but the world is seed {self.world_seed}")


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
        require_units(conn, composer.units)
        report.world_seed = composer.world_seed
        total = store.count()
        if progress:
            progress(0, total)
        changed: list[tuple[str, list[str]]] = []
        for stored in store.iter_sessions(lenient=True):
            reasons = [f"schema: {p}" for p in stored.problems] or composer.verify(stored.session, shaped=True)
            seed_reason = _seed_reason(stored.session, report)
            reasons = seed_reason + reasons if reasons else reasons
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


def _seed_reason(session: object, report: VerifyReport) -> list[str]:
    """``[world_seed: composed on X, world is Y]`` for a session composed on another world seed (counted
    in the report), else []; the caller gives it only to a session that fails on this world."""
    seed = session.get("world_seed") if isinstance(session, dict) else None
    if not isinstance(seed, int) or isinstance(seed, bool) or seed == report.world_seed:
        return []
    report.other_world_seeds[seed] += 1
    return [f"world_seed: composed on {seed}, world is {report.world_seed}"]
