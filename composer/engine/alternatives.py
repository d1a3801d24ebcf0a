"""Inline alternatives in unit templates: ``[在吗|你好|亲,|]`` says one of its branches.

In template text outside Jinja tags, ``[a|b|c]`` picks one branch; an empty branch makes the
part optional (``[麻烦问下|]``); branches may hold ``{{ … }}`` expressions and alternatives of their
own; ``\\[``, ``\\]``, ``\\|`` and ``\\@`` are the characters themselves. A branch ending in ``@N``
(a number above 0) weighs N; the others weigh 1 (``[在吗@3|你好|]``: 在吗 three times as often as
each other branch). Brackets inside ``{{ }}``, ``{% %}`` and ``{# #}`` are Jinja's own.

:func:`parse_alternatives` reads a template once, when its unit is loaded, and writes it as plain Jinja: each
group of alternatives becomes an ``if``/``elif`` on one item of the tuple :data:`CHOICES`, which
the caller puts in the context (drawn with :meth:`Alternatives.draw` from the sample's RNG). So a
template renders through the one compiled path, with no parsing when it renders; a template
without alternatives is returned as it is and draws nothing.
"""

from __future__ import annotations

import itertools
import math
import re
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from random import Random
from typing import Any, Union

from twinchat.composer.errors import ComposerError

__all__ = ["CHOICES", "Alternatives", "AlternativesError", "parse_alternatives", "mentioned"]

#: The context variable holding a rendering's choices (one branch index per group, in the order
#: the groups open in the text).
CHOICES = "_twinchat_alternatives"

_ESCAPED = "[]|@"
_CLOSE = {"{{": "}}", "{%": "%}", "{#": "#}"}
_WEIGHT = re.compile(r"@([0-9][0-9.]*)$")
_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\}", re.S)
#: per tag opening: its next quote (group 1) or its close; per quote: the rest of a quoted string
_TAG_SCAN = {opening: re.compile(r"""(['"])|""" + re.escape(close)) for opening, close in _CLOSE.items()}
_QUOTED = {q: re.compile(rf"(?:[^{q}\\]|\\.)*{q}", re.S) for q in "'\""}
#: a run of characters the parser keeps as they are (none of { \ [ | ])
_PLAIN_RUN = re.compile(r"[^{\\\[\]|]+")


class AlternativesError(ComposerError):
    """A template's alternatives are malformed (the message names the line and column)."""

    def __init__(self, text: str, pos: int, problem: str) -> None:
        self.line = text.count("\n", 0, pos) + 1  # within the template
        self.column = pos - (text.rfind("\n", 0, pos) + 1) + 1
        self.problem = problem
        super().__init__(f"line {self.line}, column {self.column}: {problem}")


@dataclass(frozen=True)
class _Tag:
    text: str  # a Jinja tag, as written


@dataclass(frozen=True)
class _Group:
    index: int  # its place among the template's groups (the order they open in)
    branches: tuple[tuple[_Node, ...], ...]
    weights: tuple[float, ...]


_Node = Union[str, _Tag, _Group]


@dataclass(frozen=True)
class Alternatives:
    """A template read for alternatives: its Jinja ``source`` (the text itself when it has none)
    and, per group, its branches' cumulative weights (None when they weigh the same)."""

    source: str
    groups: tuple[tuple[int, tuple[float, ...] | None], ...]
    tree: tuple[_Node, ...]

    def draw(self, rng: Random) -> tuple[int, ...]:
        """One choice per group, drawn from ``rng`` (one ``random()`` per group, in group order)."""
        groups = self.groups
        if len(groups) == 1:  # most templates with alternatives have one group: no generator for it
            n, cum = groups[0]
            return (int(rng.random() * n) if cum is None else bisect(cum, rng.random() * cum[-1], 0, n - 1),)
        return tuple(int(rng.random() * n) if cum is None else bisect(cum, rng.random() * cum[-1], 0, n - 1)
                     for n, cum in groups)

    def scope(self, context: dict[str, Any], choices: tuple[int, ...]) -> dict[str, Any]:
        """``context`` with the choices the Jinja source reads."""
        return {**context, CHOICES: choices}

    @property
    def variants(self) -> int:
        """How many different texts the alternatives give (nested branches counted apart)."""
        return _count(self.tree)

    def combinations(self, limit: int | None = None) -> Iterator[tuple[int, ...]]:
        """Every variant's choices (groups in branches not taken stay at 0); the first ``limit``."""
        for picks in itertools.islice(_walk(self.tree), limit):
            choices = [0] * len(self.groups)
            for index, branch in picks:
                choices[index] = branch
            yield tuple(choices)


def _count(seq: tuple[_Node, ...]) -> int:
    return math.prod(sum(_count(b) for b in node.branches) for node in seq if isinstance(node, _Group))


def _walk(seq: tuple[_Node, ...]) -> Iterator[list[tuple[int, int]]]:
    """Every combination of the groups of ``seq``, as (group, branch) pairs taken."""
    per_group = [[[(g.index, i), *picks] for i, b in enumerate(g.branches) for picks in _walk(b)]
                 for g in seq if isinstance(g, _Group)]
    for combo in itertools.product(*per_group):
        yield [pick for picks in combo for pick in picks]


def _tag_end(text: str, pos: int) -> int:
    """The end of the Jinja tag opening at ``pos`` (quoted strings skipped, a backslash in one
    escaping the character after it); the text's end if unclosed. Regular expressions find the
    next quote or close, then the quote's end, rather than a loop reading each character."""
    raw = _RAW.match(text, pos)
    if raw:
        return raw.end()
    scan, i = _TAG_SCAN[text[pos:pos + 2]], pos + 2
    while True:
        found = scan.search(text, i)
        if found is None:
            return len(text)
        quote = found.group(1)
        if quote is None:  # the close
            return found.end()
        quoted = _QUOTED[quote].match(text, found.end())
        if quoted is None:  # never closed
            return len(text)
        i = quoted.end()


def _branch(text: str, items: list[_Node], at: int) -> tuple[tuple[_Node, ...], float]:
    """A branch's nodes and weight (a trailing ``@N`` of its last text)."""
    if items and isinstance(items[-1], str) and "@" in items[-1]:
        m = _WEIGHT.search(items[-1])
        if m:
            try:
                weight = float(m.group(1))
            except ValueError:
                weight = math.nan
            if not (math.isfinite(weight) and weight > 0):
                raise AlternativesError(text, at - (len(items[-1]) - m.start()), f"weight '@{m.group(1)}' must be a number above 0")
            items[-1] = items[-1][:m.start()]
            return tuple(i for i in items if i != ""), weight
    return tuple(items), 1.0


def parse_alternatives(text: str) -> Alternatives:
    """The template ``text`` read for alternatives; AlternativesError names line and column of a fault."""
    root: list[_Node] = []
    # open groups: (where '[' is, branches so far as (nodes, weight), the branch being read)
    stack: list[tuple[int, int, list[tuple[tuple[_Node, ...], float]], list[_Node]]] = []
    current, count, i, plain, buf = root, 0, 0, True, []

    def flush() -> None:
        if buf:
            current.append("".join(buf))
            buf.clear()

    while i < len(text):
        run = _PLAIN_RUN.match(text, i)
        if run:  # none of { \\ [ | ]: text as it is, read in one step
            buf.append(run.group())
            i = run.end()
            continue
        c = text[i]
        if text.startswith(("{{", "{%", "{#"), i):
            flush()
            end = _tag_end(text, i)
            current.append(_Tag(text[i:end]))
            i = end
            continue
        if c == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPED:
            buf.append(text[i + 1])  # weights are read from the text before escapes are: keep '@' apart
            if text[i + 1] == "@":
                flush()
                current.append("")  # ends the piece, so that a following '3' is not read as a weight
            plain, i = False, i + 2
            continue
        if c == "[":
            flush()
            stack.append((i, count, [], current))
            count, current = count + 1, []
            plain = False
        elif c == "|" and stack:
            flush()
            stack[-1][2].append(_branch(text, current, i))
            current = []
        elif c == "]":
            if not stack:
                raise AlternativesError(text, i, "']' closes no '[' (write \\] for the character)")
            flush()
            at, index, branches, outer = stack.pop()
            branches.append(_branch(text, current, i))
            if len(branches) < 2:
                raise AlternativesError(text, at, "'[…]' has one branch: write [a|b] for alternatives, "
                                        "[a|] for an optional part, or \\[ \\] for the characters")
            weights = tuple(w for _, w in branches)
            outer.append(_Group(index, tuple(b for b, _ in branches), weights))
            current = outer
        else:
            buf.append(c)
        i += 1
    if stack:
        raise AlternativesError(text, stack[-1][0], "'[' is never closed (write \\[ for the character)")
    flush()
    return _made(text, tuple(root), count, plain)


def _made(text: str, tree: tuple[_Node, ...], count: int, plain: bool) -> Alternatives:
    if plain:  # no alternatives, no escapes: the text is its own Jinja source
        return Alternatives(text, (), tree)
    groups: list[tuple[int, tuple[float, ...] | None]] = [(0, None)] * count
    for g in _groups(tree):
        same = len(set(g.weights)) == 1
        groups[g.index] = (len(g.branches), None if same else tuple(itertools.accumulate(g.weights)))
    return Alternatives(_jinja(tree), tuple(groups), tree)


def _groups(seq: tuple[_Node, ...]) -> Iterator[_Group]:
    for node in seq:
        if isinstance(node, _Group):
            yield node
            for b in node.branches:
                yield from _groups(b)


def _jinja(seq: tuple[_Node, ...]) -> str:
    """``seq`` as Jinja: a group as if/elif on its choice (``+`` keeps the whitespace around the tags)."""
    out: list[str] = []
    for node in seq:
        if isinstance(node, str):
            # a '{' just before a tag we write would open one with it: written as an expression
            out.append(node[:-1] + "{{ '{' }}" if node.endswith("{") else node)
        elif isinstance(node, _Tag):
            out.append(node.text)
        else:
            for k, branch in enumerate(node.branches):
                head = "if" if k == 0 else "elif" if k < len(node.branches) - 1 else "else"
                test = f" {CHOICES}[{node.index}] == {k}" if head != "else" else ""
                out.append(f"{{%+ {head}{test} +%}}{_jinja(branch)}")
            out.append("{%+ endif +%}")
    return "".join(out)


def mentioned(seq: tuple[_Node, ...], names: frozenset[str] | set[str]) -> tuple[set[str], set[str]]:
    """Of ``names``: those every variant's text writes in a ``{{ }}``, and those some variant does."""
    always: set[str] = set()
    some: set[str] = set()
    for node in seq:
        if isinstance(node, _Tag):
            if node.text.startswith("{{"):
                found = set(re.findall(r"[A-Za-z_]\w*", node.text)) & set(names)
                always |= found
                some |= found
        elif isinstance(node, _Group):
            parts = [mentioned(b, names) for b in node.branches]
            always |= set.intersection(*(a for a, _ in parts))
            some |= set().union(*(s for _, s in parts))
    return always, some
