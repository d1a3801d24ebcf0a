"""The ``twinchat`` command: thin commands that parse, call one library function, and print.

A :class:`TwinchatError` becomes one line on stderr and exit code 1; bad usage exits 2 (click).
Ctrl-C and SIGTERM (what ``kill``, ``timeout`` and CI cancellation send) take the same path: the
command removes its temporary files and exits with code 130 and one line.
The world, tool and unit commands are here; generate is in
:mod:`twinchat.composer.cli.generate_command`, the session commands in
:mod:`twinchat.composer.cli.session_commands`, export, eval and paraphrase in :mod:`twinchat.composer.cli.data_commands`.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
from datetime import datetime
from importlib import import_module
from pathlib import Path
from typing import Any

import click

from twinchat.composer.gcpause import pause, resume
from twinchat.composer.cli.common import DB_PATH, DEFAULT_DB, SEED, UNITS_OPTION, use_tools
from twinchat.units.errors import TwinchatError

__all__ = ["cli", "main"]


#: the commands that resume the garbage collector themselves, once start-up is over (see
#: twinchat.composer.gcpause): generate when it knows its count, compose when its composers are built
_RESUMES_COLLECTOR = frozenset({"generate", "compose"})


#: the commands defined in other modules, by name: (module, attribute). A command's module is
#: imported when the command is asked for (run, or listed by ``--help``), so a run imports its own
#: command's module alone.
_ELSEWHERE = {
    "generate": ("generate_command", "generate"),
    "compose": ("session_commands", "compose"),
    "verify": ("session_commands", "verify"),
    "stats": ("session_commands", "stats"),
    "tui": ("session_commands", "tui"),
    "export": ("data_commands", "export"),
    "eval": ("data_commands", "eval_"),
    "paraphrase": ("data_commands", "paraphrase"),
    "new": ("project_commands", "new"),
}


class _Group(click.Group):
    """A group that turns every TwinchatError, and every failure to read or write a file, raised
    below it into a one-line error (exit 1); its commands of :data:`_ELSEWHERE` are loaded when
    asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *_ELSEWHERE})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _ELSEWHERE:
            module, attr = _ELSEWHERE[cmd_name]
            self.add_command(getattr(import_module(f"twinchat.composer.cli.{module}"), attr), cmd_name)
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        """The subcommand; the garbage collector, paused by :func:`main`, runs again unless the
        command resumes it itself when its work begins."""
        if args and args[0] not in self.commands and args[0] not in _ELSEWHERE:
            for other in _ELSEWHERE:  # no such command: "did you mean" looks among every one
                self.get_command(ctx, other)
        name, command, rest = super().resolve_command(ctx, args)
        if name not in _RESUMES_COLLECTOR:
            resume()
        return name, command, rest

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
@click.option("--project", "project_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="The project file (default: twinchat.yaml in the working directory, when there is one).")
@click.pass_context
def cli(ctx: click.Context, project_file: str | None) -> None:
    """Compose verified customer-service dialogues for fine-tuning LLMs.

    A project file (twinchat.yaml) gives every command its world, catalog, units, flows,
    persona, calendar, flow mix and export defaults; options on the command line win.

    \b
    Start with:
        twinchat init                      # build the simulated inventory (twinchat.db)
        twinchat tools list                # the tools dialogues call
        twinchat new my_shop               # or a project of your own shop
    """
    from twinchat.composer.cli.project import apply_project

    apply_project(ctx, project_file)


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=DB_PATH,
              help="Where to write the world.")
@click.option("--seed", default=0, show_default=True, type=SEED, help="Seed of the world.")
@click.option("--force", is_flag=True, help="Replace an existing world (never a file that is not one).")
@click.option("--drop-sessions", is_flag=True,
              help="With --force: replace a world even if it holds stored sessions (they are lost).")
def init(db_path: str, seed: int, force: bool, drop_sessions: bool) -> None:
    """Build the simulated inventory (catalog, stock, delivery lanes, regions, service desk).

    The catalog, stock and warehouses come from catalog files: in a project with a `catalog:`, its
    own (devices and compatibility too, when it has them), else the built-in shop's, shipped with
    twinchat. They are checked in full first: a bad row is one error line and nothing is written.
    The same seed always gives the same content. The file is built under a temporary name and
    renamed into place, so an interrupted build never leaves a half-built database.

    \b
    Example:
        twinchat init --db shop.db --seed 7
    """
    from twinchat.composer.cli.project import catalog_files, project_of
    from twinchat.inventory import build_world, world_summary

    started = time.perf_counter()
    path = build_world(db_path, seed, force=force, drop_sessions=drop_sessions,
                       progress=lambda area: click.echo(f"building {area}…", err=True),
                       catalog_files=catalog_files(project_of()))
    counts = world_summary(path)
    took = time.perf_counter() - started
    click.echo(f"built {path} (seed {seed}) in {took:.1f}s")
    for table, n in counts.items():
        click.echo(f"  {table:<20}{n:>8,}")


@cli.group()
def tools() -> None:
    """List, describe and call the inventory's tools."""


@tools.command("list")
@UNITS_OPTION
def tools_list(units_dirs: tuple[str, ...]) -> None:
    """List the tools with their descriptions (the built-in ones, plugins', and those of --units).

    \b
    Example:
        twinchat tools list --units ./my_units
    """
    from twinchat.inventory.tools import TOOLS

    use_tools(units_dirs)
    for name, tool in TOOLS.items():
        click.echo(f"{name:<24}{tool.description}")


@tools.command("schema")
@click.argument("name", required=False)
@UNITS_OPTION
def tools_schema(name: str | None, units_dirs: tuple[str, ...]) -> None:
    """Print the JSON schema of one tool (or of all), as function-calling data uses it.

    \b
    Example:
        twinchat tools schema check_delivery
    """
    from twinchat.inventory.errors import UnknownToolError
    from twinchat.inventory.tools import TOOLS

    use_tools(units_dirs)
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
@UNITS_OPTION
def tools_call(name: str, arguments: str, db_path: str, now: datetime | None, units_dirs: tuple[str, ...]) -> None:
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
    use_tools(units_dirs, db_path)
    conn = open_world(Path(db_path))
    try:
        with conn:
            result = call(conn, name, args, now or datetime.now().replace(microsecond=0))
    finally:
        conn.close()
    click.echo(json.dumps(result, ensure_ascii=False, indent=2))


@tools.command("import")
@click.argument("openapi_file", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False),
              help="The directory to write the tool files to (your --units directory).")
@click.option("--only", default=None, help="Only these operations (operationIds, comma-separated).")
@click.option("--force", is_flag=True, help="Replace tool files that exist already.")
def tools_import(openapi_file: str, out: str, only: str | None, force: bool) -> None:
    """Make one tool file per operation of an OpenAPI 3.0/3.1 file (JSON or YAML).

    Each file has the operation's parameters and JSON body as a JSON Schema, and a rules stub
    that always succeeds: replace it with your rules or SQL. What a tool cannot carry
    (callbacks, file uploads, header parameters, auth flows) is listed, never dropped silently.

    \b
    Example:
        twinchat tools import invoice_api.yaml -o my_units --only IssueInvoice
    """
    from twinchat.composer.tools.openapi import import_openapi

    names = [n.strip() for n in only.split(",") if n.strip()] if only else None
    report = import_openapi(openapi_file, out, names, force=force)
    for tool in report.tools:
        click.echo(f"wrote {tool.file} ({tool.method} {tool.path})")
        for note in tool.notes:
            click.echo(f"  not imported: {note}")
    for note in report.notes:
        click.echo(f"not imported: {note}")
    click.echo(f"{len(report.tools)} tool file(s); replace each rules stub with your implementation")


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
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=DB_PATH,
              help="The world tool files' queries are prepared against (when it exists).")
def units_check(paths: tuple[str, ...], db_path: str) -> None:
    """Validate units, flows, tools and the catalog together; print every problem, one per line.

    Checks the files given, else the project's unit, flow and tool folders, else the built-ins;
    in a project with a `catalog:`, its files too, and units against its categories. Files are
    loaded after the built-ins, as compose loads them: an id that is already defined is an error,
    and a flow may play any unit of either. Tool files are checked first (the first problem stops
    the check): their schemas, templates, python targets and, when the world exists, their
    queries; units may then call those tools. `twinchat check` is the same command.

    \b
    Example:
        twinchat units check ./my_units/repair.yaml
        twinchat check                     # in a project folder: everything it names
    """
    from twinchat.composer.cli.project_commands import check_all

    problems, summary = check_all(paths, db_path)
    for p in problems:
        click.echo(p, err=True)
    if problems:
        raise click.exceptions.Exit(1)
    for line in summary:
        click.echo(line)


def _terminated(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point (called after every command below is defined): SIGTERM is
    handled as Ctrl-C."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminated)
    pause()  # the command resumes the collector when its work begins (see twinchat.composer.gcpause)
    cli(prog_name="twinchat")


cli.add_command(units_check, "check")
