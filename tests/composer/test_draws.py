"""``below``: what random.Random draws below a bound, as the engine and the time pools draw it."""

import random

from twinchat.composer.draws import below


def test_below_draws_what_randrange_and_choice_draw():
    """below(getrandbits, n) is rng.randrange(n), and the index rng.choice draws among n items (1
    included, powers of two and their neighbours), with the RNG state after it the same."""
    for n in (1, 2, 3, 5, 7, 8, 9, 28, 990, 1023, 1024, 1025, 2**40 + 3):
        for seed in range(200):
            fast, slow, chosen = random.Random(seed), random.Random(seed), random.Random(seed)
            got = below(fast.getrandbits, n)
            assert got == slow.randrange(n), (n, seed)
            if n < 2000:
                assert got == chosen.choice(range(n)), (n, seed)
                assert chosen.getstate() == fast.getstate()
            assert fast.getstate() == slow.getstate(), (n, seed)
