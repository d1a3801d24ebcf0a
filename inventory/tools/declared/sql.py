"""The SQL of declared tools: one statement per query, values only as named parameters.

A query is checked twice before it ever runs. When its file loads (:class:`SqlQuery`), its text:
one statement, whose values come in only as ``:name`` parameters naming an argument of the tool
(or ``:now``, the session clock) — anything that looks like string formatting (``%s``,
``{name}``), positional ``?`` or ``@``/``$`` parameters outside quotes is refused. Against a world
(:meth:`SqlQuery.prepare`): SQLite prepares it (``EXPLAIN``, which runs nothing), so a missing
table or column is found then, and an authorizer sees every table it reads and writes: a query
may read the world's tables, write only when its tool writes and only tables that are not static
(the catalog, regions, stock … are read once per connection by the built-in tools and never
change), and never change the schema, attach files or set pragmas.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Collection, Mapping
from typing import Any

from twinchat.units.errors import ToolFileError

__all__ = ["SqlQuery", "READ_ONLY_TABLES", "MISSING", "bind"]

#: Tables no declared tool may write: the world's static tables (read once per connection, see
#: :mod:`twinchat.inventory.tools.static`), stock (frozen in composing snapshots) and ``meta``.
READ_ONLY_TABLES = frozenset({
    "meta", "regions", "categories", "device_models", "device_aliases", "products", "product_features",
    "compatibility", "warehouses", "lanes", "kb_solutions", "stock",
})

#: What a ``rows: one`` query gives when there is no row.
MISSING = object()

_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|\[[^\]]*\]|--[^\n]*|/\*.*?\*/", re.S)
_TEXT = re.compile(r"'((?:[^']|'')*)'")
_PLACEHOLDER = re.compile(r"%[sdifr]")
_NAMED_PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|\{\w*\}")
_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_FORMATTING = re.compile(r"[%{}]|\?|(?<!\w)[@$][A-Za-z_]")
_WRITES = {sqlite3.SQLITE_INSERT: "insert into", sqlite3.SQLITE_UPDATE: "update", sqlite3.SQLITE_DELETE: "delete from"}
_READS = {sqlite3.SQLITE_READ, sqlite3.SQLITE_SELECT, sqlite3.SQLITE_FUNCTION, getattr(sqlite3, "SQLITE_RECURSIVE", 33)}


def bind(value: Any) -> Any:
    """An argument as SQLite binds it: lists and objects as JSON text (for ``json_each``)."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


class SqlQuery:
    """One query of a declared tool, checked on load; :meth:`run` executes it on a world.

    ``where(field)`` gives the head of an error message (file, line, tool) for a field of the
    query's own (``sql``, ``rows``); ``known`` are the parameter names it may use.
    """

    __slots__ = ("sql", "rows", "name", "params", "where")

    def __init__(self, sql: str, rows: str, name: str | None, known: Collection[str],
                 where: Callable[[str], str]) -> None:
        self.sql, self.rows, self.name, self.where = sql.strip(), rows, name, where
        bare = _QUOTED.sub(" ", self.sql)
        for quoted in _TEXT.findall(self.sql):
            if _PLACEHOLDER.fullmatch(quoted) or _NAMED_PLACEHOLDER.search(quoted):
                raise ToolFileError(f"{where('sql')}: '{quoted}' is a string-formatting placeholder; pass values "
                                    "as named parameters (:name), never formatted into the SQL")
        found = _FORMATTING.search(bare)
        if found:
            raise ToolFileError(f"{where('sql')}: {found.group()!r} outside quotes looks like string formatting or a "
                                "positional parameter; pass values as named parameters (:name)")
        if ";" in bare.rstrip().rstrip(";"):
            raise ToolFileError(f"{where('sql')}: one statement per query (found ';' inside)")
        self.params = tuple(dict.fromkeys(_PARAM.findall(bare)))
        for name in self.params:
            if name not in known:
                raise ToolFileError(f"{where('sql')}: parameter :{name} is no argument of the tool; "
                                    f"parameters: {', '.join(':' + k for k in sorted(known))}")

    def prepare(self, conn: sqlite3.Connection, *, writes: bool, hidden: Collection[str] = ()) -> None:
        """Prepare the query on ``conn`` (nothing runs) and check what it reads and writes."""
        refused: list[str] = []
        wrote: list[str] = []

        def authorize(action: int, arg1: Any, arg2: Any, dbname: Any, source: Any) -> int:
            if action in _READS:
                if action == sqlite3.SQLITE_READ and arg1 in hidden:
                    refused.append(f"it reads {arg1!r}, which is not a table of the world")
                    return sqlite3.SQLITE_DENY
                return sqlite3.SQLITE_OK
            if action in _WRITES and str(arg1).startswith("sqlite_"):
                return sqlite3.SQLITE_OK  # SQLite's own schema work (a table-valued function such as
                # json_each is set up so); SQLite itself refuses a statement that changes its schema tables
            if action in _WRITES and arg1 not in hidden:
                wrote.append(arg1)
                if not writes:
                    refused.append(f"it writes to {arg1!r} but the tool does not say writes: true")
                elif arg1 in READ_ONLY_TABLES:
                    refused.append(f"it writes to {arg1!r}, a table of the world no tool may change")
                else:
                    return sqlite3.SQLITE_OK
                return sqlite3.SQLITE_DENY
            refused.append("only SELECT, INSERT, UPDATE and DELETE statements are allowed")
            return sqlite3.SQLITE_DENY

        conn.set_authorizer(authorize)
        try:
            conn.execute(f"EXPLAIN {self.sql}", {k: None for k in self.params})
        except sqlite3.Error as exc:
            reason = refused[0] if refused else f"it does not prepare against the world: {exc}"
            raise ToolFileError(f"{self.where('sql')}: {reason}") from exc
        finally:
            conn.set_authorizer(None)
        if wrote and self.rows != "none":
            raise ToolFileError(f"{self.where('rows')}: the query writes to {wrote[0]!r}; a write has rows: none")
        if not wrote and self.rows == "none":
            raise ToolFileError(f"{self.where('rows')}: rows: none is for a write, but the query only reads")

    def run(self, conn: sqlite3.Connection, values: Mapping[str, Any]) -> Any:
        """The query's rows on ``conn``, shaped: a row object (or :data:`MISSING`), a list of
        them, their count, or None for a write. ``values`` holds every parameter, bound."""
        try:
            cursor = conn.execute(self.sql, {k: values.get(k) for k in self.params})
        except sqlite3.OperationalError as exc:  # a world unlike the one the file was checked against
            raise ToolFileError(f"{self.where('sql')}: {exc}") from exc
        rows = self.rows
        if rows == "none":
            return None
        if rows == "count":
            return len(cursor.fetchall())
        columns = [d[0] for d in cursor.description]
        if rows == "one":
            row = cursor.fetchone()
            return MISSING if row is None else dict(zip(columns, row))
        return [dict(zip(columns, row)) for row in cursor.fetchall()]
