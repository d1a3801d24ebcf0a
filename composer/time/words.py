"""The words the phrase pool builds its phrases from: day words, clocks, minutes, periods, counts.

Plain tables, in the order the pool lists its phrases; :mod:`twinchat.composer.time.recipes`
turns them into phrases and windows at a clock. Some surface forms rotate with a *turn*, a count
that runs through a kind's phrases in order (see :data:`CLOCK_TURN`).
"""

from __future__ import annotations

from twinchat.composer.time.conventions import PART_HOURS, PARTS

__all__ = ["AFTER_DAYS", "AFTER_MINUTES", "ALL_DAYS", "BEFORE", "CLOCKS", "CLOCK_TURN", "DEADLINE_PARTS",
           "MINUTES", "NEAR_CLOCKS", "NEAR_PARTS", "N_CLOCKS", "PERIODS", "PERIOD_TURN", "SHORT_DAYS",
           "STAPLE_CLOCKS", "WEEKENDS", "WITHIN", "WITHIN_DAYS", "WITHIN_MINUTES", "cn"]

_CN_DIGITS = "零一二三四五六七八九"
_WEEKDAYS = "一二三四五六日"

#: the clocks said with a part of day: (part of day, hour as spoken, hour on the 24-hour dial)
CLOCKS: tuple[tuple[str, int, int], ...] = tuple((part, spoken, PART_HOURS[part][spoken]) for part, spoken in (
    ("凌晨", 2), ("早上", 7), ("早上", 8), ("上午", 9), ("上午", 10), ("上午", 11), ("中午", 12), ("中午", 1),
    ("下午", 2), ("下午", 3), ("下午", 5), ("傍晚", 6), ("晚上", 7), ("晚上", 8), ("晚上", 10)))
#: clock phrases always offered while ahead: (text, days from today, hour, minute, names the minute)
STAPLE_CLOCKS = (("明天上午9点", 1, 9, 0, False), ("明早8点半", 1, 8, 30, True), ("后天下午2点", 2, 14, 0, False),
                 ("今晚8:30", 0, 20, 30, True), ("明早8点", 1, 8, 0, False), ("今晚8点", 0, 20, 0, False),
                 ("今晚12点", 0, 24, 0, False))
# the clocks of today and tomorrow that follow the staples: (word, days from today, hour as spoken, dial hour)
_FUSED_CLOCKS = {"晚上": (("今晚", 0), ("明晚", 1)), "早上": (("今早", 0), ("明早", 1))}
NEAR_CLOCKS = tuple((word, offset, spoken, hour) for part, spoken, hour in CLOCKS
                    for word, offset in (*_FUSED_CLOCKS.get(part, ()), (part, 0)))
#: minute forms: (text after the hour, minute, names the minute, Arabic hour only)
MINUTES = (("点", 0, False, False), ("点半", 30, True, False), (":30", 30, True, True), ("点钟", 0, False, False),
           ("点一刻", 15, True, False), (":00", 0, True, True), ("点15分", 15, True, True))
BEFORE = ("前", "之前", "以前")
WITHIN = ("内", "之内", "以内")
#: parts of day without a day word: (text, days from today, part)
NEAR_PARTS = (("今早", 0, "早上"), ("今晚", 0, "晚上"), ("明早", 1, "早上"), ("明晚", 1, "晚上"),
              *((part, 0, part) for part in PARTS))
DEADLINE_PARTS = (("今晚", 0, "晚上"), ("今天下午", 0, "下午"), ("明天上午", 1, "上午"), ("明早", 1, "早上"),
                  ("后天下午", 2, "下午"))
#: periods: (word, span, suffixes that make a deadline of it); X前 runs from now, X内 is X itself
PERIODS = (("今天", "today", WITHIN), ("这周", "week", WITHIN), ("本周", "week", WITHIN),
           ("下周", "next week", WITHIN), ("这个月", "month", WITHIN), ("本月", "month", WITHIN),
           ("月底", "month end", BEFORE), ("这个月底", "month end", BEFORE),
           ("下个月底", "next month end", BEFORE), ("年底", "year end", BEFORE))
#: (word, weeks from this one)
WEEKENDS = (("这周末", 0), ("周末", 0), ("本周末", 0), ("这个周末", 0), ("下周末", 1), ("下个周末", 1))


def cn(n: int) -> str:
    """0–99 in Chinese numerals, 2 as 两 when it stands alone (两点, 两天)."""
    if n == 2:
        return "两"
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + ("" if ones == 0 else _CN_DIGITS[ones])


# counted from now: (text, days) names or ends with the day today+N, (text, minutes) the time now+Δ
WITHIN_DAYS = (*((text, n) for n in range(1, 8)
                 for text in (f"{n}天内", f"{cn(n)}天内", f"{n}天之内", f"{cn(n)}天以内")),
               ("３天内", 3), ("一周内", 7), ("1周内", 7), ("两周内", 14), ("一个星期内", 7))
WITHIN_MINUTES = (("半小时内", 30), ("1小时内", 60), ("两小时内", 120), ("24小时内", 1440), ("48小时之内", 2880))
AFTER_MINUTES = (("半小时后", 30), ("半个小时后", 30), ("1小时后", 60), ("一个小时后", 60), ("两小时后", 120),
                 ("2个小时后", 120), ("一个半小时后", 90), ("3小时以后", 180), ("10分钟后", 10),
                 ("十五分钟后", 15), ("20分钟之后", 20), ("30分钟后", 30), ("四十分钟后", 40))
AFTER_DAYS = (("1天后", 1), ("2天后", 2), ("两天后", 2), ("3天后", 3), ("三天以后", 3), ("5天后", 5), ("十天后", 10),
              ("4天之后", 4), ("一周后", 7), ("两周后", 14), ("1个星期后", 7))


def _weekday_words(weekday: int) -> list[str]:
    if weekday == 6:
        return ["周日", "周天", "星期日", "星期天", "礼拜天", "礼拜日"]
    return [f"{word}{_WEEKDAYS[weekday]}" for word in ("周", "星期", "礼拜")]


def _day_words(*, all_forms: bool) -> tuple[tuple[str, str, int], ...]:
    """Day words as (how, word, number) in the pool's order (see ``At.day_word`` in
    :mod:`twinchat.composer.time.recipes`); one form of each day unless ``all_forms``."""
    words_of = [("ahead", word, offset) for offset, word in enumerate(("今天", "明天", "后天", "大后天"))]
    for weekday in range(7):
        words = _weekday_words(weekday)
        tails = "日天天" if weekday == 6 else _WEEKDAYS[weekday] * 3
        nexts = [head + tail for head, tail in zip(("下周", "下星期", "下个礼拜"), tails, strict=True)]
        bares = words if all_forms else [words[(weekday + 1) % len(words)]]
        words_of += [("weekday", word, weekday) for word in bares]
        words_of += [("next week", word, weekday) for word in (nexts if all_forms else [nexts[weekday % 3]])]
        if all_forms:
            words_of.append(("this week", ("本" if weekday % 2 else "这") + words[0], weekday))
    if not all_forms:
        return (*words_of, ("date", "日", 4), ("date", "号", 11))
    for k, offset in enumerate((0, 1, 2, 5, 9, 13, 20, 34, 61, 200)):
        words_of += [("date", form, offset) for form in ("号", "日", "cn")]
        if k % 3 == 0:
            words_of.append(("date", "year", offset))
        words_of.append(("day of month", "号" if k % 2 else "日", offset))
    return tuple(words_of)


ALL_DAYS = _day_words(all_forms=True)
SHORT_DAYS = _day_words(all_forms=False)
# In ``clock`` the turn is one per phrase after the staples; in ``deadline`` one per short day word,
# one per part of day, two per clock phrase after the staples (its hour form, then its suffix), one per period.
N_CLOCKS = len(STAPLE_CLOCKS) + len(NEAR_CLOCKS) + len(SHORT_DAYS) * len(CLOCKS)
"""How many clock phrases there are: staples, today's and tomorrow's, one per short day word and clock."""
CLOCK_TURN = len(SHORT_DAYS) + len(DEADLINE_PARTS)
"""The ``deadline`` turn at its first clock phrase."""
PERIOD_TURN = CLOCK_TURN + 2 * (N_CLOCKS - len(STAPLE_CLOCKS))
"""The ``deadline`` turn at its first period."""
