"""``twinchat export``, ``eval`` and ``paraphrase``: training files, scores and more templates."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click

from twinchat.composer.cli.common import DB_PATH, DEFAULT_DB, SEED, count, UNITS_OPTION, Progress, require_file, \
    use_tools
from twinchat.units.errors import TwinchatError

__all__ = ["export", "eval_", "paraphrase", "FormatChoice"]


# -- export and eval -------------------------------------------------------------------------
class FormatChoice(click.Choice):
    """The registered export formats, read from the registry when first needed (help, or checking a
    value), so that other commands never load format plugins; a broken plugin is then one error line."""

    def __init__(self) -> None:  # no call to click.Choice.__init__: it would store a list of choices
        self.case_sensitive = True

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        from twinchat.composer.export.formats import format_names

        return format_names()


def _parse_split(ctx: click.Context, param: click.Parameter, value: str) -> tuple[float, float, float]:
    from twinchat.composer.export.splits import parse_split

    try:
        return parse_split(value)
    except TwinchatError as exc:
        raise click.BadParameter(str(exc)) from exc


@click.command("export")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=DB_PATH,
              help="World and session store.")
@click.option("--format", "fmt", required=True, type=FormatChoice(), help="Trainer format.")
@click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False),
              help="Directory to write (refused if it exists, unless --force).")
@click.option("--split", default="0.9,0.05,0.05", show_default=True, callback=_parse_split,
              help="Train, valid and test shares.")
@click.option("--holdout-templates", is_flag=True,
              help="Keep whole templates (and template combinations) out of train.")
@click.option("--seed", default=0, show_default=True, type=SEED, help="Seed of the split.")
@click.option("--include-failed", is_flag=True,
              help="Keep sessions that failed verification (flagged in the manifest).")
@click.option("--flow", default=None, help="Only sessions of this flow.")
@click.option("--outcome", default=None, help="Only sessions ending with this outcome.")
@click.option("--unit", default=None, help="Only sessions that play this unit.")
@click.option("--text", default=None, help="Only sessions whose user turns contain this text.")
@click.option("--from-samples", "samples", default=None, type=click.Path(dir_okay=False), metavar="FILE",
              help="Export `twinchat generate` samples (JSONL) instead of stored sessions (alpaca; openai and sharegpt for "
                   "samples that call a tool or reply).")
@click.option("--tokenizer", default=None, type=click.Path(exists=True), metavar="PATH",
              help="A Hugging Face tokenizer.json (or its folder) to count tokens with; without it the card "
                   "gives estimates. Needs: pip install 'twinchat[tokens]'.")
@click.option("--drop-thoughts", is_flag=True,
              help="openai: leave out the thought text next to a tool call (as sharegpt always does).")
@click.option("--file-format", default="jsonl", show_default=True, type=click.Choice(["jsonl", "parquet", "both"]),
              help="Split files as JSON Lines, Parquet (pip install 'twinchat[parquet]'), or both.")
@click.option("--name", default="twinchat", show_default=True,
              help="Dataset name: the dataset_info.json entries are NAME_train, NAME_valid, NAME_test.")
@click.option("--license", "license_id", default="apache-2.0", show_default=True,
              help="License id written in the dataset card's front matter.")
@click.option("--force", is_flag=True, help="Replace an existing output directory.")
@UNITS_OPTION
def export(db_path: str, fmt: str, out: str, split: tuple[float, float, float], holdout_templates: bool, seed: int,
           include_failed: bool, flow: str | None, outcome: str | None, unit: str | None, text: str | None,
           samples: str | None, force: bool, units_dirs: tuple[str, ...], **more: Any) -> None:
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
        twinchat export --format sharegpt -o data/ --tokenizer ~/models/Qwen2.5-7B-Instruct/tokenizer.json
        twinchat export --format openai -o hub/ --file-format parquet --name shop_oa
    """
    from twinchat.composer.cli.project import export_settings
    from twinchat.composer.export.pipeline import ExportOptions, export_samples, export_sessions

    use_tools(units_dirs, db_path)
    common = dict(split=split, holdout_templates=holdout_templates, force=force, seed=seed, units_dirs=units_dirs,
                  tokenizer=more["tokenizer"], thoughts=not more["drop_thoughts"], file_format=more["file_format"],
                  name=more["name"], license=more["license_id"], **export_settings())
    with Progress("exporting") as bar:
        if samples is not None:
            report = export_samples(samples, fmt, out, ExportOptions(**common), progress=bar.update)
        else:
            require_file(db_path)
            options = ExportOptions(**common, include_failed=include_failed, flow=flow, outcome=outcome, unit=unit,
                                    text=text)
            report = export_sessions(db_path, fmt, out, options, progress=bar.update)
    _summary(report, fmt)


def _summary(report: Any, fmt: str) -> None:
    """What ``twinchat export`` prints when done (warnings on stderr)."""
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
    tokens = report.tokens
    if tokens:
        click.echo(("estimated tokens" if tokens["estimate"] else f"tokens ({tokens['tokenizer']})") + ": "
                   + ", ".join(f"{s} p50 {v['p50']:,} max {v['max']:,}" for s, v in tokens["splits"].items())
                   + f"; cutoff_len {tokens['cutoff_len']:,} keeps every example whole")
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo("files: " + " ".join(report.files))


@click.command("eval")
@click.option("--gold", required=True, type=click.Path(dir_okay=False),
              help="The test.gold.jsonl written by `twinchat export`.")
@click.option("--pred", required=True, type=click.Path(dir_okay=False),
              help='Predictions, one {"id", "output"} JSON object per line.')
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@UNITS_OPTION
def eval_(gold: str, pred: str, as_json: bool, units_dirs: tuple[str, ...]) -> None:
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

    With --units, the tools declared there are scored against their own schemas.
    """
    from twinchat.composer.eval.evaluate import evaluate, render_table

    use_tools(units_dirs)

    report = evaluate(gold, pred)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_table(report))


# -- paraphrase ------------------------------------------------------------------------------
_NO_ENDPOINT = ("no endpoint: pass --endpoint URL or set TWINCHAT_ENDPOINT to an OpenAI-compatible server, "
                "e.g. Ollama http://127.0.0.1:11434/v1, vLLM http://127.0.0.1:8000/v1, "
                "llama.cpp http://127.0.0.1:8080/v1")


@click.command()
@click.argument("unit_id", required=False)
@click.option("--all", "all_units", is_flag=True,
              help="Every template of every unit (built-in and --units), into the directory -o; resumable.")
@click.option("--budget", default=None, type=click.IntRange(min=1), metavar="N",
              help="With --all: send at most N requests to the server in this run (run again to go on).")
@click.option("--template", "template_ids", multiple=True, metavar="ID",
              help="Paraphrase only this template (repeatable; default: every template of the unit).")
@click.option("-n", "n", default=3, show_default=True, type=count(20),
              help="Rewrites to ask for per template.")
@click.option("--endpoint", envvar="TWINCHAT_ENDPOINT", show_envvar=True, metavar="URL",
              help="API base of an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1.")
@click.option("--model", envvar="TWINCHAT_MODEL", show_envvar=True, metavar="NAME", help="Model name at the endpoint.")
@click.option("-o", "--output", "out", type=click.Path(),
              help="Write the unit with its new templates to this new file instead of changing the unit file "
                   "(required for built-in units); with --all, the directory of the new unit files.")
@click.option("--dry-run", is_flag=True, help="Check and report the candidates; write nothing.")
@click.option("--review", is_flag=True, help="Review the candidates that pass (accept / edit / reject) in a TUI.")
@click.option("--temperature", default=0.9, show_default=True, type=click.FloatRange(0, 2))
@click.option("--timeout", default=120.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds each request to the server may take in all.")
@click.option("--seed", default=0, show_default=True, type=SEED,
              help="Seed of the sample data (and sent to the server).")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=DB_PATH,
              help="The world sample data are drawn from (built with seed 0 if missing).")
@UNITS_OPTION
def paraphrase(unit_id: str | None, all_units: bool, budget: int | None, template_ids: tuple[str, ...], n: int,
               endpoint: str | None, model: str | None, out: str | None, dry_run: bool, review: bool,
               temperature: float, timeout: float, seed: int, db_path: str, units_dirs: tuple[str, ...]) -> None:
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
        twinchat paraphrase --all -o grown/ --budget 500 -n 5     # again to resume
    """
    from twinchat.composer.paraphrase.client import ChatClient, LLMError, api_key_from_env
    from twinchat.composer.paraphrase.rewrite import paraphrase_unit, plan_output
    from twinchat.composer.engine.sample_files import ensure_world, find_unit
    from twinchat.units.loader import load_units

    if not endpoint:
        raise LLMError(_NO_ENDPOINT)
    if not model:
        raise LLMError("no model: pass --model NAME or set TWINCHAT_MODEL (the name the server knows it by, "
                       "e.g. qwen2.5:7b for Ollama)")
    if all_units or unit_id is None:
        _check_all(unit_id, all_units, out, template_ids, review, dry_run, budget)
        _paraphrase_all(out, budget, n, endpoint, model, temperature, timeout, seed, db_path, units_dirs)
        return
    if budget is not None:
        raise click.UsageError("--budget goes with --all")
    src = find_unit(load_units(units_dirs), unit_id)
    plan_output(src, out, dry_run=dry_run)
    client = ChatClient(endpoint, model, api_key=api_key_from_env(), timeout=timeout)
    reviewer = None
    if review:
        from twinchat.tui.review_app import run_review

        reviewer = run_review
    from twinchat.composer.cli.project import prepare_world

    prepare_world(db_path)
    conn = ensure_world(db_path, note=lambda m: click.echo(m, err=True))
    try:
        use_tools(units_dirs, db_path)
        report = paraphrase_unit(src, conn=conn, client=client, template_ids=template_ids, n=n, seed=seed,
                                 temperature=temperature, out=out, dry_run=dry_run, review=reviewer,
                                 units_dirs=units_dirs, progress=lambda m: click.echo(m, err=True))
    finally:
        conn.close()
    _paraphrase_summary(report, model)


def _check_all(unit_id: str | None, all_units: bool, out: str | None, template_ids: tuple[str, ...],
               review: bool, dry_run: bool, budget: int | None) -> None:
    """Bad usage of ``--all`` (exit 2)."""
    if not all_units:
        raise click.UsageError("give a UNIT_ID, or --all for every unit")
    if unit_id is not None:
        raise click.UsageError("give a UNIT_ID or --all, not both")
    for flag, given in (("--template", template_ids), ("--review", review), ("--dry-run", dry_run)):
        if given:
            raise click.UsageError(f"{flag} does not go with --all")
    if out is None:
        raise click.UsageError("--all writes one file per unit: give the directory with -o DIR")


def _paraphrase_all(out: str | None, budget: int | None, n: int, endpoint: str, model: str, temperature: float,
                    timeout: float, seed: int, db_path: str, units_dirs: tuple[str, ...]) -> None:
    from twinchat.composer.engine.sample_files import ensure_world
    from twinchat.composer.paraphrase.batch import BudgetClient, paraphrase_all
    from twinchat.composer.paraphrase.client import api_key_from_env
    from twinchat.units.loader import load_units

    assert out is not None
    units = load_units(units_dirs)
    client = BudgetClient(endpoint, model, api_key=api_key_from_env(), timeout=timeout, budget=budget)
    conn = ensure_world(db_path, note=lambda m: click.echo(m, err=True))
    try:
        report = paraphrase_all(units, out, conn=conn, client=client, n=n, seed=seed, temperature=temperature,
                                units_dirs=units_dirs, progress=lambda m: click.echo(m, err=True))
    finally:
        conn.close()
    width = max(len(u) for u in report.units) if report.units else 4
    total, rejected = 0, Counter()
    for uid, record in sorted(report.units.items()):
        reasons = report.rejected(uid)
        total += report.accepted(uid)
        rejected += reasons
        shown = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
        click.echo(f"{uid:<{width}}  {len(record['done']):>3}/{len(units[uid].unit.templates):<3} templates  "
                   f"accepted {report.accepted(uid):>3}  rejected {sum(reasons.values()):>3}"
                   + (f" ({shown})" if shown else ""))
    click.echo(f"accepted {total:,}, rejected {sum(rejected.values()):,}; {report.requests:,} request(s) in this "
               f"run; unit files with new templates in {report.out_dir}")
    if report.stopped:
        click.echo(f"stopped: {report.stopped}; run the same command again to go on")
        if report.stopped == "interrupted":
            sys.exit(130)


#: how much of a candidate rejected as too long the summary shows
_SHOWN_TOO_LONG = 80


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
        text = shown(c.text) if c.code != "too_long" else shown(c.text)[:_SHOWN_TOO_LONG] + "…"
        click.echo(f"  {'':<10}{text or '(empty)'}")
    if report.written is not None:
        click.echo(f"wrote {len(report.accepted)} template(s) to {report.written}")
    elif report.dry_run:
        click.echo("dry run: nothing written")
    elif report.cancelled:
        click.echo("review left without saving: nothing written")
    else:
        click.echo("nothing written: no candidate accepted")
