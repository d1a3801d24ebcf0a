"""``twinchat compose``, ``verify``, ``stats`` and ``tui``: the session store from the command line."""

from __future__ import annotations

import json
import sys

import click

from twinchat.composer.cli.common import DB_PATH, DEFAULT_DB, MAX_WORKERS, SEED, count, UNITS_OPTION, Progress, \
    require_file, use_tools

__all__ = ["compose", "verify", "stats", "tui"]


@click.command()
@click.option("--flow", default=None,
              help="Compose only this flow (default: the project's `mix` by weight, else every flow round-robin).")
@click.option("-n", "n", default=1000, show_default=True, type=count(), help="How many sessions.")
@click.option("--seed", default=0, show_default=True, type=SEED, help="Seed of the sessions.")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=DB_PATH,
              help="World and session store (built with seed 0 if missing).")
@click.option("--workers", default=1, show_default=True, type=count(MAX_WORKERS),
              help=f"Worker processes (at most {MAX_WORKERS:,}); any number gives the same sessions.")
@click.option("--noise", default=None, type=click.FloatRange(0, 1),
              help="Share of user texts given surface noise (typos, emoji, …), in place of the flows' and units' own.")
@UNITS_OPTION
def compose(flow: str | None, n: int, seed: int, db_path: str, workers: int, noise: float | None,
            units_dirs: tuple[str, ...]) -> None:
    """Compose, verify and store multi-turn sessions along the flows.

    Sessions are stored in the database next to the world they were grounded on, one
    transaction per batch. Interrupted (Ctrl-C)? Run the same command again: stored sessions
    are skipped. Sessions failing verification are stored with their reasons.

    \b
    Example:
        twinchat compose -n 2000
        twinchat compose --flow memory_upgrade -n 10000 --seed 7 --workers 2
        twinchat compose -n 4000 --seed 11 --noise 0.2 --db noisy.db
    """
    from twinchat.composer.cli.project import compose_settings, prepare_world
    from twinchat.composer.store.batches import ComposeInterrupted, compose_run

    mix, clock = compose_settings()
    prepare_world(db_path)
    use_tools(units_dirs, db_path)
    with Progress("composing") as bar:
        try:
            report = compose_run(db_path, flow=flow, n=n, seed=seed, workers=workers, units_dirs=units_dirs,
                                 progress=bar.update, note=lambda m: click.echo(m, err=True), mix=mix,
                                 clock=clock, noise=noise)
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


@click.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=DB_PATH,
              help="World and session store.")
@UNITS_OPTION
def verify(db_path: str, units_dirs: tuple[str, ...]) -> None:
    """Re-verify every stored session against the world and the current units.

    Verdicts are updated in the store (a session that now fails is kept out of exports).

    \b
    Example:
        twinchat verify --db twinchat.db
    """
    from twinchat.composer.store.reverify import verify_run

    require_file(db_path)
    use_tools(units_dirs, db_path)
    with Progress("verifying") as bar:
        report = verify_run(db_path, units_dirs=units_dirs, progress=bar.update)
    click.echo(f"checked {report.checked:,} sessions in {report.seconds:.1f}s: {report.checked - report.failed:,} ok, "
               f"{report.failed:,} failed ({report.newly_failed:,} newly failed, {report.newly_ok:,} newly ok)")
    if report.failures:
        click.echo("failures: " + ", ".join(f"{k} {v:,}" for k, v in report.failures.most_common(10)))
    note = report.seed_note()
    if note:
        click.echo(f"world seed: {note}")
    for line in report.malformed[:5]:
        click.echo(f"malformed: {line}")


@click.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=DB_PATH,
              help="World and session store.")
@click.option("--flow", default=None, help="Only this flow.")
@click.option("--status", type=click.Choice(["ok", "failed"]), default=None, help="Only sessions with this verdict.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def stats(db_path: str, flow: str | None, status: str | None, as_json: bool) -> None:
    """Counts of the stored sessions: by flow, unit, outcome and template, turns per
    session, distinct-n of user texts, failures by reason, each intent's share (second tasks
    included) and how often sessions greet and close, and diversity: distinct skeletons
    (texts with slot values, times and numbers masked) per unit and flow, the share of
    sessions repeating another's reply skeletons, the most frequent skeletons.

    \b
    Example:
        twinchat stats
        twinchat stats --flow repair_ticket --json
    """
    from twinchat.composer.store.diversity import diversity_lines, store_diversity
    from twinchat.composer.store.intents import intent_lines, intent_shares
    from twinchat.composer.store.sessions import SessionStore
    from twinchat.inventory import open_world

    require_file(db_path)
    conn = open_world(db_path)
    try:
        result = SessionStore(conn).stats(flow=flow, status=status)
        diversity = store_diversity(conn, flow=flow, status=status)
        shares = intent_shares(conn, flow=flow, status=status)
    finally:
        conn.close()
    if as_json:
        click.echo(json.dumps({**result.to_json(), "intents": shares, "diversity": diversity}, ensure_ascii=False,
                              indent=2))
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
    for line in intent_lines(shares):
        click.echo(line)
    if result.sessions:
        for line in diversity_lines(diversity):
            click.echo(line)
    for run in result.incomplete:
        click.echo(f"incomplete: {run['flow']} seed {run['seed']}: {run['stored']:,} of {run['n']:,} stored "
                   f"(run compose again to resume)")


@click.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=DB_PATH,
              help="World and session store to curate.")
@UNITS_OPTION
def tui(db_path: str, units_dirs: tuple[str, ...]) -> None:
    """Browse, read, edit, re-verify and export the stored sessions in the terminal.

    Every edit is re-verified as you type and kept as a draft until saved; a save is one
    transaction with an entry in the session's edit history. Press ? in the app for the keys.

    \b
    Example:
        twinchat tui --db twinchat.db
    """
    from twinchat.tui import run_tui

    use_tools(units_dirs, db_path)
    run_tui(db_path, units_dirs)
