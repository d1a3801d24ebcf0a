"""Text helpers shared by export and evaluation: normalisation, tokens, ROUGE-L.

``fold_for_similarity`` is what "near-duplicate" means in an export and what "the same string" means when a
function-call argument is scored: NFKC (full-width → half-width), case folded, whitespace and
punctuation dropped. ``rouge_l`` scores a free-text reply against its reference by the longest
common subsequence of tokens, where every CJK character is a token of its own (character-level
ROUGE-L, the usual measure for Chinese) and a run of Latin letters or digits is one token.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["fold_for_similarity", "tokens", "lcs_length", "rouge_l", "Rouge"]

_WORD = re.compile(r"[A-Za-z0-9]+|\S")


class _Dropped(dict):  # type: ignore[type-arg]
    """A ``str.translate`` table, filled as characters are met: spaces, punctuation, symbols → None."""

    def __missing__(self, code: int) -> int | None:
        ch = chr(code)
        kept = None if ch.isspace() or unicodedata.category(ch)[0] in "PS" else code
        self[code] = kept
        return kept


_DROPPED = _Dropped()


def fold_for_similarity(text: str) -> str:
    """``text`` NFKC-normalised and case folded, without whitespace, punctuation or symbols.

    Two texts with the same fold say the same thing in different dress: an export counts them as
    near-duplicates, and scoring counts a predicted argument equal to the gold one. Punctuation and
    symbols go because they do not change what is said (深圳市,南山区 = 深圳市 南山区)."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_DROPPED)


def tokens(text: str) -> list[str]:
    """ROUGE tokens: each CJK character (any non-space character) alone, Latin words and numbers whole.

    Text is NFKC-normalised and case folded first, so ``ＡＢＣ`` and ``abc`` are the same tokens.
    """
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence of two token lists (O(len(a)·len(b)), one row kept)."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


@dataclass(frozen=True)
class Rouge:
    """ROUGE-L of a candidate against a reference."""

    precision: float
    recall: float
    f1: float


def rouge_l(candidate: str, reference: str) -> Rouge:
    """Character-level ROUGE-L (F1 with β = 1); two empty texts score 1, one empty text 0."""
    cand, ref = tokens(candidate), tokens(reference)
    if not cand and not ref:
        return Rouge(1.0, 1.0, 1.0)
    lcs = lcs_length(cand, ref)
    if lcs == 0:
        return Rouge(0.0, 0.0, 0.0)
    p, r = lcs / len(cand), lcs / len(ref)
    return Rouge(p, r, 2 * p * r / (p + r))
