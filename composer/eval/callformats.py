"""Tool calls in the shapes common chat models write them, besides those the export formats teach.

* GLM-4: the function name on the first line, its JSON arguments below (``get_weather\\n{"city": …}``);
* Mistral: ``[TOOL_CALLS] [{"name", "arguments"}, …]`` or ``[TOOL_CALLS]name[ARGS]{…}``;
* Llama 3.1: ``<|python_tag|>{"name", "parameters"}`` (several joined by ``;``), or
  ``<function=name>{…}</function>``;
* a fenced block (```` ```json ````) holding ``{"name", "arguments"}`` JSON or a list of them.

(Hermes and Qwen's ``<tool_call>`` blocks, bare ``{"name", "arguments"}`` JSON and ReAct's actions
are read by :mod:`~twinchat.composer.eval.scoring` itself.) :func:`looks_like_a_call` tells a text
that tries to call a tool in some other shape from a reply, so that it is counted as an error of
kind ``unknown_format`` rather than scored as a reply.
"""

from __future__ import annotations

import json
import re
from typing import Any

from twinchat.composer.eval.scan import json_fence_body

__all__ = ["looks_like_a_call", "other_call_format"]

_GLM = re.compile(r"([A-Za-z_][A-Za-z0-9_\-]{0,63})\n(\{.*\})", re.DOTALL)
_FUNCTION_NAME = re.compile(r"<function=([A-Za-z0-9_\-]{1,64})>")
_MISTRAL_ARGS = re.compile(r"([A-Za-z0-9_\-]{1,64})\[ARGS\](.*)", re.DOTALL)
_MARKERS = ("<|", "[TOOL_CALLS]", "<function", "<tool_call", "✿FUNCTION✿", "function_call", "Action Input:",
            "[ARGS]", "<invoke", "<tool_use")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _named(value: Any) -> list[dict[str, Any]] | None:
    items = value if isinstance(value, list) else [value]
    if items and all(isinstance(v, dict) and isinstance(v.get("name"), str) for v in items):
        return items
    return None


def _function_tags(text: str) -> list[tuple[str, str]]:
    """(name, body) of each ``<function=name>body</function>`` (scanned in linear time)."""
    found, pos = [], 0
    while True:
        start = text.find("<function=", pos)
        if start < 0:
            return found
        head = _FUNCTION_NAME.match(text, start)
        end = text.find("</function>", start) if head else -1
        if head is None or end < 0:
            return found
        found.append((head.group(1), text[head.end():end]))
        pos = end + len("</function>")


def other_call_format(text: str) -> tuple[str, list[Any]] | None:
    """(format name, raw calls) if ``text`` is a call in one of the shapes above, else None.

    A raw call is ``{"name", "arguments"}`` (or ``parameters``), its arguments a JSON text or object;
    a text in one of the shapes whose JSON does not parse gives ``(name, [])`` (unreadable)."""
    s = text.strip()
    if s.startswith("[TOOL_CALLS]"):
        rest = s[len("[TOOL_CALLS]"):].strip()
        parts = _MISTRAL_ARGS.fullmatch(rest)
        if parts:
            return "mistral", [{"name": parts.group(1), "arguments": parts.group(2).strip()}]
        return "mistral", _named(_json(rest)) or []
    if s.startswith("<|python_tag|>"):
        calls = [_named(_json(part.strip())) for part in s[len("<|python_tag|>"):].split(";") if part.strip()]
        return "llama", [c for found in calls if found for c in found] if all(calls) else []
    tags = _function_tags(s)
    if tags:
        return "llama", [{"name": name, "arguments": body.strip()} for name, body in tags]
    glm = _GLM.fullmatch(s)
    if glm:
        return "glm4", [{"name": glm.group(1), "arguments": glm.group(2)}]
    fenced = json_fence_body(s)
    if fenced is not None:
        found = _named(_json(fenced))
        if found:
            return "fenced", found
    return None


def looks_like_a_call(text: str, limit: int = 20) -> bool:
    """Whether ``text`` (read as no known shape) tries to call a tool: a call marker of some model,
    or a JSON object with a ``name`` and ``arguments`` or ``parameters`` (the first ``limit`` objects tried)."""
    if any(marker in text for marker in _MARKERS):
        return True
    decoder = json.JSONDecoder()
    pos = text.find("{")
    for _ in range(limit):
        if pos < 0:
            return False
        try:
            value, _end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, dict) and "name" in value and ("arguments" in value or "parameters" in value):
            return True
        pos = text.find("{", pos + 1)
    return False
