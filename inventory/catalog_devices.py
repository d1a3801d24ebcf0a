"""The device models of a catalog and which product fits which, read from files.

A devices file lists the models customers own (a laptop, a phone, a coffee machine): an id, its
kind (what a unit's device slot names), brand and name, and optionally series, model, aliases
(what customers call it) and its specs as a JSON object (what a part needs to know: slots,
sizes, protocols). A compatibility file says which product fits which device, at full speed or
not, with a note a reply may give (将以5200MHz运行). The tools answer fit questions from them:
``search_products(compatible_with=…)`` lists what fits a device, best fits first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from twinchat.inventory.catalog_rows import RowReader, did_you_mean, file_rows
from twinchat.inventory.errors import CatalogError

__all__ = ["read_devices", "read_compatibility"]

_DEVICE_COLUMNS = {"id": True, "kind": True, "brand": True, "name": True, "series": False, "model": False,
                   "aliases": False, "specs": False}
_YES = {"1": 1, "true": 1, "yes": 1, "是": 1, "0": 0, "false": 0, "no": 0, "否": 0}


def read_devices(path: Path) -> list[dict[str, Any]]:
    """The device rows of a devices file, ready for the ``device_models`` table (JSON as text)."""
    r, seen, out = RowReader(path), {}, []
    for r.line, r.row in file_rows(path, _DEVICE_COLUMNS):
        did = r.ident("id")
        r.unique(seen, did, "id")
        name = r.text("name")
        out.append({"id": did, "kind": r.ident("kind"), "brand": r.text("brand"), "series": r.text("series", ""),
                    "model": r.text("model", name), "name": name,
                    "aliases": json.dumps(list(r.words("aliases")), ensure_ascii=False),
                    "specs": json.dumps(r.json_object("specs"), ensure_ascii=False, sort_keys=True)})
    if not out:
        raise CatalogError(f"{path}: no devices")
    return out


def read_compatibility(path: Path, products: set[str], devices: set[str]) -> list[tuple[str, str, int, str | None]]:
    """(product, device, full_speed, note) of a compatibility file, each naming a known product and device."""
    r, seen, out = RowReader(path), {}, []
    columns = {"product": True, "device": True, "full_speed": False, "note": False}
    for r.line, r.row in file_rows(path, columns):
        pid, did = r.text("product"), r.text("device")
        if pid not in products:
            raise r.fail("product", f"unknown product {pid!r}{did_you_mean(pid, products)}")
        if did not in devices:
            raise r.fail("device", f"unknown device {did!r}{did_you_mean(did, devices)}")
        r.unique(seen, (pid, did), "product", "compatibility row")
        out.append((pid, did, _full_speed(r), r.text("note", "") or None))
    return out


def _full_speed(r: RowReader) -> int:
    """``full_speed``: 1/0, true/false, yes/no (JSON: a boolean); left out, the part fits at full speed."""
    raw = r.row.get("full_speed")
    if raw is None or raw == "":
        return 1
    value = _YES.get(str(raw).strip().lower())
    if value is None:
        raise r.fail("full_speed", f"{raw!r} is not a yes or no (1/0, true/false)")
    return value
