"""Adding templates to a unit file without disturbing anything else in it.

The new templates are inserted as text right after the last item of the file's ``templates:``
list — before the blank lines and comments that separate it from the next key — indented like
that item. Every other byte of the file stays as it was: comments, key order, quoting, block
scalars. Before anything is renamed into place, the new text is loaded with the unit loader and
checked: the unit must be the same unit with exactly the new templates appended, and must pass
the engine's load-time checks. It is written under a temporary name in the same directory and
renamed, so a failure at any point leaves the target as it was.

New ids continue the id pattern of the template they rewrite (``t03`` → the next free ``tNN``,
``ask2`` → ``ask3``); an id without a number gets ``_p1``, ``_p2``… (``states`` → ``states_p1``).
The same file and the same accepted texts in the same order always get the same ids.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

import yaml

from twinchat.composer.atomic import atomic_write
from twinchat.composer.errors import ComposerError
from twinchat.units.errors import UnitError
from twinchat.units.loader import load_unit_file
from twinchat.units.spec import Template, Unit

__all__ = ["next_template_id", "insert_templates", "write_unit_text", "UnitFileError"]

_NUMBERED = re.compile(r"^(.*?)(\d+)$")


class UnitFileError(ComposerError):
    """A unit file cannot be changed safely (it is left as it was)."""


def next_template_id(original: str, taken: set[str]) -> str:
    """The next free id in ``original``'s pattern (``t03`` → ``t16`` when t01–t15 exist)."""
    m = _NUMBERED.match(original)
    if m:
        prefix, width = m.group(1), len(m.group(2))
        numbers = [int(n.group(2)) for t in taken if (n := _NUMBERED.match(t)) and n.group(1) == prefix]
        k = max(numbers, default=0) + 1
        while f"{prefix}{k:0{width}d}" in taken:  # pragma: no cover - max()+1 is free
            k += 1
        return f"{prefix}{k:0{width}d}"
    k = 1
    while f"{original}_p{k}" in taken:
        k += 1
    return f"{original}_p{k}"


def _scalar(text: str, indent: str, newline: str) -> str:
    """``text`` as a YAML scalar after ``key: ``: a literal block for plain multi-line text,
    otherwise a double-quoted string (JSON string syntax is valid YAML double-quoted syntax)."""
    body = text[:-1] if text.endswith("\n") else text
    lines = body.split("\n")
    plain_lines = all(line == line.rstrip() and "\t" not in line and "\r" not in line for line in lines)
    if len(lines) > 1 and plain_lines and lines[0][:1] not in (" ", "") and not text.endswith("\n\n"):
        head = "|" if text.endswith("\n") else "|-"
        return head + newline + newline.join(indent + "  " + line if line else "" for line in lines)
    return json.dumps(text, ensure_ascii=False)


_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}


def _word(value: str) -> str:
    """An id or a name: plain when YAML reads it back as the same string, else quoted."""
    if _PLAIN.match(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value, ensure_ascii=False)


def _item(t: Template, dash: str, indent: str, newline: str) -> str:
    parts = [f"{dash}- id: {_word(t.id)}", f"{indent}text: {_scalar(t.text, indent, newline)}"]
    if t.missing:
        parts.append(f"{indent}missing: [{', '.join(_word(m) for m in t.missing)}]")
    if t.label:
        parts.append(f"{indent}label:")
        parts += [f"{indent}  {_word(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in t.label.items()]
    if t.source:
        parts.append(f"{indent}source: {_word(t.source)}")
    return newline.join(parts) + newline


def insert_templates(text: str, templates: Sequence[Template], shown: str) -> str:
    """``text`` (a unit file) with ``templates`` inserted after its last template."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise UnitFileError(f"{shown}: cannot read the unit file: {exc}") from exc
    seq = next((v for k, v in getattr(root, "value", []) if getattr(k, "value", None) == "templates"), None)
    if not isinstance(seq, yaml.SequenceNode) or not seq.value:
        raise UnitFileError(f"{shown}: the unit file has no `templates:` list to add to")
    if seq.flow_style:
        raise UnitFileError(f"{shown}:{seq.start_mark.line + 1}: `templates:` is a flow list [...]; write it as "
                            f"a block list (one `- id: …` per item) to add templates to it")
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    last = seq.value[-1]
    first_line = lines[last.start_mark.line]
    dash_col = first_line.rfind("-", 0, last.start_mark.column)
    if dash_col < 0 or first_line[:dash_col].strip():
        raise UnitFileError(f"{shown}:{last.start_mark.line + 1}: cannot tell how the templates are indented")
    dash, indent = " " * dash_col, " " * last.start_mark.column
    end = last.end_mark
    stop = end.line if end.column == 0 or end.line >= len(lines) else end.line + 1
    stop = min(stop, len(lines))
    while stop > last.start_mark.line + 1:
        stripped = lines[stop - 1].strip()
        col = len(lines[stop - 1]) - len(lines[stop - 1].lstrip())
        if stripped and not (stripped.startswith("#") and col <= dash_col):
            break
        stop -= 1
    head = "".join(lines[:stop])
    if head and not head.endswith("\n"):
        head += newline
    block = "".join(_item(t, dash, indent, newline) for t in templates)
    return head + block + "".join(lines[stop:])


def _check(new_text: str, tmp: Path, shown: str, unit: Unit, added: Sequence[Template]) -> None:
    from twinchat.composer.engine.unit_checks import check_unit

    try:
        src = load_unit_file(tmp, shown)
        check_unit(src)
    except UnitError as exc:
        raise UnitFileError(f"{shown}: the file would not load after adding the templates ({exc}); "
                            f"it is left as it was") from exc
    expected = unit.model_copy(update={"templates": [*unit.templates, *added]})
    if src.unit != expected:
        raise UnitFileError(f"{shown}: adding the templates as text would change other parts of the unit; "
                            f"it is left as it was")


def write_unit_text(path: Path, loaded_text: str, unit: Unit, added: Sequence[Template], *,
                    out: Path | None = None, shown: str | None = None) -> Path:
    """Insert ``added`` into the unit file read from ``path`` (as ``loaded_text``) and write the
    result to ``out`` (a new file) or back to ``path``, atomically; returns where it went.

    Refuses when ``path`` changed since it was loaded, when ``out`` exists, or when the result
    would not load as the same unit with exactly ``added`` appended.
    """
    shown = shown or str(path)
    target = out or path
    if out is not None:
        if out.exists():
            raise UnitFileError(f"{out}: file exists; choose another -o")
        if not out.parent.exists():
            raise UnitFileError(f"{out.parent}: directory does not exist")
    else:
        try:
            current = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UnitFileError(f"{path}: cannot read the unit file: {exc}") from exc
        if current != loaded_text:
            raise UnitFileError(f"{path}: the file changed while paraphrasing; run again")
    new_text = insert_templates(loaded_text, added, shown)
    with atomic_write(target, newline="") as (fh, tmp):
        fh.write(new_text)
        fh.flush()
        _check(new_text, tmp, str(target), unit, added)
        if out is None:
            os.chmod(tmp, path.stat().st_mode & 0o7777)
    return target
