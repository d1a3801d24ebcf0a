"""Declared tools for a command: the tool files among its ``--units`` paths, built and registered.

:func:`declared_tools` loads the tool files (:func:`twinchat.units.tool_files.load_tool_files`),
refuses a name that an entry point's tool (a built-in or a plugin's) already has, and builds each
tool with the composer's sandbox for its texts; when the world file exists its queries are
prepared against it then (a missing table or column is found before anything runs), else on
their first call. :func:`using_tools` registers them while a block runs; :func:`install_tools`
for the rest of a process — what each compose worker does with the same paths, so spawned
workers get the same tools as forked ones.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from twinchat.inventory.tools.declared import DeclaredTool, build_tool
from twinchat.inventory.tools.registry import BUILTIN_ORDER, declare, declaring, tools
from twinchat.units.errors import ToolFileError
from twinchat.units.tool_files import ToolSource, load_tool_files

__all__ = ["build_tools", "declared_tools", "using_tools", "install_tools", "HIDDEN_TABLES"]

Paths = Sequence[str | os.PathLike[str]]


def _hidden_tables() -> tuple[str, ...]:
    from twinchat.composer.store.curate import CURATE_TABLES
    from twinchat.composer.store.sessions import STORE_TABLES

    return STORE_TABLES + CURATE_TABLES


#: Tables of a world file that are not the world (the session store): no query may read them.
HIDDEN_TABLES = _hidden_tables()


def build_tools(sources: Sequence[ToolSource], conn: Any = None) -> list[DeclaredTool]:
    """The tools of ``sources``, their queries prepared against ``conn`` when it is given."""
    from twinchat.composer.tools.templates import SandboxTemplates

    registry = tools()
    taken = [name for name in registry if name not in {t.name for t in registry.declared()}]
    templates = SandboxTemplates()
    built = []
    for src in sources:
        name = src.spec.name
        if name in taken:
            owner = "a built-in tool" if name in BUILTIN_ORDER else "a plugin's tool"
            raise ToolFileError(f"{src.where(['name'])}: tool {name!r} is already {owner}; a tool file cannot "
                                "replace it (choose another name)")
        built.append(build_tool(src.spec, src.where, templates, conn=conn, hidden=HIDDEN_TABLES))
    return built


def declared_tools(paths: Paths, db: str | os.PathLike[str] | None = None) -> list[DeclaredTool]:
    """The tools declared in the tool files among ``paths`` (directories or files), checked
    against the world at ``db`` when that file exists."""
    sources = load_tool_files(list(paths))
    if not sources:
        return []
    if db is None or not Path(db).is_file():
        return build_tools(sources)
    from twinchat.inventory import open_world

    conn = open_world(db)
    try:
        return build_tools(sources, conn)
    finally:
        conn.close()


def _key(paths: Paths, db: str | os.PathLike[str] | None) -> tuple[tuple[str, ...], str | None]:
    return tuple(str(p) for p in paths), None if db is None else str(db)


@contextlib.contextmanager
def using_tools(paths: Paths, db: str | os.PathLike[str] | None = None) -> Iterator[list[DeclaredTool]]:
    """The tool files among ``paths`` declared while the block runs (then the registry is as before)."""
    built = declared_tools(paths, db)
    with declaring(built, _key(paths, db)):
        yield built


def install_tools(paths: Paths, db: str | os.PathLike[str] | None = None) -> None:
    """Declare the tool files among ``paths`` for the rest of this process (nothing to do when
    they are declared already, as in a worker forked from the process that declared them)."""
    key = _key(paths, db)
    if tools().key == key:
        return
    declare(declared_tools(paths, db), key)
