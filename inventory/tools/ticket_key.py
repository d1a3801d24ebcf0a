"""The request key of a ticket (see :func:`~twinchat.inventory.tools.base.request_key`), its canonical
JSON text written field by field.

``request_key`` hashes ``json.dumps(canonical, ensure_ascii=False, sort_keys=True)``; for a ticket's
nine fields — strings, one optional string, one bool — that text is the fields in the order of
their names, each string written by the encoder's own ``encode_basestring``: the same text, without
the encoder sorting and walking a dict (a third of the instructions).
"""

from __future__ import annotations

import hashlib
from json.encoder import encode_basestring as _quoted  # type: ignore[attr-defined]

__all__ = ["ticket_key"]


def ticket_key(user_name: str, phone: str, address: str, problem: str, category: str, serve_time: str,
               technician_id: str | None, is_vip: bool, now: str) -> str:
    """``request_key`` of the ticket request ``{"user_name": user_name, "phone": phone, …, "is_vip":
    is_vip, "now": now}`` (every string a ``str``, ``is_vip`` a ``bool``)."""
    text = (f'{{"address": {_quoted(address)}, "category": {_quoted(category)}, '
            f'"is_vip": {"true" if is_vip else "false"}, "now": {_quoted(now)}, "phone": {_quoted(phone)}, '
            f'"problem": {_quoted(problem)}, "serve_time": {_quoted(serve_time)}, "technician_id": '
            f'{"null" if technician_id is None else _quoted(technician_id)}, "user_name": {_quoted(user_name)}}}')
    return hashlib.sha256(text.encode()).hexdigest()
