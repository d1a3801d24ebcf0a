"""``twinchat new`` (a starter project) and what ``twinchat check`` checks: units, flows and the
catalog of the project, together."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from twinchat.units.errors import TwinchatError

__all__ = ["new", "check_all", "STARTER_FILES"]

#: The starter project's files (package data of twinchat.composer.project, folder starter/).
STARTER_FILES = ("twinchat.yaml", "README.md", "catalog/categories.csv", "catalog/products.csv",
                 "catalog/stock.csv", "catalog/warehouses.csv", "units/coffee_delivery.yaml",
                 "flows/coffee_shopping.yaml")


@click.command()
@click.argument("directory", type=click.Path(file_okay=False))
def new(directory: str) -> None:
    """Write a starter project into DIRECTORY (new or empty): a coffee-machine shop's catalog
    (CSV), one unit, one flow, twinchat.yaml and a README. It composes and exports as is.

    \b
    Example:
        twinchat new coffee_shop && cd coffee_shop
        twinchat init && twinchat compose -n 200 && twinchat export -o data/
    """
    target = Path(directory)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise click.ClickException(f"{target}: not an empty directory; `twinchat new` writes only into a new "
                                   "or empty one")
    starter = resources.files("twinchat.composer.project").joinpath("starter")
    texts = {name: starter.joinpath(name).read_text(encoding="utf-8") for name in STARTER_FILES}
    for name, text in texts.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    click.echo(f"wrote a starter project to {target}: {', '.join(STARTER_FILES)}")
    click.echo(f"next: cd {target} && twinchat init && twinchat check && twinchat compose -n 200 && "
               "twinchat export -o data/")


def check_all(paths: tuple[str, ...], db_path: str | None = None) -> tuple[list[str], list[str]]:
    """(problems, summary lines) of the unit, flow and tool files ``paths`` (default: the project's,
    else the built-ins) and of the project's catalog, checked together. A bad tool file raises (its
    one line): units cannot be checked against tools that do not load. Tool files' queries are
    prepared against the world at ``db_path`` when it exists."""
    from twinchat.composer.cli.common import use_tools
    from twinchat.composer.cli.project import catalog_files, project_of
    from twinchat.composer.engine.compose import flow_problems
    from twinchat.composer.engine.unit_checks import unit_problems
    from twinchat.units.loader import load_content

    project = project_of()
    if not paths and project is not None:
        paths = project.content_dirs
    problems: list[str] = []
    summary: list[str] = []
    categories = None
    files = catalog_files(project)
    if files is not None:
        from twinchat.inventory.build import read_shop

        try:
            shop = read_shop(files)
        except TwinchatError as exc:
            problems.append(str(exc))
        else:
            categories = [c[0] for c in shop.categories]
            devices = (f", {len(shop.devices):,} devices, {len(shop.compatibility):,} compatibility rows"
                       if files.devices is not None else "")
            summary.append(f"catalog OK: {len(shop.categories)} categories, {len(shop.products):,} products, "
                           f"{len(shop.stock):,} stock rows{devices}")
    use_tools(tuple(paths), db_path)
    units, flows = load_content(paths)
    mine = [s for s in units.values() if not paths or not s.path.startswith("<builtin>/")]
    my_flows = [s for s in flows.values() if not paths or not s.path.startswith("<builtin>/")]
    problems += [p for src in mine for p in unit_problems(src, categories)]
    problems += [p for src in my_flows for p in flow_problems(src, units, flows)]
    if project is not None:
        problems += [f"{project.path}: key 'mix.{f}': no flow {f!r} is loaded" for f in project.model.mix
                     if f not in flows]
    from twinchat.inventory.tools import tools

    declared = tools().declared()
    summary[:0] = ([f"{len(mine)} unit(s) OK"] + ([f"{len(declared)} tool(s) OK"] if declared else [])
                   + ([f"{len(my_flows)} flow(s) OK"] if my_flows else []))
    return problems, summary
