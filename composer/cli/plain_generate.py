"""``twinchat generate UNIT [-n N] [--seed S] -o FILE [--db DB] [--force]`` run without click.

Importing click and building the command line is a tenth of a short ``generate``'s start. This
module parses that plain form of the command alone — each option once, each value in its plain
spelling — and runs it as :mod:`~twinchat.composer.cli.generate_command` does, with the same
messages, errors and exit codes (:func:`run`). Anything else — another option or command, a
value click would convert, correct or refuse, a project file in the working directory, a text
stream that is not UTF-8 — is left to click (:func:`run` answers None), which parses, checks and
reports it as always. A test runs both on the same command lines and compares what they print.
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys
from collections.abc import Callable, Sequence
from typing import Any

from twinchat.composer.gcpause import resume
from twinchat.units.errors import TwinchatError

__all__ = ["run", "parse", "generate_plain", "named", "planned", "summary"]

#: an option's value: a count (1 … 2**63-1) or a seed (a 64-bit integer), in their plain spelling
_COUNT = re.compile(r"[1-9][0-9]{0,18}")
_SEED = re.compile(r"-?(?:0|[1-9][0-9]{0,18})")
_UNIT = re.compile(r"[A-Za-z0-9_]+")
#: the options that take a value, by their names on the command line
_VALUED = {"-n": "n", "--seed": "seed", "-o": "out", "--output": "out", "--db": "db_path"}
_MAX = 2**63 - 1
#: the project file in the working directory (twinchat.composer.project.find), which sets defaults
_PROJECT_FILE = "twinchat.yaml"

Echo = Callable[..., Any]


def _echo(message: str, err: bool = False) -> None:
    """``click.echo`` of a text without escape sequences on a UTF-8 text stream (:func:`parse` checks)."""
    stream = sys.stderr if err else sys.stdout
    stream.write(f"{message}\n")
    stream.flush()


def _path(value: str) -> bool:
    """A file's path as ``click.Path(dir_okay=False)`` takes it unchanged."""
    if not value.strip() or value.startswith("-") or os.path.isdir(value):
        return False
    return not os.path.exists(value) or os.access(value, os.R_OK)


def _plain_streams() -> bool:
    """Whether click would write to the standard streams as they are (text streams in UTF-8)."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if encoding != "utf8":
            return False
    return True


def parse(args: Sequence[str]) -> dict[str, Any] | None:
    """The arguments of ``generate`` in its plain form, or None: click is to read ``args``."""
    if not args or args[0] != "generate" or any("\x1b" in a or "\0" in a for a in args):
        return None
    found: dict[str, Any] = {}
    i = 1
    while i < len(args):
        arg, key = args[i], _VALUED.get(args[i])
        if arg == "--force" and "force" not in found:
            found["force"], i = True, i + 1
        elif key is not None and key not in found and i + 1 < len(args):
            found[key], i = args[i + 1], i + 2
        elif "unit_id" not in found and _UNIT.fullmatch(arg):
            found["unit_id"], i = arg, i + 1
        else:
            return None
    n, seed = found.get("n", "1000"), found.get("seed", "0")
    out, db_path = found.get("out"), found.get("db_path", "twinchat.db")
    if ("unit_id" not in found or out is None or not _COUNT.fullmatch(n) or int(n) > _MAX
            or not _SEED.fullmatch(seed) or not -_MAX - 1 <= int(seed) <= _MAX
            or not _path(out) or not _path(db_path) or os.path.isfile(_PROJECT_FILE) or not _plain_streams()):
        return None
    return {"unit_id": found["unit_id"], "n": int(n), "seed": int(seed), "out": out, "db_path": db_path,
            "force": found.get("force", False)}


def named(unit_id: str | None, units_dirs: tuple[str, ...]) -> Any:
    """The units to find ``unit_id`` among (None for a --tool run), an unknown one said before a world is built."""
    from twinchat.composer.engine.sample_files import find_unit
    from twinchat.units.loader import units_for

    if unit_id is None:
        return None
    units = units_for(unit_id, units_dirs)  # without --units: the unit's own built-in file alone
    find_unit(units, unit_id)
    return units


def planned(unit_id: str | None, count: int, echo: Echo = _echo) -> None:
    """Say how many samples will be made; start-up is over: the garbage collector runs again."""
    echo(f"{unit_id}: {count:,} samples to generate", err=True)
    resume()


def summary(report: Any, echo: Echo = _echo) -> None:
    """The run's one-screen summary: what was written where, outcomes, templates, failures."""
    rate = report.written / report.seconds if report.seconds else 0.0
    echo(f"wrote {report.written:,} of {report.planned:,} samples to {report.path} "
         f"({report.seconds:.1f}s, {rate:,.0f}/s)")
    if report.outcomes:
        echo("outcomes: " + ", ".join(f"{k} {v:,}" for k, v in report.outcomes.most_common()))
    echo(f"templates used: {len(report.templates)}")
    if report.failures:
        echo("failed verification (not written): " + ", ".join(f"{k} {v:,}" for k, v in report.failures.most_common()))


def generate_plain(unit_id: str, n: int, seed: int, out: str, db_path: str, force: bool) -> None:
    """``generate`` of the plain form: what the click command does for it, outside a project."""
    from twinchat.composer.engine.sample_files import check_output, ensure_world, generate_file, generate_inputs

    units = named(unit_id, ())
    check_output(out, force, generate_inputs(db_path, ()))
    conn = ensure_world(db_path, note=lambda m: _echo(m, err=True))
    try:
        report = generate_file(unit_id, out, conn=conn, n=n, seed=seed, exhaustive=False, cap=100_000,
                               units_dirs=(), force=force, units=units, noise=None, pools={}, instructions=None,
                               negative=0.0, planned=lambda c: planned(unit_id, c))
    finally:
        conn.close()
    summary(report)


def _failed(message: str) -> int:
    _echo(f"Error: {message}", err=True)  # click.ClickException.show
    return 1


def run(args: Sequence[str]) -> int | None:
    """Run ``twinchat ARGS`` when they are ``generate``'s plain form, and give the exit code (failures
    said as the command line says them: one line, code 1; Ctrl-C: code 130); None: not that form."""
    parsed = parse(args)
    if parsed is None:
        return None
    try:
        generate_plain(**parsed)
    except KeyboardInterrupt:
        _echo("interrupted: twinchat generate stopped before it finished", err=True)
        return 130
    except TwinchatError as exc:
        return _failed(" ".join(str(exc).split("\n")))
    except sqlite3.DatabaseError as exc:
        if type(exc) is not sqlite3.DatabaseError:
            raise
        return _failed(f"damaged or foreign database: {exc}")
    except BrokenPipeError:
        from click._compat import PacifyFlushWrapper  # as click ends when the reader left

        sys.stdout, sys.stderr = PacifyFlushWrapper(sys.stdout), PacifyFlushWrapper(sys.stderr)
        return 1
    except OSError as exc:
        return _failed(f"{exc.filename if exc.filename is not None else 'file system'}: {exc.strerror or exc}")
    return 0
