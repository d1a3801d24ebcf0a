"""The project file on the command line: ``--project FILE`` (or ``twinchat.yaml`` in the working
directory) gives every command its defaults; options given on the command line win.

Its unit, flow and tool folders are added to every ``--units``; its database, world seed and export
options become the defaults of the options that take them; a world it names but that does not
exist yet is built from its catalog (:func:`prepare_world`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

__all__ = ["apply_project", "project_of", "prepare_world", "catalog_files", "project_units"]

_KEY = "twinchat.project"
#: the commands whose ``--db`` the project's database becomes (nested groups as dicts)
_DB_COMMANDS = ("init", "compose", "verify", "stats", "export", "generate", "paraphrase", "tui")


def apply_project(ctx: click.Context, explicit: str | None) -> None:
    """Read the project in force (if any) and make its settings the defaults of every command."""
    from twinchat.composer.project.find import find_project

    path = find_project(explicit)
    project = None
    if path is not None:  # outside a project, nothing of the project model is imported
        from twinchat.composer.project.load import load_project

        project = load_project(path)
    ctx.meta[_KEY] = project
    if project is None:
        return
    m = project.model
    defaults: dict[str, Any] = {name: {"db_path": project.db} for name in _DB_COMMANDS}
    defaults["init"]["seed"] = m.world.seed
    defaults["tools"] = {"call": {"db_path": project.db}}
    export = {"fmt": m.export.format, "split": m.export.split, "holdout_templates": m.export.holdout_templates,
              "seed": m.export.seed}
    defaults["export"].update({k: v for k, v in export.items() if v is not None})
    ctx.default_map = defaults


def project_of(ctx: click.Context | None = None) -> Any:
    """The :class:`~twinchat.composer.project.LoadedProject` in force, or None."""
    ctx = ctx or click.get_current_context()
    return ctx.meta.get(_KEY)


def project_units(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """``--units``: the project's unit, flow and tool folders, then those given."""
    project = project_of(ctx)
    dirs = project.content_dirs if project is not None else ()
    for d in dirs:
        if not Path(d).exists():
            raise click.ClickException(f"{project.path}: folder {d} (units/flows/tools) does not exist")
    return tuple(dict.fromkeys((*dirs, *value)))


def catalog_files(project: Any) -> Any:
    """The project's catalog files (:class:`~twinchat.inventory.catalog_files.CatalogFiles`), or None."""
    from twinchat.inventory.catalog_files import CatalogFiles

    c = project.model.catalog if project is not None else None
    if c is None:
        return None
    opt = (lambda v: Path(project.resolve(v)) if v else None)
    return CatalogFiles(products=Path(project.resolve(c.products)), stock=Path(project.resolve(c.stock)),
                        categories=opt(c.categories), warehouses=opt(c.warehouses), devices=opt(c.devices),
                        compatibility=opt(c.compatibility))


def prepare_world(db_path: str) -> None:
    """With a project in force, build its world (its catalog, its seed) when ``db_path`` does not exist yet;
    without one, commands build the built-in shop themselves as before."""
    project = project_of()
    if project is None or Path(db_path).exists():
        return
    from twinchat.inventory import build_world
    from twinchat.inventory.build import check_new_world

    check_new_world(db_path)
    click.echo(f"no world at {db_path}: building it from {project.path}", err=True)
    build_world(db_path, project.model.world.seed, catalog_files=catalog_files(project))


def compose_settings() -> tuple[dict[str, float] | None, Any]:
    """The project's flow mix (None: every flow alike) and session calendar (None: the built-in clock)."""
    project = project_of()
    if project is None:
        return None, None
    m = project.model
    clock = None
    if m.calendar is not None:
        from twinchat.composer.engine.calendar import SessionCalendar

        c = m.calendar
        clock = SessionCalendar(c.start, c.end, c.opens, c.closes, c.weekdays, dict(c.hours))
    return dict(m.mix) or None, clock


def export_settings() -> dict[str, Any]:
    """What an export takes from the project: its personas and the dataset card's lines about it."""
    project = project_of()
    if project is None:
        return {}
    from twinchat.composer.project.persona import Personas

    personas = Personas.of(project)
    notes = [f"project: {project.path}", *personas.describe()]
    _, clock = compose_settings()
    if clock is not None:
        notes.append(f"session calendar: {clock.describe()}")
    if project.model.mix:
        notes.append("flow mix: " + ", ".join(f"{f} {w:g}" for f, w in project.model.mix.items()))
    return {"persona": personas, "card_notes": notes}
