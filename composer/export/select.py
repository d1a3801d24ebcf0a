"""Sessions an export names by id: each once, in the store's (flow, seed, index) order."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from twinchat.composer.export.formats.base import ExportError

__all__ = ["by_ids"]

_ID_CHUNK = 500


def by_ids(conn: sqlite3.Connection, ids: Sequence[str]) -> list[str]:
    """``ids`` (each once) in the store's (flow, seed, index) order; every one must be stored."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        raise ExportError("no sessions to export: the list of session ids is empty")
    keys: dict[str, tuple[str, int, int]] = {}
    for start in range(0, len(wanted), _ID_CHUNK):
        chunk = wanted[start:start + _ID_CHUNK]
        rows = conn.execute(f"SELECT id, flow, seed, idx FROM sessions WHERE id IN ({', '.join('?' * len(chunk))})",
                            chunk)
        keys.update((r[0], (r[1], r[2], r[3])) for r in rows)
    missing = [i for i in wanted if i not in keys]
    if missing:
        more = f" (and {len(missing) - 1:,} more of the ids)" if len(missing) > 1 else ""
        raise ExportError(f"no stored session {missing[0]!r}{more}")
    return sorted(keys, key=keys.__getitem__)
