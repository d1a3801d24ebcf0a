"""``twinchat generate``: verified samples of one unit, drawn (-n) or as a product of field pools
(--exhaustive, previewed with --dry-run)."""

from __future__ import annotations

from typing import Any

import click

from twinchat.composer.cli.common import DB_PATH, DEFAULT_DB, SEED, UNITS_OPTION, count, use_tools
from twinchat.composer.errors import ComposerError
from twinchat.composer.gcpause import resume

__all__ = ["generate"]


def _pools(pool_options: tuple[str, ...], pools_file: str | None, exhaustive: bool) -> dict[str, Any]:
    """The field pools asked for: a pools file's, then ``--pool`` options over them."""
    if not (pool_options or pools_file):
        return {}
    if not exhaustive:
        raise ComposerError("--pool and --pools shape an --exhaustive run; add --exhaustive")
    from twinchat.composer.engine.field_pools import parse_pool_option, read_pools_file

    asked = read_pools_file(pools_file) if pools_file else {}
    asked.update(parse_pool_option(text) for text in pool_options)
    return asked


def _drafted(tool: tuple[Any, ...], seed: int, conn: Any) -> tuple[str, Any]:
    """(unit id, units) of a --tool run: the unit drafted from the tool's schema (name, shape, with
    negative cases, where to save it), once the tool's files are declared."""
    from twinchat.composer.engine.schema_units import draft_unit, save_draft

    name, shape, negatives, save = tool
    src = draft_unit(name, shape, negatives=negatives, seed=seed, conn=conn)
    if save is not None:
        save_draft(src, save[0], save[1])
        click.echo(f"wrote the drafted unit {src.unit.id} to {save[0]}", err=True)
    return src.unit.id, {src.unit.id: src}


def _preview(unit_id: str | None, units: Any, tool: tuple[Any, ...], pools: dict[str, Any],
             shape: tuple[int | None, float], seed: int, cap: int, db_path: str, units_dirs: tuple[str, ...]) -> None:
    """Print the plan of an exhaustive run (pools, product, instructions, total) and refuse past ``cap``."""
    from twinchat.composer.engine.exhaustive import check_cap, plan
    from twinchat.composer.engine.generate import UnitGenerator
    from twinchat.composer.engine.sample_files import ensure_world, find_unit
    from twinchat.composer.engine.unit_negatives import with_negatives

    conn = ensure_world(db_path, note=lambda m: click.echo(m, err=True))
    try:
        use_tools(units_dirs, db_path)
        if tool[0] is not None:
            unit_id, units = _drafted(tool, seed, conn)
        src = find_unit(units, unit_id)
        p = plan(UnitGenerator(with_negatives(src) if shape[1] else src, conn, seed=seed), pools, *shape)
    finally:
        conn.close()
    if tool[0] is not None:
        click.echo(f"{unit_id}: drafted from the schema of tool {tool[0]} ({tool[1]} shape)")
    for line in p.lines():
        click.echo(line)
    check_cap(p, cap)


def _named(unit_id: str | None, units_dirs: tuple[str, ...]) -> Any:
    """The units to find ``unit_id`` among (None for a --tool run), an unknown one said before a world is built."""
    from twinchat.composer.engine.sample_files import find_unit
    from twinchat.units.loader import units_for

    if unit_id is None:
        return None
    units = units_for(unit_id, units_dirs)  # without --units: the unit's own built-in file alone
    find_unit(units, unit_id)
    return units


def _check_shape(unit_id: str | None, tool: str | None, shape: str | None, negative: float,
                 save_unit: str | None) -> None:
    """Refuse options that do not go together (a unit or a tool; what only --tool shapes)."""
    if (unit_id is None) == (tool is None):
        raise click.UsageError("give a UNIT_ID or --tool NAME (one of them)")
    if shape is not None and tool is None:
        raise ComposerError("--shape drafts instructions for --tool; a unit's instructions are its templates")
    if shape == "action" and negative:
        raise ComposerError("--negative drafts what a customer gets wrong; an action step has no customer "
                            "(use --shape instruction)")
    if save_unit is not None and tool is None:
        raise ComposerError("--save-unit writes the unit --tool drafts; add --tool NAME")


@click.command()
@click.argument("unit_id", required=False)
@click.option("--tool", "tool", metavar="NAME",
              help="Draft the instructions from tool NAME's schema (a tool no unit calls; declared ones need --units).")
@click.option("--shape", type=click.Choice(["instruction", "action"]), default=None,
              help="With --tool: the customer's words (instruction, default) or the ReAct step before the call "
                   "(action: 'Action: …' → the call).")
@click.option("--save-unit", "save_unit", type=click.Path(dir_okay=False), metavar="FILE",
              help="With --tool: also write the drafted unit as a unit file, to edit, grow with "
                   "`twinchat paraphrase` or run with --units.")
@click.option("-n", "n", default=1000, show_default=True, type=count(), help="How many samples.")
@click.option("--seed", default=0, show_default=True, type=SEED, help="Seed of the samples.")
@click.option("--exhaustive", is_flag=True,
              help="The product of the fields' value pools × every instruction, instead of -n.")
@click.option("--pool", "pool_options", multiple=True, metavar="FIELD=SIZE|v1,v2,…",
              help="With --exhaustive: a field's pool, as a size or the values to keep (repeatable).")
@click.option("--pools", "pools_file", type=click.Path(dir_okay=False, exists=True), metavar="FILE",
              help="With --exhaustive: a YAML file of field → size or list of values.")
@click.option("--instructions", type=count(), default=None,
              help="With --exhaustive: how many instructions each request is said in (default: every one).")
@click.option("--negative", default=0.0, type=click.FloatRange(0, 1),
              help="With --exhaustive: add this share of requests again as negatives (the unit's "
                   "negative cases: a value the API rejects, with its error and the reply).")
@click.option("--dry-run", is_flag=True, help="With --exhaustive: print the pools and totals, generate nothing.")
@click.option("--cap", default=100_000, show_default=True, type=count(),
              help="Refuse --exhaustive runs larger than this.")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False),
              help="Where to write the samples (JSON lines); required unless --dry-run.")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=DB_PATH,
              help="The world to ground samples on (built with seed 0 if missing).")
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@click.option("--noise", default=None, type=click.FloatRange(0, 1),
              help="Share of user texts given surface noise (typos, emoji, …), in place of the unit's own.")
@UNITS_OPTION
def generate(unit_id: str | None, tool: str | None, shape: str | None, save_unit: str | None, n: int, seed: int,
             exhaustive: bool, pool_options: tuple[str, ...], pools_file: str | None, instructions: int | None, negative: float,
             dry_run: bool, cap: int, out: str | None, db_path: str, force: bool, noise: float | None,
             units_dirs: tuple[str, ...]) -> None:
    """Generate verified samples of one unit (single-unit digital twins).

    Each sample carries the unit and template ids, the clock, the user text, the label, the tool
    call with its real result, the outcome and the reply. Samples failing verification are
    counted by reason and not written. The same seed gives byte-identical output.

    --exhaustive takes a pool of distinct values per field (every value of a finite slot, 10
    drawn values of an open one, or what --pool/--pools say) and writes every instruction for
    every request of their product. --tool drafts the unit from a tool's schema (one clause per
    argument; --shape action: the step 'Action: …'), --negative adds robustness cases.

    \b
    Example:
        twinchat generate address_extraction -n 5000 --seed 1 -o addresses.jsonl
        twinchat generate ticket_create_call --exhaustive --pool user_name=10 --pool problem=8 \\
            --pool serve_time=6 --pool is_vip=2 --dry-run
        twinchat generate --tool BookCallback --units pairs_units --exhaustive --dry-run
        twinchat generate shop_ask_part -n 2000 --noise 0.2 -o noisy.jsonl
    """
    from twinchat.composer.engine.sample_files import check_output, ensure_world, generate_file, generate_inputs

    _check_shape(unit_id, tool, shape, negative, save_unit)
    drafted = (tool, shape or "instruction", negative > 0, None if save_unit is None else (save_unit, force))
    pools = _pools(pool_options, pools_file, exhaustive)
    if (instructions is not None or negative) and not exhaustive:
        raise ComposerError("--instructions and --negative shape an --exhaustive run; add --exhaustive")
    if dry_run and not exhaustive:
        raise ComposerError("--dry-run previews an --exhaustive run; add --exhaustive")
    units = _named(unit_id, units_dirs)
    if dry_run:
        resume()  # start-up is over (see _planned)
        _preview(unit_id, units, drafted, pools, (instructions, negative), seed, cap, db_path, units_dirs)
        return
    if out is None:
        raise click.UsageError("Missing option '-o' / '--output'.")
    check_output(out, force, generate_inputs(db_path, units_dirs))
    from twinchat.composer.cli.project import prepare_world

    prepare_world(db_path)
    conn = ensure_world(db_path, note=lambda m: click.echo(m, err=True))
    try:
        use_tools(units_dirs, db_path)
        if tool is not None:
            unit_id, units = _drafted(drafted, seed, conn)
        report = generate_file(
            unit_id, out, conn=conn, n=n, seed=seed, exhaustive=exhaustive, cap=cap,
            units_dirs=units_dirs, force=force, units=units, noise=noise, pools=pools,
            instructions=instructions, negative=negative,
            planned=lambda c: _planned(unit_id, c),
        )
    finally:
        conn.close()
    _summary(report)


def _planned(unit_id: str | None, count: int) -> None:
    """Say how many samples will be made; start-up is over: the garbage collector runs again."""
    click.echo(f"{unit_id}: {count:,} samples to generate", err=True)
    resume()


def _summary(report: Any) -> None:
    rate = report.written / report.seconds if report.seconds else 0.0
    click.echo(f"wrote {report.written:,} of {report.planned:,} samples to {report.path} "
               f"({report.seconds:.1f}s, {rate:,.0f}/s)")
    if report.outcomes:
        click.echo("outcomes: " + ", ".join(f"{k} {v:,}" for k, v in report.outcomes.most_common()))
    click.echo(f"templates used: {len(report.templates)}")
    if report.failures:
        click.echo("failed verification (not written): "
                   + ", ".join(f"{k} {v:,}" for k, v in report.failures.most_common()))
