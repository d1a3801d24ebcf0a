"""Rows of the ``sessions`` table as the store writes them: one per session and its verdict.

:func:`session_row` is a pure function of a session, its verdict and its batch (workers make rows,
the writer only inserts them); the row also carries what the writer would otherwise make again
from the row's JSON (the search text, the turns' UTF-8 bytes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from twinchat.composer.jsontext import dumps as _dumps, dumps_utf8

__all__ = ["COLUMNS", "SessionRow", "session_row", "bound_rows"]

#: Columns of ``sessions``, in insert order.
COLUMNS = ("id", "flow", "seed", "idx", "world_seed", "now", "customer", "turns", "steps", "extra",
           "n_turns", "outcome", "units", "templates", "user_text", "status", "reasons", "batch")

#: Keys of a session dict that have a column of their own; any other key goes to ``extra``.
_SESSION_KEYS = frozenset(("id", "flow", "seed", "index", "world_seed", "now", "customer", "turns", "steps", "outcome"))

_CUSTOMER, _TURNS, _EXTRA = COLUMNS.index("customer"), COLUMNS.index("turns"), COLUMNS.index("extra")


def _insert_sql(**values: str) -> str:
    marks = [values.get(column, "?") for column in COLUMNS]
    return f"INSERT INTO sessions ({', '.join(COLUMNS)}) VALUES ({', '.join(marks)})"


_INSERT = _insert_sql()
#: the same, binding the customer's and the turns' JSON as UTF-8 bytes (a bytearray), which SQLite
#: stores as the text they spell, and ``extra`` as text, '' for NULL (``extra`` is a JSON object's
#: text when there is one).
#: The sqlite3 module binds int, float, str and bytearray as they are; bytes and None it first offers
#: to its adapters (a failed attribute lookup or two: several times what binding the value costs).
_INSERT_UTF8 = _insert_sql(customer="CAST(? AS TEXT)", turns="CAST(? AS TEXT)", extra="NULLIF(?, '')")


class SessionRow(tuple):  # type: ignore[type-arg]
    """A ``sessions`` row (a tuple in ``COLUMNS`` order) that also carries what the search table
    holds for the session (:func:`~.session_list.bot_text` of its turns), made from the turns at
    hand so the writer does not decode the turns' JSON again, and the customer's and the turns' JSON
    as the UTF-8 bytes they were written as (None where the standard library wrote it), so they are
    not encoded again."""

    bot_text: str | None
    customer_utf8: bytes | None
    turns_utf8: bytes | None


def session_row(session: dict[str, Any], reasons: Sequence[str], batch: int, *, text: bool = True) -> SessionRow:
    """The ``sessions`` row of one session and its verdict, as a tuple in ``COLUMNS`` order.

    A pure function of its arguments: workers compute rows, the writer only inserts them, and
    the same session always gives the same row (JSON text included). Without ``text`` the row
    holds None for the customer's and the turns' JSON text where it carries their UTF-8 bytes (a
    row made only to be written: :func:`bound_rows` binds the bytes, and nothing decodes them).
    """
    turns = session["turns"]
    units: list[str] = []
    templates: list[str] = []
    texts: list[str] = []
    said: list[str] | None = [] if type(turns) is list else None  # bot_text's, made on the same walk
    for turn in turns:
        role = turn.get("role")
        if said is not None:
            if type(turn) is not dict:
                said = None
            elif role == "assistant":
                content = turn.get("content")
                if type(content) is str:
                    if content:
                        said.append(content)
                elif content is not None:
                    said = None
        if role != "user":
            continue
        unit = turn.get("unit") or "-"
        if unit not in units:
            units.append(unit)
        templates.append(f"{unit}:{turn.get('template') or '-'}")
        texts.append(turn.get("content") or "")
    # the keys without a column of their own, in the session's order (most sessions have none: a
    # subset test in C instead of a comprehension over every key)
    extra = None if session.keys() <= _SESSION_KEYS else {k: v for k, v in session.items() if k not in _SESSION_KEYS}
    turns_json, turns_utf8 = dumps_utf8(turns, text=text)
    customer_json, customer_utf8 = dumps_utf8(session["customer"], text=text)
    row = SessionRow((
        session["id"], session["flow"], session["seed"], session["index"], session["world_seed"],
        session["now"], customer_json, turns_json, _dumps(session.get("steps", [])),
        _dumps(extra) if extra else None, len(turns), session.get("outcome"), " ".join(units),
        " ".join(templates), "\n".join(texts), "failed" if reasons else "ok",
        _dumps(list(reasons)) if reasons else "[]", batch,
    ))
    row.bot_text, row.customer_utf8, row.turns_utf8 = None if said is None else "\n".join(said), customer_utf8, turns_utf8
    return row


def bound_rows(rows: Sequence[Any]) -> tuple[str, Iterable[tuple[Any, ...]]]:
    """The INSERT for ``rows`` and what it binds: plain tuples (a tuple subclass is bound item by
    item through Python-level lookups), with the customer's and the turns' JSON as their UTF-8 bytes
    and ``extra`` as text when every row has the bytes (see ``_INSERT_UTF8``)."""
    if all(type(row) is SessionRow and row.turns_utf8 is not None and row.customer_utf8 is not None for row in rows):
        return _INSERT_UTF8, [(*row[:_CUSTOMER], bytearray(row.customer_utf8), bytearray(row.turns_utf8),
                               row[_TURNS + 1], row[_EXTRA] or "", *row[_EXTRA + 1:]) for row in rows]
    return _INSERT, [_plain(row) for row in rows]


def _plain(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """``row`` as a plain tuple of its values, the JSON texts it holds as bytes only decoded."""
    if row[_CUSTOMER] is not None and row[_TURNS] is not None:
        return tuple(row)
    values = list(row)
    if values[_CUSTOMER] is None:
        values[_CUSTOMER] = row.customer_utf8.decode()
    if values[_TURNS] is None:
        values[_TURNS] = row.turns_utf8.decode()
    return tuple(values)
