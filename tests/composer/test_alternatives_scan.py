"""The alternatives parser reads plain runs and Jinja tags with regular expressions: it gives what
reading one character at a time gives (the reference below), on every built-in text and on texts
made of the characters it treats apart, errors included."""

from __future__ import annotations

import random

from twinchat.composer.engine import alternatives as alt
from twinchat.composer.engine.alternatives import AlternativesError, parse_alternatives
from twinchat.units.loader import load_units


def _tag_end_reference(text: str, pos: int) -> int:
    raw = alt._RAW.match(text, pos)
    if raw:
        return raw.end()
    close, i, quote = alt._CLOSE[text[pos:pos + 2]], pos + 2, None
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif text.startswith(close, i):
            return i + 2
        i += 1
    return len(text)


def _parse_reference(text: str) -> alt.Alternatives:
    root: list = []
    stack: list = []
    current, count, i, plain, buf = root, 0, 0, True, []

    def flush() -> None:
        if buf:
            current.append("".join(buf))
            buf.clear()

    while i < len(text):
        c = text[i]
        if text.startswith(("{{", "{%", "{#"), i):
            flush()
            end = _tag_end_reference(text, i)
            current.append(alt._Tag(text[i:end]))
            i = end
            continue
        if c == "\\" and i + 1 < len(text) and text[i + 1] in alt._ESCAPED:
            buf.append(text[i + 1])
            if text[i + 1] == "@":
                flush()
                current.append("")
            plain, i = False, i + 2
            continue
        if c == "[":
            flush()
            stack.append((i, count, [], current))
            count, current = count + 1, []
            plain = False
        elif c == "|" and stack:
            flush()
            stack[-1][2].append(alt._branch(text, current, i))
            current = []
        elif c == "]":
            if not stack:
                raise AlternativesError(text, i, "']' closes no '[' (write \\] for the character)")
            flush()
            at, index, branches, outer = stack.pop()
            branches.append(alt._branch(text, current, i))
            if len(branches) < 2:
                raise AlternativesError(text, at, "'[…]' has one branch: write [a|b] for alternatives, "
                                        "[a|] for an optional part, or \\[ \\] for the characters")
            weights = tuple(w for _, w in branches)
            outer.append(alt._Group(index, tuple(b for b, _ in branches), weights))
            current = outer
        else:
            buf.append(c)
        i += 1
    if stack:
        raise AlternativesError(text, stack[-1][0], "'[' is never closed (write \\[ for the character)")
    flush()
    return alt._made(text, tuple(root), count, plain)


def _both(text: str) -> tuple[object, object]:
    out = []
    for parse in (parse_alternatives, _parse_reference):
        try:
            out.append(parse(text))
        except AlternativesError as exc:
            out.append(("error", str(exc)))
    return out[0], out[1]


def test_every_builtin_text_parses_as_read_one_character_at_a_time():
    texts = {t.text for src in load_units().values() for t in src.unit.templates}
    texts |= {r for src in load_units().values() for rs in src.unit.replies.values() for r in rs}
    assert len(texts) > 500
    grouped = 0
    for text in texts:
        fast, slow = _both(text)
        assert fast == slow, text
        grouped += bool(getattr(fast, "groups", ()))
    assert grouped > 50


def test_texts_of_the_special_characters_parse_as_read_one_character_at_a_time():
    pieces = ["{", "}", "{{", "}}", "{%", "%}", "{#", "#}", "[", "]", "|", "\\", "'", '"', "@", "@2", "@0",
              "a", "好", " ", "\n", "{% raw %}", "{% endraw %}", "x.y", "-", "%", "#"]
    rng = random.Random(0)
    errors = 0
    for _ in range(30000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 14)))
        fast, slow = _both(text)
        assert fast == slow, text
        errors += isinstance(fast, tuple)
        for pos in range(len(text)):
            if text.startswith(("{{", "{%", "{#"), pos):
                assert alt._tag_end(text, pos) == _tag_end_reference(text, pos), (text, pos)
    assert 1000 < errors < 29000
    edges = ["{{ '\\\n' }}[a|b]", "{{ 'a\\' }}[a|b]", '{{ "x\\"" }}|]', "{{ 'unclosed [a|b]", "{{ a }[a|b]",
             "{% raw %}[x|y]{% endraw %}[a|b]", "{{ '}}' }}[a|b]", "{# '#} #}[a|]", "{% if a %}[x|y]{% endif %}"]
    for text in edges:
        fast, slow = _both(text)
        assert fast == slow, text
        assert alt._tag_end(text, 0) == _tag_end_reference(text, 0), text
