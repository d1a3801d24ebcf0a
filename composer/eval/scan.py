"""The shapes of an answer's text found by plain scanning, in time linear in its length.

An answer is untrusted: a model (or a hand-written prediction file) can send anything. The
regular expressions these functions replace had a lazy ``.*?`` before a closing mark, which is
quadratic when the mark never comes (``"<tool_call>" * 30000`` took 88 s); each function here
returns exactly what its expression did (the tests compare them on generated text).
"""

from __future__ import annotations

__all__ = ["tool_call_blocks", "action_inputs", "json_fence_body"]

_OPEN, _CLOSE = "<tool_call>", "</tool_call>"


def tool_call_blocks(text: str) -> list[str]:
    """The stripped bodies of the ``<tool_call>…</tool_call>`` blocks of ``text``, in order
    (each block ends at the first closing tag after it opens)."""
    blocks: list[str] = []
    pos = 0
    while True:
        start = text.find(_OPEN, pos)
        end = text.find(_CLOSE, start + len(_OPEN)) if start >= 0 else -1
        if end < 0:
            return blocks
        blocks.append(text[start + len(_OPEN):end].strip())
        pos = end + len(_CLOSE)


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _action_input_at(text: str, start: int) -> tuple[str, str, int] | None:
    """``(tool, input, end)`` of ``Action: tool`` / ``Action Input: …`` at ``start``, or None."""
    pos = name = _skip_space(text, start + len("Action:"))
    while pos < len(text) and (text[pos].isascii() and (text[pos].isalnum() or text[pos] in "_-")):
        pos += 1
    if pos == name:
        return None
    space = _skip_space(text, pos)
    if space == pos or text[space - 1] != "\n" or not text.startswith("Action Input:", space):
        return None
    head = space + len("Action Input:")
    body = _skip_space(text, head)
    if body == len(text):
        if body == head:
            return None
        body -= 1  # only spaces follow: the input is the last of them
    tail = max(len(text.rstrip()), body + 1)
    after = text.find("\nAction:", body + 1)
    end = tail if after < 0 else min(after, tail)
    return text[name:pos], text[body:end], end


def action_inputs(text: str) -> list[tuple[str, str]]:
    """The ``(tool, input)`` pairs of LLaMA-Factory's ``Action: tool`` / ``Action Input: …`` lines:
    an input runs to the next ``\\nAction:`` or to the trailing whitespace of ``text``."""
    pairs: list[tuple[str, str]] = []
    pos = 0
    while True:
        start = text.find("Action:", pos)
        if start < 0:
            return pairs
        found = _action_input_at(text, start)
        if found is None:
            pos = start + 1
            continue
        pairs.append(found[:2])
        pos = found[2]


def json_fence_body(text: str) -> str | None:
    """The stripped body of ``text`` fenced as ```` ```json … ``` ```` (or a bare ```` ``` ````),
    or None when it is not one fence; ``text`` is stripped."""
    if len(text) < 6 or not text.startswith("```") or not text.endswith("```"):
        return None
    body = text[3:-3]
    if body.startswith("json"):
        body = body[4:]
    return body.strip()
