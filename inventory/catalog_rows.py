"""Reading a catalog file row by row: CSV or JSON Lines, each problem one line naming the file,
the line and the column. Shared by the readers of each catalog file (:mod:`.catalog_files`,
:mod:`.catalog_devices`)."""

from __future__ import annotations

import csv
import difflib
import json
import math
import operator
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from twinchat.inventory.errors import CatalogError

__all__ = ["file_rows", "csv_fields", "did_you_mean", "RowReader"]

_ID = re.compile(r"^[A-Za-z0-9_.\-]+$")
_JSON_SUFFIXES = (".jsonl", ".ndjson")


def file_rows(path: Path, columns: dict[str, bool]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, row) of a CSV or JSON Lines file; a missing required column or a malformed line is an error."""
    if not path.is_file():
        raise CatalogError(f"{path}: no such file")
    if path.suffix.lower() in _JSON_SUFFIXES:
        yield from _json_rows(path, columns)
        return
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        start = 1  # the line a record starts on (a quoted field may span lines)
        try:
            header = [h.strip() for h in next(reader, [])]
            _check_header(path, 1, header, columns)
            width = len(header)
            start = reader.line_num + 1
            for record in reader:
                if record and record != [""]:
                    if len(record) != width:
                        raise CatalogError(f"{path}:{start}: malformed CSV: {len(record)} fields, the header has {width}")
                    yield start, dict(zip(header, record))
                start = reader.line_num + 1
        except csv.Error as exc:
            raise CatalogError(f"{path}:{start}: malformed CSV: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise CatalogError(f"{path}: not UTF-8 text ({exc.reason})") from exc


def csv_fields(path: Path, columns: dict[str, bool], names: tuple[str, ...]) -> Iterator[tuple[str, ...] | None] | None:
    """The fields ``names`` of each record of a plain CSV file, fast (no dict per row), or None when
    the file is not one (JSON Lines, a missing file, a header :func:`file_rows` refuses). The
    iterator yields None, and stops, at a record :func:`file_rows` would refuse (a wrong number of
    fields, a CSV or encoding error): the caller then reads the file with :func:`file_rows`,
    which says where and why."""
    if path.suffix.lower() in _JSON_SUFFIXES or not path.is_file():
        return None
    fh = path.open(encoding="utf-8-sig", newline="")
    reader = csv.reader(fh, strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
        _check_header(path, 1, header, columns)
    except (CatalogError, csv.Error, UnicodeDecodeError):
        fh.close()
        return None
    width, get = len(header), operator.itemgetter(*(header.index(n) for n in names))

    def records() -> Iterator[tuple[str, ...] | None]:
        with fh:
            try:
                for record in reader:
                    if len(record) == width:
                        yield get(record)
                    elif record:  # a blank line is no record
                        yield None
                        return
            except (csv.Error, UnicodeDecodeError):
                yield None
    return records()


def _json_rows(path: Path, columns: dict[str, bool]) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CatalogError(f"{path}:{line_no}: malformed JSON: {exc.msg} (column {exc.colno})") from exc
            if not isinstance(row, dict):
                raise CatalogError(f"{path}:{line_no}: malformed JSON Lines: a line must be one JSON object")
            _check_header(path, line_no, list(row), columns)
            yield line_no, row


def _check_header(path: Path, line: int, names: list[str], columns: dict[str, bool]) -> None:
    for name, required in columns.items():
        if required and name not in names:
            raise CatalogError(f"{path}:{line}: missing column {name!r} (columns: {', '.join(names) or 'none'})")
    for name in names:
        if name not in columns:
            raise CatalogError(f"{path}:{line}: unknown column {name!r}{did_you_mean(name, columns)}; "
                               f"columns: {', '.join(columns)}")


def did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class RowReader:
    """Reads fields of one row, each problem one line naming file, line and column."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.line = 0
        self.row: dict[str, Any] = {}

    def fail(self, column: str, problem: str) -> CatalogError:
        return CatalogError(f"{self.path}:{self.line}: column {column!r}: {problem}")

    def text(self, column: str, default: str | None = None) -> str:
        value = self.row.get(column)
        value = "" if value is None else str(value).strip()
        if value:
            return value
        if default is not None:
            return default
        raise self.fail(column, "must not be empty")

    def ident(self, column: str) -> str:
        value = self.text(column)
        if not _ID.match(value):
            raise self.fail(column, f"{value!r} is not an id (letters, digits, _ . - only)")
        return value

    def number(self, column: str, cast: Callable[[Any], Any] = float) -> Any:
        raw = self.row.get(column)
        try:
            value = cast(raw.strip() if isinstance(raw, str) else raw)
        except (TypeError, ValueError):
            raise self.fail(column, f"{raw!r} is not a{'n integer' if cast is int else ' number'}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(column, f"{raw!r} is not a finite number")
        if value < 0:
            raise self.fail(column, f"{raw!r} must not be negative")
        return value

    def words(self, column: str) -> tuple[str, ...]:
        value = self.row.get(column)
        items = value if isinstance(value, list) else str(value or "").split("|")
        return tuple(dict.fromkeys(str(w).strip() for w in items if str(w).strip()))

    def json_object(self, column: str) -> dict[str, Any]:
        value = self.row.get(column)
        if value in (None, ""):
            return {}
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise self.fail(column, f"not JSON ({exc.msg})") from exc
        if not isinstance(value, dict):
            raise self.fail(column, "must be a JSON object")
        return value

    def unique(self, seen: dict[Any, int], key: Any, column: str, what: str = "id") -> None:
        if key in seen:
            shown = key if isinstance(key, str) else " in ".join(key)
            raise self.fail(column, f"duplicate {what} {shown!r} (first on line {seen[key]})")
        seen[key] = self.line
