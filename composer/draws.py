"""What :class:`random.Random` draws below a bound, without its frames (shared by the engine's
drawers and the time phrases' pools, on their hottest paths)."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["below"]


def below(getrandbits: Callable[[int], int], n: int) -> int:
    """What ``rng.randrange(n)`` draws, and the index ``rng.choice`` draws among ``n`` items (``n`` > 0;
    ``getrandbits`` is the rng's), without their two Python frames: bits of ``n``'s length, drawn
    again while they are ``n`` or more, as :class:`random.Random` draws below ``n``."""
    k = n.bit_length()
    r = getrandbits(k)
    while r >= n:
        r = getrandbits(k)
    return r
