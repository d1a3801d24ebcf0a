"""What the ``twinchat`` commands share: the default database, the ``--units`` option, a
progress bar and the check that a database exists."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

__all__ = ["DEFAULT_DB", "DB_PATH", "MAX_WORKERS", "SEED", "count", "UNITS_OPTION", "Progress", "require_file",
           "use_tools"]

DEFAULT_DB = "twinchat.db"

#: A seed: any 64-bit integer (SQLite stores seeds as its 64-bit INTEGER).
SEED = click.IntRange(-(2**63), 2**63 - 1)

#: The most worker processes ``compose`` starts: past this a pool is never faster, only a fork storm.
MAX_WORKERS = 1024


def count(maximum: int = 2**63 - 1) -> click.IntRange:
    """A count of 1 or more, at most ``maximum`` (at most a 64-bit integer)."""
    return click.IntRange(min=1, max=maximum)


class _DbPath(click.Path):
    """A database file's path: never empty."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail("a database path must not be empty", param, ctx)
        return super().convert(value, param, ctx)


DB_PATH = _DbPath(dir_okay=False)

def _units(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    from twinchat.composer.cli.project import project_units

    return project_units(ctx, param, value)


UNITS_OPTION = click.option(
    "--units", "units_dirs", multiple=True, type=click.Path(exists=True), callback=_units,
    help="A directory (or file) of your own unit, flow and tool files, loaded after the built-ins (and after "
         "the project's); repeatable.",
)


def use_tools(units_dirs: tuple[str, ...], db_path: str | None = None) -> None:
    """Declare the tool files among ``units_dirs`` until the running command ends (their queries
    checked against the world at ``db_path`` when it exists)."""
    if not units_dirs:
        return
    from twinchat.composer.tools.declare import using_tools

    click.get_current_context().with_resource(using_tools(units_dirs, db_path))


def require_file(db_path: str) -> None:
    if not Path(db_path).exists():
        raise click.ClickException(f"no database at {db_path}; create one with `twinchat compose -n 1000 --db {db_path}`")


class Progress:
    """A progress bar on stderr, fed ``update(done, total)``; silent when stderr is not a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._bar: Any = None
        self._shown = sys.stderr.isatty()

    def __enter__(self) -> Progress:
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
