"""The words that name a product: its short name, its model, its category's name and aliases.

Checks that ask whether a text names a product (a customer naming the items of an order they
return) look one product up at a time; :class:`ProductWords` reads a product's words through the
primary key when first asked and keeps them, so a catalog of 100,000 products costs no more to
start checking than one of 200.

Dependency rule: this module imports nothing of twinchat's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

__all__ = ["ProductWords"]


class ProductWords:
    """Product id -> (short name, model, category name, category aliases…), empty texts left out,
    read per product as asked and kept (products do not change under a composer: the world's
    catalog is static). ``category_words``: category id -> its name and aliases."""

    def __init__(self, conn: sqlite3.Connection, category_words: Mapping[str, tuple[str, ...]]) -> None:
        self._execute = conn.execute
        self._category_words = category_words
        self._words: dict[str, tuple[str, ...]] = {}

    def get(self, pid: Any, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        """The words of product ``pid``, or ``default`` when no product has that id."""
        found = self._words.get(pid) if isinstance(pid, str) else None
        if found is not None:
            return found
        if not isinstance(pid, str):
            return default
        row = self._execute("SELECT short_name, model, category FROM products WHERE id = ?", (pid,)).fetchone()
        if row is None:  # not kept: ids that name nothing come from edited sessions, not from the catalog
            return default
        short, model, category = row
        found = self._words[pid] = tuple(w for w in (short, model, *self._category_words.get(category, ())) if w)
        return found
