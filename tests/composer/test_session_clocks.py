"""Session clocks: the tables clock_at reads give every clock as it is made from its day and minute."""

from datetime import datetime, timedelta

from twinchat.composer.engine.session_clocks import CLOCKS, clock_at
from twinchat.inventory.timefmt import format_time


def test_every_clock_is_its_day_at_seven_plus_its_minute_with_its_text():
    minutes = 16 * 60 + 30
    assert CLOCKS == 28 * minutes
    for k in range(CLOCKS):
        day, minute = divmod(k, minutes)
        expected = datetime(2026, 11, 16) + timedelta(days=day, hours=7, minutes=minute)
        assert clock_at(k) == (expected, format_time(expected)), k
    assert clock_at(CLOCKS - 1)[1].endswith(" 23:29:00")


def test_a_session_clock_is_drawn_as_two_randranges_draw_it():
    """session_clock draws its day and minute as rng.randrange draws them: the same clock and the
    same RNG state afterwards."""
    import random

    from twinchat.composer.engine.session_clocks import session_clock

    minutes = 16 * 60 + 30
    for seed in range(3000):
        fast, slow = random.Random(seed), random.Random(seed)
        got = session_clock(fast)
        assert got == clock_at(slow.randrange(28) * minutes + slow.randrange(minutes))[0], seed
        assert fast.getstate() == slow.getstate(), seed
