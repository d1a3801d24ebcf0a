"""The ``twinchat`` command: thin commands that parse, call one library function, and print.

A :class:`TwinchatError` becomes one line on stderr and exit code 1; bad usage exits 2 (click).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from twinchat.units.errors import TwinchatError

__all__ = ["cli", "main"]

DEFAULT_DB = "twinchat.db"


class _Group(click.Group):
    """A group that turns every TwinchatError raised below it into a one-line error."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TwinchatError as exc:
            message = " ".join(str(exc).split("\n"))
            raise click.ClickException(message) from exc


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
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="Where to write the world.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the world.")
@click.option("--force", is_flag=True, help="Replace an existing file.")
def init(db_path: str, seed: int, force: bool) -> None:
    """Build the simulated inventory (catalog, stock, delivery lanes, regions, service desk).

    The same seed always gives the same content. The file is built under a temporary name and
    renamed into place, so an interrupted build never leaves a half-built database.

    \b
    Example:
        twinchat init --db shop.db --seed 7
    """
    from twinchat.inventory import build_world, world_summary

    started = time.perf_counter()
    path = build_world(db_path, seed, force=force,
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
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False))
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


_UNITS_OPTION = click.option(
    "--units", "units_dirs", multiple=True, type=click.Path(exists=True),
    help="A directory (or file) of your own unit files, loaded after the built-ins; repeatable.",
)


@cli.group()
def units() -> None:
    """Browse and validate unit files."""


@units.command("list")
@_UNITS_OPTION
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
@_UNITS_OPTION
def units_show(unit_id: str, units_dirs: tuple[str, ...]) -> None:
    """Show one unit: where it comes from, its slots, templates, label, tool and outcomes.

    \b
    Example:
        twinchat units show address_extraction
    """
    from twinchat.composer.twins import find_unit
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
    """Validate unit files (default: the built-ins); print every problem, one per line.

    \b
    Example:
        twinchat units check ./my_units/repair.yaml
    """
    from twinchat.composer.checks import unit_problems
    from twinchat.units.loader import load_units

    found = load_units(paths, builtins=not paths)
    problems = [p for src in found.values() for p in unit_problems(src)]
    for p in problems:
        click.echo(p, err=True)
    if problems:
        raise click.exceptions.Exit(1)
    click.echo(f"{len(found)} unit(s) OK")


@cli.command()
@click.argument("unit_id")
@click.option("-n", "n", default=1000, show_default=True, type=click.IntRange(min=1), help="How many samples.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the samples.")
@click.option("--exhaustive", is_flag=True, help="Every combination of templates and slot pools instead of -n.")
@click.option("--cap", default=100_000, show_default=True, type=click.IntRange(min=1),
              help="Refuse --exhaustive runs larger than this.")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False),
              help="Where to write the samples (JSON lines).")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="The world to ground samples on (built with seed 0 if missing).")
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@_UNITS_OPTION
def generate(unit_id: str, n: int, seed: int, exhaustive: bool, cap: int, out: str, db_path: str,
             force: bool, units_dirs: tuple[str, ...]) -> None:
    """Generate verified samples of one unit (single-unit digital twins).

    Each sample carries the unit and template ids, the clock, the user text, the label, the tool
    call with its real result, the outcome and the reply. Samples failing verification are
    counted by reason and not written. The same seed gives byte-identical output.

    \b
    Example:
        twinchat generate address_extraction -n 5000 --seed 1 -o addresses.jsonl
        twinchat generate product_by_stock_and_delivery --exhaustive -o delivery.jsonl
    """
    from twinchat.composer.twins import ensure_world, generate_file

    conn = ensure_world(db_path, note=lambda m: click.echo(m, err=True))
    try:
        report = generate_file(
            unit_id, out, conn=conn, n=n, seed=seed, exhaustive=exhaustive, cap=cap,
            units_dirs=units_dirs, force=force,
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


def main() -> None:
    """Console-script entry point (called after every command below is defined)."""
    cli(prog_name="twinchat")


# -- sessions: compose, verify, stats ------------------------------------------------------------
@cli.command()
@click.option("--flow", default=None, help="Compose only this flow (default: every flow, round-robin).")
@click.option("-n", "n", default=1000, show_default=True, type=click.IntRange(min=1), help="How many sessions.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the sessions.")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="World and session store (built with seed 0 if missing).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Worker processes; any number gives the same sessions.")
@_UNITS_OPTION
def compose(flow: str | None, n: int, seed: int, db_path: str, workers: int, units_dirs: tuple[str, ...]) -> None:
    """Compose, verify and store multi-turn sessions along the flows.

    Sessions are stored in the database next to the world they were grounded on, one
    transaction per batch. Interrupted (Ctrl-C)? Run the same command again: stored sessions
    are skipped. Sessions failing verification are stored with their reasons.

    \b
    Example:
        twinchat compose -n 2000
        twinchat compose --flow memory_upgrade -n 10000 --seed 7 --workers 2
    """
    from twinchat.composer.run import ComposeInterrupted, compose_run

    with _Progress("composing") as bar:
        try:
            report = compose_run(db_path, flow=flow, n=n, seed=seed, workers=workers, units_dirs=units_dirs,
                                 progress=bar.update, note=lambda m: click.echo(m, err=True))
        except ComposeInterrupted as exc:
            bar.close()
            click.echo(str(exc), err=True)
            sys.exit(130)
    skipped = sum(report.skipped.values())
    rate = report.composed / report.seconds if report.seconds else 0.0
    click.echo(f"composed {report.composed:,} sessions into {report.db} in {report.seconds:.1f}s "
               f"({rate:,.0f}/s, {report.workers} worker{'s' if report.workers > 1 else ''})"
               + (f"; {skipped:,} already stored" if skipped else ""))
    click.echo("flows: " + ", ".join(f"{f} {k:,}" for f, k in report.asked.items()))
    if report.outcomes:
        click.echo("outcomes: " + ", ".join(f"{k} {v:,}" for k, v in report.outcomes.most_common()))
    click.echo(f"verified: {report.verified:,} ok, {report.failed:,} failed")
    if report.failures:
        click.echo("failures: " + ", ".join(f"{k} {v:,}" for k, v in report.failures.most_common(10)))


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="World and session store.")
@_UNITS_OPTION
def verify(db_path: str, units_dirs: tuple[str, ...]) -> None:
    """Re-verify every stored session against the world and the current units.

    Verdicts are updated in the store (a session that now fails is kept out of exports).

    \b
    Example:
        twinchat verify --db twinchat.db
    """
    from twinchat.composer.run import verify_run

    _require_file(db_path)
    with _Progress("verifying") as bar:
        report = verify_run(db_path, units_dirs=units_dirs, progress=bar.update)
    click.echo(f"checked {report.checked:,} sessions in {report.seconds:.1f}s: {report.checked - report.failed:,} ok, "
               f"{report.failed:,} failed ({report.newly_failed:,} newly failed, {report.newly_ok:,} newly ok)")
    if report.failures:
        click.echo("failures: " + ", ".join(f"{k} {v:,}" for k, v in report.failures.most_common(10)))


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="World and session store.")
@click.option("--flow", default=None, help="Only this flow.")
@click.option("--status", type=click.Choice(["ok", "failed"]), default=None, help="Only sessions with this verdict.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def stats(db_path: str, flow: str | None, status: str | None, as_json: bool) -> None:
    """Counts of the stored sessions: by flow, unit, outcome and template, turns per
    session, distinct-n of user texts, and failures by reason.

    \b
    Example:
        twinchat stats
        twinchat stats --flow repair_ticket --json
    """
    from twinchat.composer.store import SessionStore
    from twinchat.inventory import open_world

    _require_file(db_path)
    conn = open_world(db_path)
    try:
        result = SessionStore(conn).stats(flow=flow, status=status)
    finally:
        conn.close()
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo(f"sessions: {result.sessions:,}  " + "  ".join(f"{k} {v:,}" for k, v in result.by_status.items()))
    click.echo(f"turns per session: mean {result.turns_mean:.1f}, min {result.turns_min}, max {result.turns_max}")
    click.echo(f"distinct-1 {result.distinct_1:.4f}, distinct-2 {result.distinct_2:.4f} (user texts, characters)")
    for title, counts in (("flows", result.by_flow), ("outcomes", result.by_outcome), ("units", result.by_unit),
                          ("templates", result.by_template), ("failures", result.failures)):
        if counts:
            click.echo(f"{title}:")
            width = max(len(k) for k in counts)
            for key, value in counts.items():
                click.echo(f"  {key:<{width}}  {value:>8,}")
    for run in result.incomplete:
        click.echo(f"incomplete: {run['flow']} seed {run['seed']}: {run['stored']:,} of {run['n']:,} stored "
                   f"(run compose again to resume)")


def _require_file(db_path: str) -> None:
    if not Path(db_path).exists():
        raise click.ClickException(f"no database at {db_path}; create one with `twinchat compose -n 1000 --db {db_path}`")


class _Progress:
    """A progress bar on stderr, fed ``update(done, total)``; silent when stderr is not a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._bar: Any = None
        self._shown = sys.stderr.isatty()

    def __enter__(self) -> _Progress:
        return self

    def update(self, done: int, total: int) -> None:
        if not self._shown:
            return
        if self._bar is None:
            self._bar = click.progressbar(length=total, label=self.label, file=sys.stderr, show_pos=True,
                                          show_eta=True, width=30)
            self._bar.__enter__()
        self._bar.update(done - self._bar.pos)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- paraphrase ------------------------------------------------------------------------------
_NO_ENDPOINT = ("no endpoint: pass --endpoint URL or set TWINCHAT_ENDPOINT to an OpenAI-compatible server, "
                "e.g. Ollama http://127.0.0.1:11434/v1, vLLM http://127.0.0.1:8000/v1, "
                "llama.cpp http://127.0.0.1:8080/v1")


@cli.command()
@click.argument("unit_id")
@click.option("--template", "template_ids", multiple=True, metavar="ID",
              help="Paraphrase only this template (repeatable; default: every template of the unit).")
@click.option("-n", "n", default=3, show_default=True, type=click.IntRange(min=1, max=20),
              help="Rewrites to ask for per template.")
@click.option("--endpoint", envvar="TWINCHAT_ENDPOINT", show_envvar=True, metavar="URL",
              help="API base of an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1.")
@click.option("--model", envvar="TWINCHAT_MODEL", show_envvar=True, metavar="NAME", help="Model name at the endpoint.")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False),
              help="Write the unit with its new templates to this new file instead of changing the unit file "
                   "(required for built-in units).")
@click.option("--dry-run", is_flag=True, help="Check and report the candidates; write nothing.")
@click.option("--review", is_flag=True, help="Review the candidates that pass (accept / edit / reject) in a TUI.")
@click.option("--temperature", default=0.9, show_default=True, type=click.FloatRange(0, 2))
@click.option("--timeout", default=120.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds to wait for the server at each step.")
@click.option("--seed", default=0, show_default=True, type=int,
              help="Seed of the sample data (and sent to the server).")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="The world sample data are drawn from (built with seed 0 if missing).")
@_UNITS_OPTION
def paraphrase(unit_id: str, template_ids: tuple[str, ...], n: int, endpoint: str | None, model: str | None,
               out: str | None, dry_run: bool, review: bool, temperature: float, timeout: float, seed: int,
               db_path: str, units_dirs: tuple[str, ...]) -> None:
    """Ask an OpenAI-compatible model for rewrites of a unit's templates, check them, add the good ones.

    A candidate must parse, keep exactly the original's {{ }} placeholders (variables, attributes,
    filters), not (nearly) duplicate a template, and still verify on sample data. Accepted ones are
    added to the unit file with new ids and `source: paraphrase`, comments and order kept. The API
    key, if the server needs one, is read from TWINCHAT_API_KEY or OPENAI_API_KEY.

    \b
    Example:
        twinchat paraphrase address_extraction --template t03 -n 5 -o address_more.yaml \\
          --endpoint http://127.0.0.1:11434/v1 --model qwen2.5:7b
        TWINCHAT_ENDPOINT=http://127.0.0.1:8000/v1 TWINCHAT_MODEL=Qwen/Qwen2.5-7B-Instruct \\
          twinchat paraphrase my_unit --units ./my_units --review
    """
    from twinchat.composer.llm import ChatClient, LLMError, api_key_from_env
    from twinchat.composer.paraphrase import paraphrase_unit, plan_output
    from twinchat.composer.twins import ensure_world, find_unit
    from twinchat.units.loader import load_units

    if not endpoint:
        raise LLMError(_NO_ENDPOINT)
    if not model:
        raise LLMError("no model: pass --model NAME or set TWINCHAT_MODEL (the name the server knows it by, "
                       "e.g. qwen2.5:7b for Ollama)")
    src = find_unit(load_units(units_dirs), unit_id)
    plan_output(src, out, dry_run=dry_run)
    client = ChatClient(endpoint, model, api_key=api_key_from_env(), timeout=timeout)
    reviewer = None
    if review:
        from twinchat.tui.review_app import run_review

        reviewer = run_review
    conn = ensure_world(db_path, note=lambda m: click.echo(m, err=True))
    try:
        report = paraphrase_unit(src, conn=conn, client=client, template_ids=template_ids, n=n, seed=seed,
                                 temperature=temperature, out=out, dry_run=dry_run, review=reviewer,
                                 units_dirs=units_dirs, progress=lambda m: click.echo(m, err=True))
    finally:
        conn.close()
    _paraphrase_summary(report, model)


def _paraphrase_summary(report: Any, model: str) -> None:
    def shown(text: str) -> str:
        return text.strip().replace("\n", "\\n")

    originals = len({c.original for c in report.candidates})
    click.echo(f"{report.unit}: {len(report.candidates)} candidate(s) for {originals} template(s) from {model}")
    click.echo(f"accepted {len(report.accepted)}:")
    for c in report.accepted:
        edited = ", edited" if c.edited else ""
        click.echo(f"  {c.new_id:<10}(from {c.name}{edited})  {shown(c.text)}")
    click.echo(f"rejected {len(report.rejected)}:")
    for c in report.rejected:
        click.echo(f"  {c.name:<10}{c.code}: {c.reason}")
        click.echo(f"  {'':<10}{shown(c.text) or '(empty)'}")
    if report.written is not None:
        click.echo(f"wrote {len(report.accepted)} template(s) to {report.written}")
    elif report.dry_run:
        click.echo("dry run: nothing written")
    elif report.cancelled:
        click.echo("review left without saving: nothing written")
    else:
        click.echo("nothing written: no candidate accepted")


# -- export and eval -------------------------------------------------------------------------
#: The export formats (the same as ``twinchat.composer.formats.FORMATS``; a test keeps them equal).
EXPORT_FORMATS = ("openai", "sharegpt", "alpaca", "react", "plain")


def _parse_split(ctx: click.Context, param: click.Parameter, value: str) -> tuple[float, float, float]:
    from twinchat.composer.splits import parse_split

    try:
        return parse_split(value)
    except TwinchatError as exc:
        raise click.BadParameter(str(exc)) from exc


@cli.command("export")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="World and session store.")
@click.option("--format", "fmt", required=True, type=click.Choice(EXPORT_FORMATS), help="Trainer format.")
@click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False),
              help="Directory to write (refused if it exists, unless --force).")
@click.option("--split", default="0.9,0.05,0.05", show_default=True, callback=_parse_split,
              help="Train, valid and test shares.")
@click.option("--holdout-templates", is_flag=True,
              help="Keep whole templates (and template combinations) out of train.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the split.")
@click.option("--include-failed", is_flag=True,
              help="Keep sessions that failed verification (flagged in the manifest).")
@click.option("--flow", default=None, help="Only sessions of this flow.")
@click.option("--outcome", default=None, help="Only sessions ending with this outcome.")
@click.option("--unit", default=None, help="Only sessions that play this unit.")
@click.option("--text", default=None, help="Only sessions whose user turns contain this text.")
@click.option("--from-samples", "samples", default=None, type=click.Path(dir_okay=False), metavar="FILE",
              help="Export `twinchat generate` samples (JSONL) instead of stored sessions (alpaca only).")
@click.option("--force", is_flag=True, help="Replace an existing output directory.")
@_UNITS_OPTION
def export(db_path: str, fmt: str, out: str, split: tuple[float, float, float], holdout_templates: bool, seed: int,
           include_failed: bool, flow: str | None, outcome: str | None, unit: str | None, text: str | None,
           samples: str | None, force: bool, units_dirs: tuple[str, ...]) -> None:
    """Export verified sessions as training files: train/valid/test, a gold file for
    `twinchat eval`, and a dataset card (README.md).

    Every record is checked against its trainer's rules before it is written; exact and
    near duplicates are dropped; sessions that failed verification are left out (and counted)
    unless --include-failed. The same store, options and seed give byte-identical files.

    \b
    Example:
        twinchat export --format sharegpt -o data/ --holdout-templates
        twinchat export --format openai -o oa/ --flow memory_upgrade --split 0.8,0.1,0.1
        twinchat export --format alpaca -o addr/ --from-samples addresses.jsonl
    """
    from twinchat.composer.export import export_samples, export_sessions

    with _Progress("exporting") as bar:
        if samples is not None:
            report = export_samples(samples, fmt, out, split=split, holdout_templates=holdout_templates, force=force,
                                    seed=seed, units_dirs=units_dirs, progress=bar.update)
        else:
            _require_file(db_path)
            report = export_sessions(db_path, fmt, out, split=split, holdout_templates=holdout_templates,
                                     force=force, seed=seed, include_failed=include_failed, flow=flow,
                                     outcome=outcome, unit=unit, text=text, units_dirs=units_dirs,
                                     progress=bar.update)
    what = "sessions" if report.source == "store" else "samples"
    click.echo(f"exported {report.exported:,} {fmt} records from {sum(report.sessions.values()):,} {what} "
               f"to {report.out_dir} in {report.seconds:.1f}s")
    click.echo("splits: " + ", ".join(f"{s} {report.records[s]:,}" for s in report.records))
    dups = report.duplicates
    click.echo(f"left out: {report.failed_excluded:,} failed verification, {dups['exact']:,} exact and "
               f"{dups['near']:,} near duplicates, {sum(report.rejected.values()):,} breaking {fmt} rules"
               + (f"; {report.failed_included:,} failed kept (flagged)" if report.failed_included else ""))
    for rule, n in report.rejected.most_common():
        click.echo(f"  {rule}: {n:,} (e.g. {report.rejected_examples[rule]})")
    if report.holdout:
        click.echo(f"held out of train: {', '.join(report.held_out)}; overlap with train: "
                   f"{report.overlap_templates} templates, {report.overlap_combinations} combinations")
    if "test" in report.records:
        click.echo(f"evaluation: {report.gold_items:,} items in {Path(report.out_dir) / 'test.gold.jsonl'}")
    click.echo("files: " + " ".join(report.files))


@cli.command("eval")
@click.option("--gold", required=True, type=click.Path(dir_okay=False),
              help="The test.gold.jsonl written by `twinchat export`.")
@click.option("--pred", required=True, type=click.Path(dir_okay=False),
              help='Predictions, one {"id", "output"} JSON object per line.')
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def eval_(gold: str, pred: str, as_json: bool) -> None:
    """Score a model's predictions on an exported test split.

    Tool calls are compared AST-style (first failure per call: wrong function, missing
    required argument, unexpected argument, wrong type, wrong value; then wrong number of
    calls), extraction JSON by exact match per field and per record, replies by
    character-level ROUGE-L; broken down by unit, outcome and template seen in train vs held
    out. Missing or unparseable predictions are reported as errors and scored as wrong.

    \b
    Example:
        twinchat eval --gold data/test.gold.jsonl --pred predictions.jsonl
        twinchat eval --gold data/test.gold.jsonl --pred data/test.gold.jsonl --json   # 100%
    """
    from twinchat.composer.evaluate import evaluate, render_table

    report = evaluate(gold, pred)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_table(report))


# -- tui -------------------------------------------------------------------------------------------
@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="World and session store to curate.")
@_UNITS_OPTION
def tui(db_path: str, units_dirs: tuple[str, ...]) -> None:
    """Browse, read, edit, re-verify and export the stored sessions in the terminal.

    Every edit is re-verified as you type and kept as a draft until saved; a save is one
    transaction with an entry in the session's edit history. Press ? in the app for the keys.

    \b
    Example:
        twinchat tui --db twinchat.db
    """
    from twinchat.tui import run_tui

    run_tui(db_path, units_dirs)
