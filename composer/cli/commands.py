"""The ``twinchat`` command: thin commands that parse, call one library function, and print.

A :class:`TwinchatError` becomes one line on stderr and exit code 1; bad usage exits 2 (click).
Ctrl-C and SIGTERM (what ``kill``, ``timeout`` and CI cancellation send) take the same path: the
command removes its temporary files and exits with code 130 and one line.
The world, tool, unit and generate commands are here; the session commands are in
:mod:`twinchat.composer.cli.session_commands`, export, eval and paraphrase in :mod:`twinchat.composer.cli.data_commands`.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from twinchat.composer.cli.common import DB_PATH, DEFAULT_DB, SEED, count, UNITS_OPTION
from twinchat.units.errors import TwinchatError

__all__ = ["cli", "main"]


class _Group(click.Group):
    """A group that turns every TwinchatError, and every failure to read or write a file, raised
    below it into a one-line error (exit 1)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo(f"interrupted: twinchat {ctx.invoked_subcommand} stopped before it finished",
                       err=True)
            raise click.exceptions.Exit(130) from None
        except TwinchatError as exc:
            message = " ".join(str(exc).split("\n"))
            raise click.ClickException(message) from exc
        except BrokenPipeError:
            raise  # the reader left (`twinchat stats | head -1`): click ends quietly
        except sqlite3.DatabaseError as exc:  # damage that the check on opening did not see (a large file)
            if type(exc) is not sqlite3.DatabaseError:
                raise
            raise click.ClickException(f"damaged or foreign database: {exc}") from exc
        except OSError as exc:  # a full disk, a read-only or missing folder, a permission
            where = exc.filename if exc.filename is not None else "file system"
            raise click.ClickException(f"{where}: {exc.strerror or exc}") from exc


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="twinchat")
def cli() -> None:
    """Compose verified customer-service dialogues for fine-tuning LLMs.

    \b
    Start with:
        twinchat init                      # build the simulated inventory (twinchat.db)
        twinchat tools list                # the tools dialogues call
    """


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=DB_PATH,
              help="Where to write the world.")
@click.option("--seed", default=0, show_default=True, type=SEED, help="Seed of the world.")
@click.option("--force", is_flag=True, help="Replace an existing world (never a file that is not one).")
@click.option("--drop-sessions", is_flag=True,
              help="With --force: replace a world even if it holds stored sessions (they are lost).")
def init(db_path: str, seed: int, force: bool, drop_sessions: bool) -> None:
    """Build the simulated inventory (catalog, stock, delivery lanes, regions, service desk).

    The same seed always gives the same content. The file is built under a temporary name and
    renamed into place, so an interrupted build never leaves a half-built database.

    \b
    Example:
        twinchat init --db shop.db --seed 7
    """
    from twinchat.inventory import build_world, world_summary

    started = time.perf_counter()
    path = build_world(db_path, seed, force=force, drop_sessions=drop_sessions,
                       progress=lambda area: click.echo(f"building {area}…", err=True))
    counts = world_summary(path)
    took = time.perf_counter() - started
    click.echo(f"built {path} (seed {seed}) in {took:.1f}s")
    for table, n in counts.items():
        click.echo(f"  {table:<20}{n:>8,}")


@cli.group()
def tools() -> None:
    """List, describe and call the inventory's tools."""


@tools.command("list")
def tools_list() -> None:
    """List the tools with their descriptions.

    \b
    Example:
        twinchat tools list
    """
    from twinchat.inventory.tools import TOOLS

    for name, tool in TOOLS.items():
        click.echo(f"{name:<24}{tool.description}")


@tools.command("schema")
@click.argument("name", required=False)
def tools_schema(name: str | None) -> None:
    """Print the JSON schema of one tool (or of all), as function-calling data uses it.

    \b
    Example:
        twinchat tools schema check_delivery
    """
    from twinchat.inventory.errors import UnknownToolError
    from twinchat.inventory.tools import TOOLS

    if name is not None and name not in TOOLS:
        raise UnknownToolError(f"unknown tool {name!r} (known tools: {', '.join(TOOLS)})")
    chosen = [TOOLS[name]] if name else list(TOOLS.values())
    schemas = [t.json_schema() for t in chosen]
    click.echo(json.dumps(schemas[0] if name else schemas, ensure_ascii=False, indent=2))


@tools.command("call")
@click.argument("name")
@click.argument("arguments", default="{}")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=DB_PATH)
@click.option("--now", type=click.DateTime(["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]),
              help="Session clock (default: the current time).")
def tools_call(name: str, arguments: str, db_path: str, now: datetime | None) -> None:
    """Call tool NAME with ARGUMENTS (a JSON object) and print its result.

    Tool errors (unknown product, malformed phone…) are results, printed like any other.

    \b
    Example:
        twinchat tools call check_delivery \\
          '{"products": ["MEM003"], "destination": "深圳市南山区", "deadline": "2026-11-21 23:59:59"}' \\
          --now "2026-11-21 15:00"
    """
    from twinchat.inventory import open_world
    from twinchat.inventory.tools import call

    try:
        args = json.loads(arguments)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="ARGUMENTS") from exc
    if not isinstance(args, dict):
        raise click.BadParameter("must be a JSON object", param_hint="ARGUMENTS")
    conn = open_world(Path(db_path))
    try:
        with conn:
            result = call(conn, name, args, now or datetime.now().replace(microsecond=0))
    finally:
        conn.close()
    click.echo(json.dumps(result, ensure_ascii=False, indent=2))


@cli.group()
def units() -> None:
    """Browse and validate unit files."""


@units.command("list")
@UNITS_OPTION
def units_list(units_dirs: tuple[str, ...]) -> None:
    """List the units: id, templates, tool, title.

    \b
    Example:
        twinchat units list --units ./my_units
    """
    from twinchat.units.loader import load_units

    found = sorted(load_units(units_dirs).items())
    id_width = max((len(uid) for uid, _ in found), default=0) + 2
    tool_width = max((len(src.unit.tool.name) for _, src in found if src.unit.tool), default=1) + 2
    for uid, src in found:
        u = src.unit
        tool = u.tool.name if u.tool else "-"
        click.echo(f"{uid:<{id_width}}{len(u.templates):>4} templates  {tool:<{tool_width}}{u.title}")


@units.command("show")
@click.argument("unit_id")
@UNITS_OPTION
def units_show(unit_id: str, units_dirs: tuple[str, ...]) -> None:
    """Show one unit: where it comes from, its slots, templates, label, tool and outcomes.

    \b
    Example:
        twinchat units show address_extraction
    """
    from twinchat.composer.engine.sample_files import find_unit
    from twinchat.units.loader import load_units

    src = find_unit(load_units(units_dirs), unit_id)
    u = src.unit
    click.echo(f"{u.id} — {u.title}  ({src.path})")
    if u.description:
        click.echo(u.description.strip())
    click.echo("slots:")
    for name, slot in u.slots.items():
        detail = {k: v for k, v in slot.model_dump(exclude_defaults=True).items() if k != "source"}
        click.echo(f"  {name:<16}{slot.source:<10}{json.dumps(detail, ensure_ascii=False)}")
    click.echo(f"templates ({len(u.templates)}):")
    for t in u.templates:
        missing = f"  [missing: {', '.join(t.missing)}]" if t.missing else ""
        click.echo(f"  {t.id:<10}{t.text.strip()}{missing}")
    if u.label:
        click.echo("label: " + ", ".join(f"{k}: {f.type}" for k, f in u.label.items()))
    if u.tool:
        click.echo(f"tool: {u.tool.name}(" + ", ".join(f"{k}={v}" for k, v in u.tool.arguments.items()) + ")")
    for oid, replies in u.replies.items():
        click.echo(f"outcome {oid}: {len(replies)} replies")
    for case in u.cases:
        click.echo(f"case {case.id}: weight {case.weight}")


@units.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
def units_check(paths: tuple[str, ...]) -> None:
    """Validate unit and flow files (default: the built-ins); print every problem, one per line.

    Files are loaded after the built-ins, as compose loads them: an id that is already defined
    is an error, and a flow may play any unit of either.

    \b
    Example:
        twinchat units check ./my_units/repair.yaml
    """
    from twinchat.composer.engine.compose import flow_problems
    from twinchat.composer.engine.unit_checks import unit_problems
    from twinchat.units.loader import load_content

    units, flows = load_content(paths)
    mine = [s for s in units.values() if not paths or not s.path.startswith("<builtin>/")]
    my_flows = [s for s in flows.values() if not paths or not s.path.startswith("<builtin>/")]
    problems = [p for src in mine for p in unit_problems(src)]
    problems += [p for src in my_flows for p in flow_problems(src, units)]
    for p in problems:
        click.echo(p, err=True)
    if problems:
        raise click.exceptions.Exit(1)
    click.echo(f"{len(mine)} unit(s) OK")
    if my_flows:
        click.echo(f"{len(my_flows)} flow(s) OK")


@cli.command()
@click.argument("unit_id")
@click.option("-n", "n", default=1000, show_default=True, type=count(), help="How many samples.")
@click.option("--seed", default=0, show_default=True, type=SEED, help="Seed of the samples.")
@click.option("--exhaustive", is_flag=True, help="Every combination of templates and slot pools instead of -n.")
@click.option("--cap", default=100_000, show_default=True, type=click.IntRange(min=1),
              help="Refuse --exhaustive runs larger than this.")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False),
              help="Where to write the samples (JSON lines).")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=DB_PATH,
              help="The world to ground samples on (built with seed 0 if missing).")
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@click.option("--noise", default=None, type=click.FloatRange(0, 1),
              help="Share of user texts given surface noise (typos, emoji, …), in place of the unit's own.")
@UNITS_OPTION
def generate(unit_id: str, n: int, seed: int, exhaustive: bool, cap: int, out: str, db_path: str,
             force: bool, noise: float | None, units_dirs: tuple[str, ...]) -> None:
    """Generate verified samples of one unit (single-unit digital twins).

    Each sample carries the unit and template ids, the clock, the user text, the label, the tool
    call with its real result, the outcome and the reply. Samples failing verification are
    counted by reason and not written. The same seed gives byte-identical output.

    \b
    Example:
        twinchat generate address_extraction -n 5000 --seed 1 -o addresses.jsonl
        twinchat generate product_by_stock_and_delivery --exhaustive -o delivery.jsonl
        twinchat generate shop_ask_part -n 2000 --noise 0.2 -o noisy.jsonl
    """
    from twinchat.composer.engine.sample_files import check_output, ensure_world, find_unit, \
        generate_file, generate_inputs
    from twinchat.units.loader import load_units

    units = load_units(units_dirs)
    find_unit(units, unit_id)  # an unknown unit, or an output never to write, is said before a world is built
    check_output(out, force, generate_inputs(db_path, units_dirs))
    conn = ensure_world(db_path, note=lambda m: click.echo(m, err=True))
    try:
        report = generate_file(
            unit_id, out, conn=conn, n=n, seed=seed, exhaustive=exhaustive, cap=cap,
            units_dirs=units_dirs, force=force, units=units, noise=noise,
            planned=lambda c: click.echo(f"{unit_id}: {c:,} samples to generate", err=True),
        )
    finally:
        conn.close()
    rate = report.written / report.seconds if report.seconds else 0.0
    click.echo(f"wrote {report.written:,} of {report.planned:,} samples to {report.path} "
               f"({report.seconds:.1f}s, {rate:,.0f}/s)")
    if report.outcomes:
        click.echo("outcomes: " + ", ".join(f"{k} {v:,}" for k, v in report.outcomes.most_common()))
    click.echo(f"templates used: {len(report.templates)}")
    if report.failures:
        click.echo("failed verification (not written): "
                   + ", ".join(f"{k} {v:,}" for k, v in report.failures.most_common()))


def _terminated(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point (called after every command below is defined): SIGTERM is
    handled as Ctrl-C."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminated)
    cli(prog_name="twinchat")


def _register() -> None:
    from twinchat.composer.cli.data_commands import eval_, export, paraphrase
    from twinchat.composer.cli.session_commands import compose, stats, tui, verify

    for command in (compose, verify, stats, export, eval_, tui, paraphrase):
        cli.add_command(command)


_register()
