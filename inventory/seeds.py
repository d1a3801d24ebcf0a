"""The RNG of each area of the world, derived from the world's seed and the area's name.

Dependency rule: this module imports nothing of twinchat's. Each area drawn from the seed
(servicedesk, orders) draws from its own RNG, so adding rows to one area never reshuffles
another; :mod:`twinchat.inventory.build` runs the areas, they only import this. (The catalog, its
warehouses and stock are files, the same for every seed.)
"""

from __future__ import annotations

import random

__all__ = ["area_rng"]


def area_rng(seed: int, area: str) -> random.Random:
    """The RNG of one area of the world (string seeds are stable across runs and platforms)."""
    return random.Random(f"twinchat/{area}/{seed}")
