"""``twinchat generate``: N verified samples of one unit (or all its combinations), to a JSONL file.

The file is written under a temporary name and renamed into place when every sample is written,
so an interrupted run never leaves a half-written file. Samples that fail verification are not
written; they are counted by reason in the report.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twinchat.composer.atomic import atomic_write
from twinchat.composer.errors import ComposerError, LimitError
from twinchat.composer.engine.generate import UnitGenerator
from twinchat.composer.engine.negatives import sample_verifier
from twinchat.composer.jsontext import dumps_spaced
from twinchat.units.errors import TwinchatError, UnitError
from twinchat.units.loader import UnitSource, did_you_mean, load_units

if TYPE_CHECKING:  # an --exhaustive run imports its modules (a drawn run never needs them)
    from twinchat.composer.engine.field_pools import PoolSpec

__all__ = ["GenerateReport", "generate_file", "check_output", "generate_inputs", "ensure_world", "find_unit", "DEFAULT_CAP"]

DEFAULT_CAP = 100_000
#: ``json.dumps(record, ensure_ascii=False)``, with the encoder made once rather than per line
_encode = dumps_spaced
#: how much of an existing output's first line is read to tell whether it is a samples file
_FIRST_LINE_MAX = 1 << 20


@dataclass
class GenerateReport:
    """What a generate run did."""

    unit: str
    path: Path
    planned: int
    written: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    templates: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def ensure_world(db: str | os.PathLike[str], seed: int = 0,
                 note: Callable[[str], None] | None = None) -> sqlite3.Connection:
    """Open the world at ``db``, building it (with ``seed``) first if the file does not exist."""
    from twinchat.inventory import build_world, open_world
    from twinchat.inventory.build import check_new_world

    if not Path(db).exists():
        check_new_world(db)  # a missing folder: one line, not "building it" and then the error
        if note:
            note(f"no world at {db}: building it (seed {seed})…")
        build_world(db, seed)
    return open_world(db)


def check_output(out: str | os.PathLike[str], force: bool,
                 inputs: Sequence[tuple[str, str | os.PathLike[str]]] = ()) -> Path:
    """``out`` as a path, if generate may write it: never one of ``inputs`` (``(what, path)`` pairs,
    e.g. the world), and an existing file only with ``force`` and only if it is a samples file."""
    target = Path(out)
    for what, path in inputs:
        if path and _same(target, Path(path)):
            raise ComposerError(f"{target}: is {what}; write the samples to another -o")
    if target.exists() and not force:
        raise ComposerError(f"{target}: file exists; pass --force to replace it")
    if target.exists() and not _is_samples_file(target):
        raise ComposerError(f"{target}: not a samples file (its first line is not a `twinchat generate` "
                            "sample); --force replaces only a file generate wrote")
    if not target.parent.exists():
        raise ComposerError(f"{target.parent}: directory does not exist")
    return target


def _is_samples_file(path: Path) -> bool:
    """Whether ``path`` is a regular file that is empty or whose first line is a sample."""
    if path.is_symlink() or not path.is_file():
        return False
    with open(path, "rb") as fh:
        first = fh.readline(_FIRST_LINE_MAX)
    if not first:
        return True
    from twinchat.composer.sample_shape import plainly_a_sample

    try:
        sample = json.loads(first)
        if plainly_a_sample(sample):  # the common case, without making the Sample model
            return True
        from twinchat.composer.sample_models import check_sample

        check_sample(sample, f"{path}:1")
    except (ValueError, TwinchatError):  # not UTF-8, not JSON, or not a sample
        return False
    return True


def generate_inputs(db: str | os.PathLike[str], units_dirs: Sequence[str]) -> list[tuple[str, str | os.PathLike[str]]]:
    """What a generate run reads, as :func:`check_output` takes it: the world and the ``--units`` paths."""
    return [("the world in use (--db)", db), *(("a unit file given with --units", d) for d in units_dirs)]


def _same(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file (the same path, or links to one file)."""
    if a.resolve() == b.resolve():
        return True
    return a.exists() and b.exists() and os.path.samefile(a, b)


def _world_file(conn: sqlite3.Connection) -> str:
    return next(row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main")


def find_unit(units: dict[str, UnitSource], unit_id: str) -> UnitSource:
    """The unit named ``unit_id``, or an error listing the known ones."""
    if unit_id not in units:
        raise UnitError(f"unknown unit {unit_id!r}{did_you_mean(unit_id, units)}; "
                        f"units: {', '.join(sorted(units))}")
    return units[unit_id]


def generate_file(
    unit_id: str,
    out: str | os.PathLike[str],
    *,
    conn: sqlite3.Connection,
    n: int = 1000,
    seed: int = 0,
    exhaustive: bool = False,
    cap: int = DEFAULT_CAP,
    units_dirs: Sequence[str] = (),
    force: bool = False,
    planned: Callable[[int], None] | None = None,
    progress: Callable[[int], None] | None = None,
    units: Mapping[str, UnitSource] | None = None,
    noise: float | None = None,
    pools: Mapping[str, PoolSpec] | None = None,
    instructions: int | None = None,
    negative: float = 0.0,
) -> GenerateReport:
    """Generate, verify and write samples of ``unit_id`` to ``out`` (JSON lines); ``units`` are the
    units already loaded from ``units_dirs`` (loaded here when not given); ``noise`` the rate of
    surface noise on the user texts, in place of the unit's own; ``pools`` the field pools of an
    exhaustive run (see :mod:`.field_pools`) and ``instructions`` how many instructions each of
    its requests is said in (default: every one), ``negative`` the rate of negatives it adds."""
    world = _world_file(conn)
    target = check_output(out, force, generate_inputs(world, units_dirs))
    src = find_unit(dict(units) if units is not None else load_units(units_dirs), unit_id)
    with _tool_world(conn, world, src) as tool_conn:
        return _generate(src, target, tool_conn, n, seed, exhaustive, cap, planned, progress, noise, pools,
                         instructions, negative)


@contextmanager
def _tool_world(conn: sqlite3.Connection, world: str, src: UnitSource) -> Iterator[sqlite3.Connection]:
    """The connection a unit's samples run on: for a unit that calls a tool, a private in-memory
    copy of the world whose writes are tracked (tools then remember their answers per state of its
    tables, so verification's re-run of a call is answered from memory, and a write never touches
    the file); for any other unit (or a world in memory), ``conn`` itself."""
    if src.unit.tool is None or not world:
        yield conn
        return
    from twinchat.composer.store.snapshot import world_snapshot

    snapshot = world_snapshot(world)
    try:
        yield snapshot
    finally:
        snapshot.close()


def _drawn(gen: UnitGenerator, n: int) -> Iterator[Any]:
    """Samples 0 to ``n - 1`` in order, each the LimitError of a sample whose template went past a
    limit (as :func:`~twinchat.composer.engine.generate.drawn` gives it), without a call of it per sample."""
    sample = gen.sample
    for index in range(n):
        try:
            yield sample(index)
        except LimitError as exc:
            yield exc


def _generate(src: UnitSource, target: Path, conn: sqlite3.Connection, n: int, seed: int, exhaustive: bool,
              cap: int, planned: Callable[[int], None] | None, progress: Callable[[int], None] | None,
              noise: float | None, pools: Mapping[str, PoolSpec] | None, instructions: int | None,
              negative: float) -> GenerateReport:
    """The run of :func:`generate_file` once its output and unit are known."""
    unit_id = src.unit.id
    if exhaustive and negative:
        from twinchat.composer.engine.unit_negatives import with_negatives

        src = with_negatives(src)  # the robustness cases the unit's tool schema implies
    gen = UnitGenerator(src, conn, seed=seed, noise=noise)
    if exhaustive:
        from twinchat.composer.engine.exhaustive import exhaustive as exhaustive_samples

        count, samples = exhaustive_samples(gen, cap, pools, instructions, negative)
    else:
        if n < 1:
            raise ComposerError(f"-n must be at least 1 (got {n})")
        count, samples = n, _drawn(gen, n)
    if planned:
        planned(count)
    report = GenerateReport(unit=unit_id, path=target, planned=count)
    started = time.perf_counter()
    verify = sample_verifier(src.unit, gen.call)
    with atomic_write(target) as (fh, _):
        for done, sample in enumerate(samples, 1):
            # a sample whose template went past a limit fails with that reason
            record = None if isinstance(sample, LimitError) else sample.to_json()
            reasons = [f"limit: {sample}"] if record is None else verify(record)
            if reasons:
                report.failures.update(reasons)
            else:
                fh.write(_encode(record) + "\n")
                report.written += 1
                report.templates[record["template"]] += 1
                if record["outcome"]:
                    report.outcomes[record["outcome"]] += 1
            if progress and done % 500 == 0:
                progress(done)
    report.seconds = time.perf_counter() - started
    return report
