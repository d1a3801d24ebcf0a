"""Surface noise on user turns: how real customers type, drawn from the sample's seeded stream.

A unit or a flow may say ``noise: {rate: 0.2, kinds: [punctuation, emoji, typo, abbreviation,
spaces]}`` (``twinchat generate/compose --noise RATE`` sets the rate for a run). Each user text
is noised with probability ``rate``; a noised text gets one change of one kind drawn among
``kinds``:

* ``punctuation`` — a punctuation mark left out, or an ASCII one typed full-width (, → ，);
* ``emoji`` — an emoji at the end (😊 🙏 …);
* ``typo`` — one character typed as a homophone or a look-alike (的 → 得, 在 → 再; see
  :mod:`.noise_data`);
* ``abbreviation`` — a word typed as the pinyin initials customers use in shop chats (客服 → kf);
* ``spaces`` — a space typed between two characters.

Noise never touches the text of a slot value or of a labelled value, nor the character next to
one (a typo after 今晚8点 could make it another time): labels keep their canonical values and
verification still finds each of them in the noised text. With rate 0 nothing is drawn, so the
output is the same as without the layer.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from twinchat.composer.engine.noise_data import ABBREVIATIONS, CONFUSIONS, EMOJI, FULLWIDTH_PUNCTUATION, \
    PUNCTUATION

__all__ = ["KINDS", "NoiseLayer", "noise_layer", "protected_texts"]

_MARKS = PUNCTUATION | set(FULLWIDTH_PUNCTUATION)

#: The kinds of noise, in the order they are drawn from.
KINDS = ("punctuation", "emoji", "typo", "abbreviation", "spaces")


@dataclass(frozen=True)
class NoiseLayer:
    """Noise of ``rate`` (0–1) of the ``kinds`` named (all when empty)."""

    rate: float
    kinds: tuple[str, ...] = KINDS

    def apply(self, text: str, protected: Iterable[str], rng: random.Random) -> str:
        """``text`` noised (or as it is), never changing ``protected`` texts or a character next to one."""
        if rng.random() >= self.rate or not text:
            return text
        kind = self.kinds[int(rng.random() * len(self.kinds))]
        free = _free(text, protected)
        return _CHANGES[kind](text, free, rng)


def noise_layer(spec: Any, rate: float | None = None) -> NoiseLayer | None:
    """The layer of a unit's or flow's ``noise`` spec, its rate replaced by ``rate`` when given;
    None when nothing would be noised (no spec and no rate, or a rate of 0)."""
    if rate is None and spec is None:
        return None
    kinds = tuple(spec.kinds) if spec is not None else KINDS
    layer = NoiseLayer(spec.rate if rate is None else rate, kinds)
    return layer if layer.rate > 0 else None


def protected_texts(label: Mapping[str, Any], slots: Mapping[str, Any]) -> set[str]:
    """The texts noise must leave as they are: labelled values and slot values as written."""
    out: set[str] = set()
    _texts(label, out, 3)
    _texts(slots, out, 3)
    return out


def _texts(value: Any, out: set[str], depth: int) -> None:
    if isinstance(value, str):
        out.add(value)
    elif isinstance(value, Mapping):
        if depth:
            for v in value.values():
                _texts(v, out, depth - 1)
    elif isinstance(value, (list, tuple)):
        if depth:
            for v in value:
                _texts(v, out, depth - 1)
    elif value is not None and not isinstance(value, (bool, int, float)):
        out.add(str(value))  # a slot value: its text as written
        data = getattr(value, "data", None)
        if isinstance(data, Mapping) and depth:
            _texts(data, out, depth - 1)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        out.add(str(value))


def _free(text: str, protected: Iterable[str]) -> list[bool]:
    """Per character: whether noise may change it (not in, nor next to, a protected text)."""
    free = [True] * len(text)
    for value in protected:
        if not value:
            continue
        start = text.find(value)
        while start >= 0:
            for i in range(max(start - 1, 0), min(start + len(value) + 1, len(text))):
                free[i] = False
            start = text.find(value, start + 1)
    return free


def _pick(rng: random.Random, items: Sequence[int]) -> int:
    return items[int(rng.random() * len(items))]


def _punctuation(text: str, free: list[bool], rng: random.Random) -> str:
    marks = [i for i, c in enumerate(text) if free[i] and c in _MARKS]
    if not marks:
        return text
    i = _pick(rng, marks)
    wide = FULLWIDTH_PUNCTUATION.get(text[i])
    if wide is not None and rng.random() < 0.5:
        return text[:i] + wide + text[i + 1:]
    return text[:i] + text[i + 1:]


def _emoji(text: str, free: list[bool], rng: random.Random) -> str:
    return text + EMOJI[int(rng.random() * len(EMOJI))]


def _typo(text: str, free: list[bool], rng: random.Random) -> str:
    spots = [i for i, c in enumerate(text) if free[i] and c in CONFUSIONS]
    if not spots:
        return text
    i = _pick(rng, spots)
    options = CONFUSIONS[text[i]]
    return text[:i] + options[int(rng.random() * len(options))] + text[i + 1:]


def _abbreviation(text: str, free: list[bool], rng: random.Random) -> str:
    spots = [(i, word) for word in ABBREVIATIONS for i in _finds(text, word) if all(free[i:i + len(word)])]
    if not spots:
        return text
    i, word = spots[int(rng.random() * len(spots))]
    return text[:i] + ABBREVIATIONS[word] + text[i + len(word):]


def _spaces(text: str, free: list[bool], rng: random.Random) -> str:
    gaps = [i for i in range(1, len(text)) if free[i - 1] and free[i] and not text[i - 1].isspace()
            and not text[i].isspace()]
    if not gaps:
        return text
    i = _pick(rng, gaps)
    return text[:i] + " " + text[i:]


def _finds(text: str, word: str) -> list[int]:
    out, start = [], text.find(word)
    while start >= 0:
        out.append(start)
        start = text.find(word, start + 1)
    return out


_CHANGES = {"punctuation": _punctuation, "emoji": _emoji, "typo": _typo, "abbreviation": _abbreviation,
            "spaces": _spaces}
