"""Counters behind ``twinchat stats``: distinct character n-grams, and counts sorted for printing."""

from __future__ import annotations

from collections import Counter

__all__ = ["NGrams", "sorted_counts"]


class NGrams:
    """Distinct and total character n-grams, fed one text at a time."""

    def __init__(self, n: int) -> None:
        self.n, self.total = n, 0
        self.seen: set[str] = set()

    def add(self, chars: str) -> None:
        n = self.n
        count = len(chars) - n + 1
        if count <= 0:
            return
        self.total += count
        self.seen.update(chars[i:i + n] for i in range(count))

    @property
    def ratio(self) -> float:
        return len(self.seen) / self.total if self.total else 0.0


def sorted_counts(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))
