"""A tool call undone as soon as it returns: what ``generate`` makes of every call that writes.

A call that writes runs in a transaction (or a savepoint inside one) rolled back when it returns,
opened and closed without a context manager per call. A call of a tool that makes none of its
writes itself but owes them all (``Tool.owes_writes``) needs none on a tracked connection that
owes nothing: it writes nothing (see :func:`~twinchat.inventory.tools.tracking.unwritten_call`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from twinchat.inventory.connection import close_scratch, open_scratch
from twinchat.inventory.tools.tracking import undone_call, unwritten_call

__all__ = ["undone_run"]


def undone_run(conn: sqlite3.Connection, run: Callable[[], Any], owes_writes: bool, savepoint: str) -> Any:
    """``run()`` — a call of a tool that writes — with its writes undone at once: when the tool
    ``owes_writes`` and :func:`unwritten_call` finds nothing can be written, without a transaction;
    else in a transaction or a savepoint named ``savepoint`` that is rolled back
    (:func:`~twinchat.inventory.connection.open_scratch`)."""
    if owes_writes:
        done, result = unwritten_call(conn, run)
        if done:
            return result
    began = open_scratch(conn, savepoint)
    try:
        return undone_call(conn, run)
    finally:
        close_scratch(conn, savepoint, began)
