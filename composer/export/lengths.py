"""Token lengths of the exported examples, and the ``cutoff_len`` that keeps every one whole.

Each record is laid out as a chat template does it (the format's ``render``, see
:mod:`~twinchat.composer.export.formats.chatml`) and counted with a local Hugging Face tokenizer
(``tokenizer.json``, read with the ``tokenizers`` library: ``pip install 'twinchat[tokens]'``), or,
without one, *estimated*: one token per CJK character, digit or symbol, and a quarter token per
Latin letter. The estimate runs high for Chinese-heavy text with the common tokenizers (Qwen's, for one),
so a cutoff set from it still keeps every example whole; it is labelled as an estimate wherever shown.

The cutoff is the longest example plus :data:`MARGIN` tokens (another template's markup, the end
token), rounded up to a multiple of :data:`ROUND`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twinchat.composer.export.formats.base import ExportError

__all__ = ["Lengths", "MARGIN", "ROUND", "TokenCounter", "card_lines", "open_counter", "percentile"]

#: Tokens added to the longest example for markup a template adds beyond ChatML's.
MARGIN = 16
#: The cutoff is rounded up to a multiple of this.
ROUND = 64

_SPACE_BYTES = b" \t\n\r\x0b\x0c"
_LETTER_BYTES = bytes(range(ord("A"), ord("Z") + 1)) + bytes(range(ord("a"), ord("z") + 1))


class TokenCounter:
    """Counts the tokens of a text: ``tokenizer.json`` if given, else the estimate (module docstring)."""

    def __init__(self, tokenizer: Any = None, name: str = "estimate") -> None:
        self._tokenizer = tokenizer
        #: the tokenizer's file name, or ``"estimate"``
        self.name = name

    @property
    def estimate(self) -> bool:
        return self._tokenizer is None

    def count(self, text: str) -> int:
        if not text:
            return 0
        if self._tokenizer is not None:
            return len(self._tokenizer.encode(text, add_special_tokens=False).ids)
        ascii_part = text.encode("ascii", "ignore")
        shown = ascii_part.translate(None, _SPACE_BYTES)
        symbols = shown.translate(None, _LETTER_BYTES)
        letters = len(shown) - len(symbols)
        return len(text) - len(ascii_part) - text.count("\u3000") + len(symbols) + (letters + 3) // 4


def open_counter(path: str | None) -> TokenCounter:
    """The counter of tokenizer file ``path`` (a ``tokenizer.json``), or the estimate if None."""
    if path is None:
        return TokenCounter()
    try:
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise ExportError("--tokenizer needs the tokenizers library: pip install 'twinchat[tokens]'") from exc
    file = Path(path)
    if file.is_dir():
        file = file / "tokenizer.json"
    if not file.is_file():
        raise ExportError(f"{file}: no such tokenizer file (a Hugging Face tokenizer.json)")
    try:
        tokenizer = Tokenizer.from_file(str(file))
    except Exception as exc:  # tokenizers raises its own Exception type for any unreadable file
        raise ExportError(f"{file}: not a Hugging Face tokenizer.json ({' '.join(str(exc).split())[:120]})") \
            from exc
    return TokenCounter(tokenizer, file.name)


def percentile(values: Sequence[int], share: float) -> int:
    """The nearest-rank percentile of sorted ``values`` (0 for none)."""
    if not values:
        return 0
    return values[max(0, math.ceil(share * len(values)) - 1)]


def _cutoff(longest: int) -> int:
    return math.ceil((longest + MARGIN) / ROUND) * ROUND


@dataclass
class Lengths:
    """Token lengths of the examples of each split, and of their prefix (system prompt and tools)."""

    counter: TokenCounter
    #: the splits written, in order
    splits: Sequence[str] = ()
    whole: dict[str, list[int]] = field(default_factory=dict)
    prefix: dict[str, list[int]] = field(default_factory=dict)
    _prefixes: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for split in self.splits:
            self.whole.setdefault(split, [])
            self.prefix.setdefault(split, [])

    def add(self, split: str, rendered: tuple[str, str]) -> None:
        """Count one record, as its format's ``render`` gives it (prefix, whole)."""
        self.add_counts(split, *self.measure(rendered))

    def measure(self, rendered: tuple[str, str]) -> tuple[int, int]:
        """The tokens of a record's prefix and of the whole record (``rendered`` as :meth:`add` takes it),
        counted before the record's split is known (see :meth:`add_counts`)."""
        prefix, whole = rendered
        if prefix not in self._prefixes:  # a prefix recurs (per flow and clock): counted once
            self._prefixes[prefix] = self.counter.count(prefix)
        return self._prefixes[prefix], self.counter.count(whole)

    def add_counts(self, split: str, prefix: int, whole: int) -> None:
        """Count one record of ``split`` by its :meth:`measure`."""
        self.prefix.setdefault(split, []).append(prefix)
        self.whole.setdefault(split, []).append(whole)

    def summary(self) -> dict[str, Any]:
        """Per split: examples, p50/p95/max tokens, prefix p50/max; the cutoff keeping all whole."""
        splits = {}
        for split, values in self.whole.items():
            whole, prefix = sorted(values), sorted(self.prefix[split])
            splits[split] = {"examples": len(whole), "p50": percentile(whole, 0.5), "p95": percentile(whole, 0.95),
                             "max": whole[-1] if whole else 0, "prefix_p50": percentile(prefix, 0.5),
                             "prefix_max": prefix[-1] if prefix else 0}
        longest = max((s["max"] for s in splits.values()), default=0)
        return {"tokenizer": self.counter.name, "estimate": self.counter.estimate, "splits": splits,
                "cutoff_len": _cutoff(longest), "margin": MARGIN}

    def warnings(self) -> list[str]:
        """A warning when the prefix is more than half the median example (of all splits together)."""
        whole = sorted(v for values in self.whole.values() for v in values)
        prefix = sorted(v for values in self.prefix.values() for v in values)
        median, head = percentile(whole, 0.5), percentile(prefix, 0.5)
        if whole and head * 2 > median:
            what = "estimated " if self.counter.estimate else ""
            return [f"the system prompt and tools ({what}median {head:,} tokens) are more than half of the median "
                    f"example ({median:,} tokens): most of what the model reads is the same prefix"]
        return []


def card_lines(tokens: Mapping[str, Any]) -> list[str]:
    """The dataset card's section on token lengths (``tokens`` as :meth:`Lengths.summary` gives it)."""
    how = ("estimated (no --tokenizer: one token per CJK character, digit or symbol, a quarter per Latin "
           "letter)" if tokens["estimate"] else f"counted with `{tokens['tokenizer']}`")
    rows = [f"| {s} | {v['examples']:,} | {v['p50']:,} | {v['p95']:,} | {v['max']:,} | {v['prefix_p50']:,} |"
            for s, v in tokens["splits"].items()]
    return ["## Token lengths", "",
            f"Tokens per example, {how}, with each record laid out as a ChatML chat template (Qwen's) "
            "does it; the prefix is the system prompt with the tools every example starts with.", "",
            "| split | examples | p50 | p95 | max | prefix p50 |", "|---|---|---|---|---|---|", *rows, "",
            f"`cutoff_len: {tokens['cutoff_len']}` keeps every example whole (the longest, plus "
            f"{tokens['margin']} tokens for other templates' markup, rounded up to a multiple of {ROUND})"
            + (" — an estimate; count with `--tokenizer` for the model's own number." if tokens["estimate"] else
               "."), ""]
