"""Reading the gold and prediction files: one JSON value per line, every problem located.

A line that is not UTF-8, or JSON nested deeper than :data:`MAX_DEPTH`, stops the evaluation
with an :class:`EvalError` naming the file and the line (``pred.jsonl:3: not UTF-8``): such a file
was not written by ``twinchat export`` or by a model server, and nothing in it can be trusted to
score. Lines are split as text files split them (``\\n``, ``\\r\\n`` or ``\\r``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from twinchat.composer.errors import ComposerError

__all__ = ["EvalError", "MAX_DEPTH", "json_lines", "load_line"]

#: The deepest nesting of arrays and objects a line may have (an answer needs a handful).
MAX_DEPTH = 64


class EvalError(ComposerError):
    """The gold file cannot be read (not a gold file, a bad line, a repeated id)."""


def json_lines(path: Path) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of each non-blank line of ``path``; raise :class:`EvalError` on a
    line that is not UTF-8."""
    with open(path, encoding="utf-8", errors="surrogateescape") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.isascii():
                try:
                    line.encode("utf-8")
                except UnicodeEncodeError as exc:  # an undecodable byte, kept as a lone surrogate
                    raise EvalError(f"{path}:{lineno}: not UTF-8") from exc
            if line.strip():
                yield lineno, line


def _depth(value: Any) -> int:
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                break
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def load_line(line: str, where: str) -> Any:
    """The JSON value of one line (``where`` is its ``file:line``); raise
    :class:`json.JSONDecodeError` when it is not JSON, :class:`EvalError` when it nests too deep."""
    try:
        value = json.loads(line)
    except RecursionError as exc:
        raise EvalError(f"{where}: nested too deep (more than {MAX_DEPTH} levels)") from exc
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # an integer past the interpreter's digit limit
        raise EvalError(f"{where}: a number too long to read") from exc
    if _depth(value) > MAX_DEPTH:
        raise EvalError(f"{where}: nested too deep (more than {MAX_DEPTH} levels)")
    return value
