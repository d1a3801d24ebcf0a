"""What a paraphrased template must keep: the same placeholders, no copied wording, no new numbers.

Both the original and the candidate are parsed in the sandbox and compared on their Jinja2 ASTs:

* every ``{{ expr }}`` node (the whole expression: variable, attribute and item access, filters
  with their arguments) is keyed by the AST's own ``repr`` — whitespace and quoting do not
  matter, ``{{ addr.city }}`` and ``{{addr.city}}`` are the same, ``{{ phone|spaced }}`` and
  ``{{ phone }}`` are not — and the two multisets must be equal: nothing lost, invented or
  altered, each used as many times as in the original;
* ``{% %}`` statements are compared the same way (their tests and loop targets), bodies aside;
* the numbers written in the literal text (outside placeholders) must be ones the original
  writes too: a model that "helpfully" adds a phone number or a quantity changes the data.

Near-duplicates are found on a normal form: every placeholder becomes one private-use character
(the same one for the same expression), then NFKC (full-width → half-width), lower case, and all
punctuation, whitespace and control characters are dropped. Two normal forms are near-duplicates
when ``difflib.SequenceMatcher`` gives a ratio of at least :data:`NEAR_DUPLICATE` (0.9): in a
short Chinese template that is one or two characters changed (``怎么办`` → ``该怎么办``).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

__all__ = ["Shape", "shape_of", "compare_shapes", "fold_template_for_similarity", "similarity", "NEAR_DUPLICATE", "clean_reply",
           "strip_think", "unfence", "length_problem", "CANDIDATE_GROWTH", "MAX_CANDIDATE_CHARS"]

#: Similarity (0–1) from which a candidate counts as a near-duplicate.
NEAR_DUPLICATE = 0.9
#: A candidate may be at most this many times as long as the template it rewrites…
CANDIDATE_GROWTH = 4
#: …and never longer than this many characters.
MAX_CANDIDATE_CHARS = 2000

_BLOCK = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)
_STMT = re.compile(r"\{%-?.*?-?%\}", re.S)
_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_DIGITS = re.compile(r"\d+")
_PRIVATE = 0xE000


@dataclass(frozen=True)
class Shape:
    """The parts of a template a paraphrase must keep, keyed by AST."""

    placeholders: Counter[str]   # AST key → how many times it is output
    bases: dict[str, str]        # AST key → AST key of the expression under its filters
    shown: dict[str, str]        # AST key → the expression as written (for messages)
    statements: Counter[str]     # AST key of each {% %} statement (bodies aside)
    sequence: tuple[str, ...]    # AST key of each {{ }} block, in the order written
    literal: str                 # the text outside placeholders, statements and comments


def _key(node: nodes.Node) -> str:
    return repr(node)


def _base(node: nodes.Node) -> nodes.Node:
    while isinstance(node, nodes.Filter) and node.node is not None:
        node = node.node
    return node


def shape_of(env: SandboxedEnvironment, source: str) -> Shape:
    """The shape of ``source``; raises :class:`jinja2.TemplateSyntaxError` when it does not parse."""
    ast = env.parse(source)
    placeholders: Counter[str] = Counter()
    bases: dict[str, str] = {}
    for output in ast.find_all(nodes.Output):
        for child in output.nodes:
            if isinstance(child, nodes.TemplateData):
                continue
            key = _key(child)
            placeholders[key] += 1
            bases[key] = _key(_base(child))
    statements: Counter[str] = Counter()
    for stmt in ast.find_all(nodes.Stmt):
        if isinstance(stmt, nodes.Output):
            continue
        fields = {f: getattr(stmt, f) for f in stmt.fields if f not in ("body", "else_", "elif_")}
        statements[f"{type(stmt).__name__}{fields!r}"] += 1
    shown: dict[str, str] = {}
    sequence: list[str] = []
    for m in _BLOCK.finditer(source):
        key = "?" + m.group(1)
        try:
            expr = env.parse("{{ " + m.group(1) + " }}").body[0]
        except jinja2.TemplateSyntaxError:  # pragma: no cover - "}}" inside a string literal
            expr = None
        if isinstance(expr, nodes.Output) and len(expr.nodes) == 1:
            key = _key(expr.nodes[0])
        sequence.append(key)
        shown.setdefault(key, m.group(1))
    literal = _BLOCK.sub(" ", _STMT.sub(" ", _COMMENT.sub(" ", source)))
    return Shape(placeholders, bases, shown, statements, tuple(sequence), literal)


def length_problem(original: str, candidate: str) -> str | None:
    """Why ``candidate`` is too long to be a rewrite of ``original`` (None when it is not).

    Checked before anything parses or compares the candidate, so every later check (the Jinja2
    lexer, the near-duplicate ratio) runs on text of a bounded size."""
    size, base = len(candidate.strip()), len(original.strip())
    limit = min(MAX_CANDIDATE_CHARS, CANDIDATE_GROWTH * base)
    if size <= limit:
        return None
    return (f"is {size:,} characters long, more than {limit:,} ({CANDIDATE_GROWTH}× the original's {base:,}, "
            f"at most {MAX_CANDIDATE_CHARS:,})")


def _show(key: str, *shapes: Shape) -> str:
    for shape in shapes:
        if key in shape.shown:
            return "{{ " + shape.shown[key] + " }}"
    return key


def compare_shapes(original: Shape, candidate: Shape) -> tuple[str, str] | None:
    """``(code, reason)`` when the candidate does not keep the original's shape; None when it does.

    Codes: ``altered`` (a placeholder's filters or arguments changed), ``invented`` (a placeholder
    the original does not have), ``lost`` (one dropped, or used fewer times), ``statements``,
    ``numbers`` (the literal text writes a number the original does not).
    """
    missing = original.placeholders - candidate.placeholders
    extra = candidate.placeholders - original.placeholders
    problems: list[tuple[str, str]] = []
    for key in sorted(extra):
        for _ in range(extra[key]):
            twin = next((m for m in sorted(missing) if missing[m] and original.bases[m] == candidate.bases[key]),
                        None)
            if twin is not None:
                missing[twin] -= 1
                extra[key] -= 1
                problems.append(("altered", f"changes {_show(twin, original)} to {_show(key, candidate)}"))
    def recount(key: str) -> str:
        return (f"uses {_show(key, original)} {candidate.placeholders[key]} time(s) "
                f"instead of {original.placeholders[key]}")

    for key in sorted(+extra):
        both = key in original.placeholders
        problems.append(("invented", recount(key) if both else f"invents {_show(key, candidate)}"))
    for key in sorted(+missing):
        both = key in candidate.placeholders
        problems.append(("lost", recount(key) if both else f"drops {_show(key, original)}"))
    if problems:
        order = {"invented": 0, "altered": 1, "lost": 2}
        problems.sort(key=lambda p: order[p[0]])
        return problems[0][0], "; ".join(text for _, text in problems)
    if original.statements != candidate.statements:
        return "statements", "changes the template's {% %} tags (keep them as in the original)"
    known = set(_DIGITS.findall(unicodedata.normalize("NFKC", original.literal)))
    new = [d for d in _DIGITS.findall(unicodedata.normalize("NFKC", candidate.literal)) if d not in known]
    if new:
        return "numbers", f"writes the number {new[0]} that the original does not (numbers come from slots)"
    return None


def fold_template_for_similarity(source: str, shape: Shape, codes: dict[str, str]) -> str:
    """Template ``source`` as the near-duplicate check compares it: each placeholder as one
    private-use character, comments and statements dropped, NFKC, lower case, and without
    punctuation, whitespace or control characters.

    A paraphrase too close to the original or to another paraphrase adds nothing; what a
    placeholder renders to, and how the text is punctuated, must not hide that. ``codes`` (AST
    key → character) is shared by everything compared, so the same expression gets the same
    character everywhere."""
    out: list[str] = []
    pos = 0
    for m, key in zip(_BLOCK.finditer(source), shape.sequence):
        out.append(source[pos:m.start()])
        if key not in codes:
            codes[key] = chr(_PRIVATE + len(codes))
        out.append(codes[key])
        pos = m.end()
    out.append(source[pos:])
    text = unicodedata.normalize("NFKC", _STMT.sub("", _COMMENT.sub("", "".join(out)))).lower()
    return "".join(c for c in text if "\ue000" <= c <= "\uf8ff" or unicodedata.category(c)[0] not in "PZC")


def similarity(a: str, b: str) -> float:
    """Character-level similarity of two normal forms (difflib ratio, 0–1)."""
    if a == b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


_QUOTES = [('"', '"'), ("'", "'"), ("“", "”"), ("「", "」"), ("`", "`")]


def strip_think(text: str) -> str:
    """``text`` without its ``<think>…</think>`` blocks (each to the first closing tag after it).

    A plain scan, linear in the length of the text: a reply is untrusted, and a regular
    expression with a lazy ``.*?`` between the tags is quadratic on ``"<think>" * n``."""
    out: list[str] = []
    pos = 0
    while True:
        start = text.find("<think>", pos)
        end = text.find("</think>", start + 7) if start >= 0 else -1
        if end < 0:
            break
        out.append(text[pos:start])
        pos = end + 8
    out.append(text[pos:])
    return "".join(out)


def unfence(text: str) -> str | None:
    """The body of a reply that is one code fence (a line opening with ```` ```lang ````, the
    last three characters ```` ``` ````), or None; ``text`` is stripped. Linear, like
    :func:`strip_think`."""
    if not text.startswith("```") or not text.endswith("```"):
        return None
    pos = 3
    while pos < len(text) and (text[pos].isalnum() or text[pos] in "_-"):
        pos += 1
    space = pos
    while space < len(text) and text[space].isspace():
        space += 1
    newline = text.rfind("\n", pos, space)
    if newline < 0:
        return None
    body = text[newline + 1:-3]
    return body[:-1] if body.endswith("\n") else body


def clean_reply(content: str) -> str:
    """The template in a model's reply: without a reasoning block, a code fence or wrapping quotes."""
    text = strip_think(content).strip()
    fence = unfence(text)
    if fence is not None:
        text = fence.strip()
    for left, right in _QUOTES:
        if len(text) >= 2 and text.startswith(left) and text.endswith(right) and text.count(left) == (
                1 if left != right else 2):
            text = text[1:-1].strip()
            break
    return text
