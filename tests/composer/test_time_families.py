"""resolve(): colloquial phrase families × session clocks, each window worked out by hand.

The families: colloquial day words (今儿, 明儿个), hedged deadlines (最晚, 不晚于, 最好…之前),
work-day words (上班, 下班, 午休), shopping days and holidays by their dates (lunar ones from the
holiday table), hour and minute durations, ranges, "after" phrases, the small hours said in the
evening, and appointments that keep the time they name; plus the older families for contrast.

Calendar: 2026-11-16 and 2026-11-23 are Mondays; 2026-11-20 is a Friday.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from twinchat.composer.errors import TimeExpressionError
from twinchat.composer.time.pool import phrases
from twinchat.composer.time.resolve import TimeWindow, find, resolve, windows

FRI = "2026-11-20 15:00"       # Friday afternoon
NIGHT = "2026-11-20 21:30"     # Friday evening
DAWN = "2026-11-20 01:00"      # Friday, in the small hours
EARLY = "2026-11-20 07:40"     # Friday, before work
MON = "2026-11-16 09:30"       # Monday morning
WED = "2026-11-18 14:47"       # Wednesday, while 14:00–14:59 is going on
SECS = "2026-11-20 10:20:30"   # a clock with seconds
OCT = "2026-10-05 10:00"       # Monday, just after 国庆
NOV11 = "2026-11-11 10:00"     # Wednesday, 双十一 itself
XMAS = "2026-12-24 20:00"      # Thursday, 平安夜
JAN = "2027-01-10 10:00"       # Sunday, before 春节 2027
MAR = "2027-03-01 10:00"       # Monday, after 春节 2027
LAST = "2030-03-01 10:00"      # Friday, after the last 春节 in the table

WINDOWS = [
    # --- colloquial day words ---
    ("今儿", FRI, "2026-11-20 15:00", "2026-11-20 23:59:59"),
    ("今儿个", FRI, "2026-11-20 15:00", "2026-11-20 23:59:59"),
    ("今个儿", FRI, "2026-11-20 15:00", "2026-11-20 23:59:59"),
    ("明儿", FRI, "2026-11-21 00:00", "2026-11-21 23:59:59"),
    ("明儿个", FRI, "2026-11-21 00:00", "2026-11-21 23:59:59"),
    ("后儿", FRI, "2026-11-22 00:00", "2026-11-22 23:59:59"),
    ("后儿个", FRI, "2026-11-22 00:00", "2026-11-22 23:59:59"),
    ("大后儿", FRI, "2026-11-23 00:00", "2026-11-23 23:59:59"),
    ("今儿晚上", FRI, "2026-11-20 18:00", "2026-11-20 23:59:59"),
    ("明儿早上", FRI, "2026-11-21 06:00", "2026-11-21 09:59:59"),
    ("明儿一早", FRI, "2026-11-21 06:00", "2026-11-21 09:59:59"),
    ("明儿下午三点", FRI, "2026-11-21 15:00", "2026-11-21 15:59:59"),
    ("明儿个上午10点前", FRI, "2026-11-20 15:00", "2026-11-21 10:00:00"),
    ("后儿晚上八点半", FRI, "2026-11-22 20:30", "2026-11-22 20:30:59"),
    ("今儿之内", FRI, "2026-11-20 15:00", "2026-11-20 23:59:59"),
    # --- hedged deadlines: 最晚 X / 最迟 X / 不晚于 X mean X前; 最好 leaves X as it is ---
    ("最晚明天", FRI, "2026-11-20 15:00", "2026-11-21 23:59:59"),
    ("最迟周日", FRI, "2026-11-20 15:00", "2026-11-22 23:59:59"),
    ("最晚明天下午三点", FRI, "2026-11-20 15:00", "2026-11-21 15:00:00"),
    ("最迟后天上午", FRI, "2026-11-20 15:00", "2026-11-22 11:59:59"),
    ("不晚于下周一", FRI, "2026-11-20 15:00", "2026-11-23 23:59:59"),
    ("不迟于今晚8点", FRI, "2026-11-20 15:00", "2026-11-20 20:00:00"),
    ("最好周五之前", FRI, "2026-11-20 15:00", "2026-11-20 23:59:59"),
    ("最好在明天中午前", FRI, "2026-11-20 15:00", "2026-11-21 13:59:59"),
    ("最好明天", FRI, "2026-11-21 00:00", "2026-11-21 23:59:59"),
    ("最晚月底", FRI, "2026-11-20 15:00", "2026-11-30 23:59:59"),
    ("最晚这周末", FRI, "2026-11-20 15:00", "2026-11-22 23:59:59"),
    ("最迟下周", FRI, "2026-11-20 15:00", "2026-11-29 23:59:59"),
    ("最迟3天内", FRI, "2026-11-20 15:00", "2026-11-23 23:59:59"),
    ("最晚两小时内", FRI, "2026-11-20 15:00", "2026-11-20 17:00:00"),
    ("最晚明儿", FRI, "2026-11-20 15:00", "2026-11-21 23:59:59"),
    ("最迟12月1号", FRI, "2026-11-20 15:00", "2026-12-01 23:59:59"),
    ("最晚在周六前", FRI, "2026-11-20 15:00", "2026-11-21 23:59:59"),
    ("最晚下班前", FRI, "2026-11-20 15:00", "2026-11-20 18:00:00"),
    # --- work-day words: 上班 09:00, 下班 18:00 (each a clock naming its hour), 午休 12:00–13:29:59 ---
    ("下班前", FRI, "2026-11-20 15:00", "2026-11-20 18:00:00"),
    ("下班之前", FRI, "2026-11-20 15:00", "2026-11-20 18:00:00"),
    ("今天下班前", FRI, "2026-11-20 15:00", "2026-11-20 18:00:00"),
    ("明天下班前", FRI, "2026-11-20 15:00", "2026-11-21 18:00:00"),
    ("周一上班前", FRI, "2026-11-20 15:00", "2026-11-23 09:00:00"),
    ("明早上班前", FRI, "2026-11-20 15:00", "2026-11-21 09:00:00"),
    ("上班前", EARLY, "2026-11-20 07:40", "2026-11-20 09:00:00"),
    ("下班后", FRI, "2026-11-20 18:00", "2026-11-20 23:59:59"),
    ("下班以后", FRI, "2026-11-20 18:00", "2026-11-20 23:59:59"),
    ("下班的时候", FRI, "2026-11-20 18:00", "2026-11-20 18:59:59"),
    ("午休", MON, "2026-11-16 12:00", "2026-11-16 13:29:59"),
    ("午休时", MON, "2026-11-16 12:00", "2026-11-16 13:29:59"),
    ("午休的时候", MON, "2026-11-16 12:00", "2026-11-16 13:29:59"),
    ("明天午休", FRI, "2026-11-21 12:00", "2026-11-21 13:29:59"),
    ("午休前", MON, "2026-11-16 09:30", "2026-11-16 12:00:00"),
    ("午休后", MON, "2026-11-16 13:30", "2026-11-16 23:59:59"),
    # --- shopping days and holidays: the next one, today included; lunar ones from the table ---
    ("双十二", FRI, "2026-12-12 00:00", "2026-12-12 23:59:59"),
    ("双12", FRI, "2026-12-12 00:00", "2026-12-12 23:59:59"),
    ("双十一", FRI, "2027-11-11 00:00", "2027-11-11 23:59:59"),
    ("双11", OCT, "2026-11-11 00:00", "2026-11-11 23:59:59"),
    ("双十一", NOV11, "2026-11-11 10:00", "2026-11-11 23:59:59"),
    ("双十一前", NOV11, "2026-11-11 10:00", "2026-11-11 23:59:59"),
    ("双十一晚上8点", NOV11, "2026-11-11 20:00", "2026-11-11 20:59:59"),
    ("618", FRI, "2027-06-18 00:00", "2027-06-18 23:59:59"),
    ("六一八", FRI, "2027-06-18 00:00", "2027-06-18 23:59:59"),
    ("元旦", FRI, "2027-01-01 00:00", "2027-01-01 23:59:59"),
    ("元旦前", FRI, "2026-11-20 15:00", "2027-01-01 23:59:59"),
    ("春节", FRI, "2027-02-06 00:00", "2027-02-06 23:59:59"),
    ("春节前", FRI, "2026-11-20 15:00", "2027-02-06 23:59:59"),
    ("过年", FRI, "2027-02-06 00:00", "2027-02-06 23:59:59"),
    ("除夕", FRI, "2027-02-05 00:00", "2027-02-05 23:59:59"),
    ("大年三十", FRI, "2027-02-05 00:00", "2027-02-05 23:59:59"),
    ("元宵节", FRI, "2027-02-20 00:00", "2027-02-20 23:59:59"),
    ("春节", JAN, "2027-02-06 00:00", "2027-02-06 23:59:59"),
    ("今年春节", JAN, "2027-02-06 00:00", "2027-02-06 23:59:59"),
    ("明年春节", JAN, "2028-01-26 00:00", "2028-01-26 23:59:59"),
    ("2029年春节", JAN, "2029-02-13 00:00", "2029-02-13 23:59:59"),
    ("春节", MAR, "2028-01-26 00:00", "2028-01-26 23:59:59"),
    ("除夕", MAR, "2028-01-25 00:00", "2028-01-25 23:59:59"),
    ("圣诞", FRI, "2026-12-25 00:00", "2026-12-25 23:59:59"),
    ("圣诞节", FRI, "2026-12-25 00:00", "2026-12-25 23:59:59"),
    ("圣诞节前", FRI, "2026-11-20 15:00", "2026-12-25 23:59:59"),
    ("平安夜", FRI, "2026-12-24 00:00", "2026-12-24 23:59:59"),
    ("平安夜", XMAS, "2026-12-24 20:00", "2026-12-24 23:59:59"),
    ("圣诞节上午", XMAS, "2026-12-25 08:00", "2026-12-25 11:59:59"),
    ("国庆", FRI, "2027-10-01 00:00", "2027-10-01 23:59:59"),
    ("国庆节", OCT, "2027-10-01 00:00", "2027-10-01 23:59:59"),
    ("五一", FRI, "2027-05-01 00:00", "2027-05-01 23:59:59"),
    ("劳动节", FRI, "2027-05-01 00:00", "2027-05-01 23:59:59"),
    ("情人节", FRI, "2027-02-14 00:00", "2027-02-14 23:59:59"),
    ("清明", FRI, "2027-04-05 00:00", "2027-04-05 23:59:59"),
    ("端午节", FRI, "2027-06-09 00:00", "2027-06-09 23:59:59"),
    ("七夕", FRI, "2027-08-08 00:00", "2027-08-08 23:59:59"),
    ("中秋", FRI, "2027-09-15 00:00", "2027-09-15 23:59:59"),
    ("中秋节", OCT, "2027-09-15 00:00", "2027-09-15 23:59:59"),
    ("最晚双十二", FRI, "2026-11-20 15:00", "2026-12-12 23:59:59"),
    # --- durations from the clock: N小时/分钟 (内) = now … now+Δ; said bare, it is a "within" too ---
    ("两小时内", FRI, "2026-11-20 15:00", "2026-11-20 17:00:00"),
    ("48小时内", FRI, "2026-11-20 15:00", "2026-11-22 15:00:00"),
    ("72小时之内", FRI, "2026-11-20 15:00", "2026-11-23 15:00:00"),
    ("半小时内", FRI, "2026-11-20 15:00", "2026-11-20 15:30:00"),
    ("半小时内", SECS, "2026-11-20 10:20:30", "2026-11-20 10:50:30"),
    ("一个半小时", FRI, "2026-11-20 15:00", "2026-11-20 16:30:00"),
    ("一个半小时内", FRI, "2026-11-20 15:00", "2026-11-20 16:30:00"),
    ("两个小时之内", FRI, "2026-11-20 15:00", "2026-11-20 17:00:00"),
    ("90分钟内", FRI, "2026-11-20 15:00", "2026-11-20 16:30:00"),
    ("一个钟头内", FRI, "2026-11-20 15:00", "2026-11-20 16:00:00"),
    ("一刻钟内", FRI, "2026-11-20 15:00", "2026-11-20 15:15:00"),
    ("三小时", FRI, "2026-11-20 15:00", "2026-11-20 18:00:00"),
    ("半个小时", NIGHT, "2026-11-20 21:30", "2026-11-20 22:00:00"),
    ("两小时内", NIGHT, "2026-11-20 21:30", "2026-11-20 23:30:00"),
    ("24小时内", NIGHT, "2026-11-20 21:30", "2026-11-21 21:30:00"),
    # --- ranges: from the first time to the second, as one window ---
    ("九点到十点", EARLY, "2026-11-20 09:00", "2026-11-20 10:00:00"),
    ("九点到十点", FRI, "2026-11-20 21:00", "2026-11-20 22:00:00"),
    ("下午三到五点", MON, "2026-11-16 15:00", "2026-11-16 17:00:00"),
    ("明天下午三到五点", FRI, "2026-11-21 15:00", "2026-11-21 17:00:00"),
    ("三点到五点", MON, "2026-11-16 15:00", "2026-11-16 17:00:00"),
    ("晚上七点到九点", FRI, "2026-11-20 19:00", "2026-11-20 21:00:00"),
    ("2-4点", MON, "2026-11-16 14:00", "2026-11-16 16:00:00"),
    ("9点至11点", EARLY, "2026-11-20 09:00", "2026-11-20 11:00:00"),
    ("明天上午九点到十一点之间", FRI, "2026-11-21 09:00", "2026-11-21 11:00:00"),
    ("上午十点到十二点", MON, "2026-11-16 10:00", "2026-11-16 12:00:00"),
    ("下午3点半到5点", MON, "2026-11-16 15:30", "2026-11-16 17:00:00"),
    ("下午两点到四点", FRI, "2026-11-20 15:00", "2026-11-20 16:00:00"),
    ("明儿九点到十点", FRI, "2026-11-21 09:00", "2026-11-21 10:00:00"),
    # --- "after": from the time named to the end of its day; a bare hour reads the one still ahead ---
    ("十点以后", EARLY, "2026-11-20 10:00", "2026-11-20 23:59:59"),
    ("十点以后", FRI, "2026-11-20 22:00", "2026-11-20 23:59:59"),
    ("8点以后", FRI, "2026-11-20 20:00", "2026-11-20 23:59:59"),
    ("下午三点之后", MON, "2026-11-16 15:00", "2026-11-16 23:59:59"),
    ("晚上8点后", FRI, "2026-11-20 20:00", "2026-11-20 23:59:59"),
    ("明天下午三点以后", FRI, "2026-11-21 15:00", "2026-11-21 23:59:59"),
    ("3点以后", FRI, "2026-11-20 15:00", "2026-11-20 23:59:59"),
    ("明儿上午十点以后", FRI, "2026-11-21 10:00", "2026-11-21 23:59:59"),
    # --- the small hours without a day word, once today's are over: the coming night ---
    ("凌晨两点前", NIGHT, "2026-11-20 21:30", "2026-11-21 02:00:00"),
    ("凌晨2点", NIGHT, "2026-11-21 02:00", "2026-11-21 02:59:59"),
    ("凌晨", NIGHT, "2026-11-21 00:00", "2026-11-21 05:59:59"),
    ("凌晨1点半前", NIGHT, "2026-11-20 21:30", "2026-11-21 01:30:00"),
    ("凌晨两点前", FRI, "2026-11-20 15:00", "2026-11-21 02:00:00"),
    ("凌晨两点前", DAWN, "2026-11-20 01:00", "2026-11-20 02:00:00"),
    ("明天凌晨两点前", NIGHT, "2026-11-20 21:30", "2026-11-21 02:00:00"),
    # --- older families, for contrast ---
    ("今晚8点前", FRI, "2026-11-20 15:00", "2026-11-20 20:00:00"),
    ("周五前", FRI, "2026-11-20 15:00", "2026-11-20 23:59:59"),
    ("3天内", FRI, "2026-11-20 15:00", "2026-11-23 23:59:59"),
    ("两小时后", FRI, "2026-11-20 17:00", "2026-11-20 17:00:59"),
    ("下周末", FRI, "2026-11-28 00:00", "2026-11-29 23:59:59"),
    ("明早8点半", FRI, "2026-11-21 08:30", "2026-11-21 08:30:59"),
    ("12月1号下午", FRI, "2026-12-01 13:00", "2026-12-01 17:59:59"),
    ("周三下午两点", WED, "2026-11-18 14:47", "2026-11-18 14:59:59"),  # a deadline's window starts at now
]

#: phrase, clock, error kind: ``past`` (the window has ended) or ``unresolvable`` with the reason
ERRORS = [
    ("昨儿", FRI, "past", ""),
    ("前儿个", FRI, "past", ""),
    ("最晚今天上午", FRI, "past", ""),
    ("上班前", FRI, "past", ""),
    ("下班前", NIGHT, "past", ""),
    ("今年双十一", FRI, "past", ""),
    ("今天凌晨", NIGHT, "past", ""),
    ("凌晨两点前", "2026-11-20 02:30", "past", ""),
    ("春节", LAST, "unresolvable", "春节 of 2031 is not in the holiday table"),
    ("中秋", "2030-10-01 10:00", "unresolvable", "中秋 of 2031 is not in the holiday table"),
    ("2023年春节", FRI, "unresolvable", "春节 of 2023 is not in the holiday table"),
    ("最晚周五以后", FRI, "unresolvable", "leaves the window open"),
    ("下午五到三点", FRI, "unresolvable", "the range ends before it starts"),
    ("半分钟内", FRI, "unresolvable", "half a minute is not a window"),
    ("0小时内", FRI, "unresolvable", "0小时 is not a window"),
    ("下班内", FRI, "unresolvable", "does not follow a clock time"),
    ("最晚", FRI, "unresolvable", "not a time phrase"),
]

#: appointments keep the time they name: (phrase, clock, start, end), or an error kind in ``start``
APPOINTMENTS = [
    ("周三下午两点", WED, "begun", ""),
    ("两点", WED, "begun", ""),
    ("下周三下午两点", WED, "2026-11-25 14:00", "2026-11-25 14:59:59"),
    ("周三下午三点", WED, "2026-11-18 15:00", "2026-11-18 15:59:59"),
    ("周三下午两点半", WED, "past", ""),              # 14:30–14:30:59 has ended
    ("9点", MON, "2026-11-16 21:00", "2026-11-16 21:59:59"),        # 09:00 has begun: the evening
    ("明天上午9点", WED, "2026-11-19 09:00", "2026-11-19 09:59:59"),
    ("今天下午", WED, "2026-11-18 14:47", "2026-11-18 17:59:59"),   # a part of the day still open
    ("下午两点到四点", WED, "2026-11-18 14:47", "2026-11-18 16:00:00"),  # a range going on
    ("今晚8点前", WED, "2026-11-18 14:47", "2026-11-18 20:00:00"),
    ("今天上午十点", WED, "past", ""),
]


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _stamp(now: str) -> str:
    clock = _t(now)
    return clock.strftime("%Y-%m-%d %H:%M:%S" if clock.second else "%Y-%m-%d %H:%M")


@pytest.mark.parametrize(("phrase", "now", "start", "end"), WINDOWS, ids=[f"{p}@{n}" for p, n, _, _ in WINDOWS])
def test_window(phrase: str, now: str, start: str, end: str) -> None:
    assert resolve(phrase, _t(now)) == TimeWindow(_t(start), _t(end))


@pytest.mark.parametrize(("phrase", "now", "kind", "reason"), ERRORS, ids=[f"{p}@{n}" for p, n, _, _ in ERRORS])
def test_error(phrase: str, now: str, kind: str, reason: str) -> None:
    if kind == "past":
        expected = f"^time phrase '{phrase}' lies wholly in the past at {_stamp(now)}$"
    else:
        expected = f"^cannot resolve time phrase '{phrase}': .*{reason}"
    with pytest.raises(TimeExpressionError, match=expected):
        resolve(phrase, _t(now))


@pytest.mark.parametrize(("phrase", "now", "start", "end"), APPOINTMENTS,
                         ids=[f"{p}@{n}" for p, n, _, _ in APPOINTMENTS])
def test_appointment(phrase: str, now: str, start: str, end: str) -> None:
    if start == "begun":
        with pytest.raises(TimeExpressionError,
                           match=f"^time phrase '{phrase}' names a time already begun at {_stamp(now)}"):
            resolve(phrase, _t(now), appointment=True)
    elif start == "past":
        with pytest.raises(TimeExpressionError, match=f"^time phrase '{phrase}' lies wholly in the past"):
            resolve(phrase, _t(now), appointment=True)
    else:
        assert resolve(phrase, _t(now), appointment=True) == TimeWindow(_t(start), _t(end))


def test_the_table_covers_every_family_with_at_least_120_cases() -> None:
    assert len(WINDOWS) + len(ERRORS) + len(APPOINTMENTS) >= 120
    said = " ".join(p for p, *_ in (*WINDOWS, *ERRORS, *APPOINTMENTS))
    for word in ("今儿", "明儿", "明儿个", "后儿", "最晚", "最迟", "不晚于", "最好", "下班前", "上班前", "午休",
                 "双十一", "双十二", "618", "元旦", "春节", "圣诞", "平安夜", "国庆", "五一", "两小时内",
                 "48小时内", "半小时内", "一个半小时", "九点到十点", "下午三到五点", "十点以后", "下午三点之后",
                 "凌晨两点前"):
        assert word in said, word


#: in running text: (sentence, clock, [(text, start, end)] of the phrases found)
FOUND = [
    ("最晚明天能送到吗", FRI, [("最晚明天", "2026-11-20 15:00", "2026-11-21 23:59:59")]),
    ("最好在周日之前到", FRI, [("最好在周日之前", "2026-11-20 15:00", "2026-11-22 23:59:59")]),
    ("下班前能到吗", FRI, [("下班前", "2026-11-20 15:00", "2026-11-20 18:00:00")]),
    ("我在上班,下午再说", FRI, [("下午", "2026-11-20 15:00", "2026-11-20 17:59:59")]),
    ("双十一前能到吗", OCT, [("双十一前", "2026-10-05 10:00", "2026-11-11 23:59:59")]),
    ("地址是长沙五一广场", FRI, []),
    ("这个才618元", FRI, []),
    ("圣诞树今晚能送到吗", FRI, [("今晚", "2026-11-20 18:00", "2026-11-20 23:59:59")]),
    ("中秋礼盒还有吗", FRI, []),
    ("国庆节那天能送吗", OCT, [("国庆节", "2027-10-01 00:00", "2027-10-01 23:59:59")]),
    ("3天能到吗", FRI, []),
    ("明儿下午三到五点在家", FRI, [("明儿下午三到五点", "2026-11-21 15:00", "2026-11-21 17:00:00")]),
    ("凌晨两点前能送到吗", NIGHT, [("凌晨两点前", "2026-11-20 21:30", "2026-11-21 02:00:00")]),
]


@pytest.mark.parametrize(("sentence", "now", "spans"), FOUND, ids=[s for s, _, _ in FOUND])
def test_find(sentence: str, now: str, spans: list[tuple[str, str, str]]) -> None:
    found = [(span.text, span.window) for span in find(sentence, _t(now))]
    assert found == [(text, TimeWindow(_t(start), _t(end))) for text, start, end in spans]
    for span in find(sentence, _t(now)):
        assert sentence[span.start:span.end] == span.text


@pytest.mark.parametrize("appointment", [False, True])
@pytest.mark.parametrize(("sentence", "now"), [(s, now) for s, now, _ in FOUND] + [
    ("最晚明天下午三点打给我", WED), ("最好周三下午两点上门", WED), ("明天１５：３０到１７：００在家", FRI)])
def test_windows_are_the_windows_of_find(sentence: str, now: str, appointment: bool) -> None:
    expected = [span.window for span in find(sentence, _t(now), appointment=appointment)]
    assert windows(sentence, _t(now), appointment=appointment) == expected


def test_find_skips_an_appointment_already_begun() -> None:
    assert [span.text for span in find("周三下午两点上门可以吗", _t(WED))] == ["周三下午两点"]
    assert find("周三下午两点上门可以吗", _t(WED), appointment=True) == []
    assert [span.window.start for span in find("周三下午三点上门可以吗", _t(WED), appointment=True)] == [
        _t("2026-11-18 15:00")]


@pytest.mark.parametrize("now", [WED, FRI, NIGHT, "2026-11-20 08:30:15"])
def test_the_pool_offers_no_clock_already_begun(now: str) -> None:
    clock = _t(now)
    pool = phrases(clock, ["clock"])
    assert pool and all(phrase.window.start >= clock for phrase in pool)
    for phrase in pool:
        assert resolve(phrase.text, clock, appointment=True) == phrase.window, phrase.text
    texts = {phrase.text for phrase in pool}
    if now == WED:   # the pool used to offer 周三下午两点 here, as 14:47–14:59:59
        assert "周三下午两点" not in texts and "下午三点" in texts
