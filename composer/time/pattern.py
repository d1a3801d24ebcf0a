"""The surface forms of colloquial Chinese time phrases: the word tables and one precompiled pattern.

Internal to :mod:`twinchat.composer.time.grammar`, which interprets a match of :data:`PHRASE`. The
pattern knows numerals, day words (今天, 明儿个), 周/星期/礼拜, dates, holidays by name (双十一,
春节), parts of the day, clocks (点/点半/:30, ranges 九点到十点 and 三到五点), the work-day words
上班/下班/午休, suffixes (前/内/后/左右/之间), periods and durations; apart from it, a hedge said
before a phrase (最晚, 最迟, 不晚于, 最好). Everything is compiled once, at import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from operator import itemgetter

from twinchat.composer.time.holidays import NAMES as HOLIDAYS

__all__ = ["AFTER", "AROUND", "BEFORE", "CN_DIGIT", "FULLWIDTH", "FUSED", "HAS_FULLWIDTH", "HEDGE", "HEDGES",
           "HEDGE_BEFORE", "HEDGE_LAST", "PHRASE", "PHRASE_CHARS", "REL_DAYS", "SHIFT", "WEEKDAY", "WITHIN", "WORK",
           "core_in", "has_core"]

REL_DAYS = {"大前天": -3, "前天": -2, "昨天": -1, "昨日": -1, "今天": 0, "今日": 0,
            "明天": 1, "明日": 1, "后天": 2, "大后天": 3,
            "前儿个": -2, "前儿": -2, "昨儿个": -1, "昨个儿": -1, "昨儿": -1, "今儿个": 0, "今个儿": 0, "今儿": 0,
            "明儿个": 1, "明个儿": 1, "明儿": 1, "后儿个": 2, "后个儿": 2, "后儿": 2, "大后儿": 3}
"""Day words → days from today; 今儿, 明儿个 … are the colloquial (northern) forms."""
FUSED = {"今早": (0, "早上"), "今晚": (0, "晚上"), "明早": (1, "早上"), "明晚": (1, "晚上"), "昨晚": (-1, "晚上")}
SHIFT = {None: 0, "这": 0, "这个": 0, "本": 0, "下": 1, "下个": 1, "下下": 2, "上": -1, "上个": -1, "上上": -2}
WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
BEFORE = frozenset({"前", "之前", "以前"})
WITHIN = frozenset({"内", "之内", "以内"})
AFTER = frozenset({"后", "之后", "以后"})
AROUND = frozenset({"左右", "前后", "之间"})
WORK: dict[str, tuple[tuple[int, int], tuple[int, int] | None]] = {
    "上班": ((9, 0), None), "下班": ((18, 0), None), "午休": ((12, 0), (13, 30)),
}
"""Work-day words → (start, end) as (hour, minute): 上班 and 下班 are clocks naming their hour, 午休 a
window ending before its end (12:00–13:29:59)."""
HEDGES = {"最晚": True, "最迟": True, "不晚于": True, "不迟于": True, "最好": False}
"""Words said before a time → whether they make a deadline of it (最晚明天 = 明天前; 最好明天 = 明天)."""

FULLWIDTH = str.maketrans("０１２３４５６７８９：～－", "0123456789:~-")
"""Full-width digits and separators → ASCII, one character for one (offsets are kept)."""
HAS_FULLWIDTH = re.compile("[０-９：～－]")
"""Whether a text holds a character of :data:`FULLWIDTH` (``translate`` is slow on Chinese text)."""


def _alt(words: Iterable[str]) -> str:
    """An alternation of ``words`` as a trie (明(?:儿个|儿|天)…), longer words first: a search
    tries one branch per first character instead of every word."""
    heads: dict[str, list[str]] = {}
    for word in sorted(set(words), key=lambda w: (-len(w), w)):
        heads.setdefault(word[0], []).append(word[1:])
    branches = []
    for head, tails in heads.items():
        rest = [t for t in tails if t]
        if not rest:
            branches.append(re.escape(head))
            continue
        inner = _alt(rest) + ("|" if "" in tails else "")
        branches.append(f"{re.escape(head)}(?:{inner})")
    return "|".join(branches)


_C1 = "一二三四五六七八九"
_TENS = f"[{_C1}]?十[{_C1}]?"
_CN = f"(?:{_TENS}|零[{_C1}]|[零〇两{_C1}])"
# A number never starts right after a digit, a Latin letter, another numeral, 第 or 每
# (13800138000, DDR5, 第3点, 每3天 hold no time).
_NB = f"(?<![0-9A-Za-z.第每几零〇两十{_C1}])"
_RANGE = "到|至|~|-|—"


def _num(name: str, width: int = 2) -> str:
    return f"{_NB}(?P<{name}>[0-9]{{1,{width}}}(?![0-9])|{_CN})"


_PART2 = "凌晨|早上(?!好)|早晨|一早|上午|中午|下午|傍晚|晚上(?!好)"
_SUFFIX = "前后|之前|以前|前(?![天台面端])|之内|以内|内(?![容部存])|以后|之后|后(?![天台面端])|左右|之间"


def _clock(s: str, *, bare: bool = False) -> str:
    """An hour with its minutes; group names end in ``s`` so that the pattern can hold two clocks.

    With ``bare`` the hour may go without 点 when a range follows (三到五点)."""
    minute = f"(?P<mi{s}>[0-5]?[0-9](?![0-9])|{_TENS}|零[{_C1}]|[{_C1}两](?=分))(?:分钟|分)?"
    unitless = f"|(?P<bare{s}>)(?=(?:{_RANGE}))" if bare else ""
    return (
        f"{_num('h' + s)}(?:(?P<colon{s}>:)(?P<cm{s}>[0-5][0-9])(?![0-9:])"
        f"|(?P<unit{s}>点钟|点(?![击赞评])|时(?![间候段区长刻]))"
        f"(?:(?P<half{s}>半)|(?P<qtr{s}>一刻|三刻)|{minute}|(?P<exact{s}>整))?{unitless})"
    )


_WMOD = "下下|下|这|本|上上|上"
_HOLIDAY_STARTS = "".join(sorted({name[0] for name in HOLIDAYS}))
# A bare day of month (25号) or a holiday is taken only before words that fit a date: 3号楼, 5号线,
# 1日游, 圣诞树, 中秋礼盒, 五一广场, 618元 are not days.
_DOM_NEXT = ("(?=$|[\\s,.!?;:，。！？；：、~)）]"
             "|[前之以内左上下早晚中凌傍能可送到发在给要去来就吧或和跟的那当再也还哪有])")
_DAY = (
    f"(?P<rel>{_alt(REL_DAYS)})"
    f"|(?P<fused>今早|今晚|明早|明晚|昨晚)"
    f"|(?<![每个])(?:(?P<wmod>{_WMOD})个?)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天])"
    f"|(?:(?P<yr>{_NB}[0-9]{{4}}|今|明)年)?(?:{_num('mon')}月{_num('md')}[号日]"
    f"|(?=[{_HOLIDAY_STARTS}])(?<![0-9A-Za-z])(?P<hol>{_alt(HOLIDAYS)}){_DOM_NEXT})"
    f"|(?P<mmod>这个|这|本|下个|下|上个|上)月{_num('md2')}[号日]"
    f"|{_NB}(?P<iy>[0-9]{{4}})(?P<isep>[-/.])(?P<im>[0-9]{{1,2}})(?P=isep)(?P<id>[0-9]{{1,2}})(?![0-9])"
    f"|{_num('dom')}[号日]{_DOM_NEXT}"
)
_CORE = (
    f"(?:(?P<day>{_DAY})(?:(?P<dpart>{_PART2})|(?P<dpart1>[早晚])(?![点些了一饭餐到安班上]))?"
    f"|(?P<part>{_PART2}))?"
    f"(?:(?P<clock>{_clock('', bare=True)}(?:(?P<rsep>{_RANGE})(?P<rpart>{_PART2})?{_clock('2')})?)"
    f"|(?P<work>{_alt(WORK)})(?:的时候|时)?)?"
    f"(?P<suf>{_SUFFIX})?"
)
_PERIOD = (
    f"(?:(?P<we>(?<!每)(?:(?P<wemod>下下|下|这|本|上)个?)?周末)"
    f"|(?P<wk>(?P<wkmod>{_WMOD})个?(?:周|星期|礼拜)(?![{_C1}日天末]))"
    f"|(?P<mo>(?P<mmod2>这个|这|本|下个|下|上个|上)月(?P<mend>底|末)?(?![0-9零〇两十{_C1}]))"
    f"|(?P<me>月底|月末)|(?P<ye>(?:今年)?(?:年底|年末)))"
    f"(?P<psuf>{_SUFFIX})?"
)
_QTY = (
    f"(?:{_NB}(?P<qn>[0-9]{{1,3}}(?![0-9])|{_CN})个?(?P<qhalf>半)?|(?P<qh>半)个?)"
    f"(?P<qunit>小时|钟头|分钟|刻钟|天|周|星期|礼拜)"
    f"(?P<qsuf>以后|之后|后(?![天台面端])|以内|之内|内(?![容部存]))?"
)
# Every phrase starts with one of these characters; the lookahead lets a search skip the rest fast.
_STARTS = "".join(sorted({w[0] for w in (*REL_DAYS, *HOLIDAYS, *WORK)} - set("0123456789")))
_FIRST = f"(?=[0-9零〇两十{_C1}半今明后大昨前周星礼这本下上凌早中傍晚月年{_STARTS}])"

def _unnamed(pattern: str) -> str:
    """``pattern`` without its group names (a back reference becomes the class it refers to)."""
    return re.sub(r"\?P<\w+>", "?:", pattern.replace("(?P=isep)", "[-/.]"))


# A core phrase starts with a day, a part of day, a clock or a work-day word (a bare suffix is no
# time): the lookahead refuses every other position at once, where the core's optional parts would
# otherwise each be tried, end in an empty match, and be tried again.
_CORE_START = _unnamed(f"(?={_DAY}|{_PART2}|{_clock('', bare=True)}|{_alt(WORK)})")
# Periods and quantities start with one of these characters: the lookaheads refuse every other
# position in one test, before the branch's lookbehinds and groups are tried one by one.
_PERIOD_START = "(?=[下这本上周月今年])"
_QTY_START = f"(?=[0-9零〇两十半{_C1}])"
# Every branch that starts with a digit refuses a digit before it (_NB, a holiday's lookbehind) and
# takes at most four digits before a character that is none: a position inside a number, or at the
# start of five digits or more (a mobile), is refused in one test.
_NOT_IN_NUMBER = "(?!(?<=[0-9])[0-9]|[0-9]{5})"


def _branching(pattern: str) -> str:
    """``pattern`` with each optional group ``(…)?`` written ``(?:(…)|)``: the same alternatives tried
    in the same order, so the same matches and groups. The engine compiles ``?`` after a group into
    a repeat, and inside a repeat every branch it tries first saves the positions of all the groups
    set so far (dozens here); a branch outside any repeat saves none. A ``?`` after a character or
    a class stays as it is (no repeat of a group)."""
    ends: dict[int, int] = {}
    opened: list[int] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 1
        elif c == "[":
            i += 2 if pattern[i + 1] == "^" else 1  # a ] right after [ or [^ belongs to the class
            while pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
        elif c == "(":
            opened.append(i)
        elif c == ")":
            start = opened.pop()
            if pattern[i + 1:i + 2] == "?" and pattern[i + 2:i + 3] not in ("?", "+"):
                ends[start] = i
        i += 1
    out, last = [], 0
    for i in sorted([*ends, *ends.values()]):
        out.append(pattern[last:i])
        if i in ends:
            out.append("(?:")
            last = i
        else:
            out.append(")|)")
            last = i + 2  # the group's ) and its ?
    out.append(pattern[last:])
    return "".join(out)


SOURCE = f"{_FIRST}{_NOT_IN_NUMBER}(?:{_PERIOD_START}{_PERIOD}|{_QTY_START}{_QTY}|{_CORE_START}{_CORE})"
"""The pattern of one time phrase as written (``?`` on optional groups); :data:`PHRASE` compiles it
through :func:`_branching`, and tests hold the two equal."""
PHRASE = re.compile(_branching(SOURCE))
"""One time phrase; periods and quantities are tried before days, parts of day and clocks."""
PHRASE_CHARS = frozenset("-./0123456789:~—〇一七三上下两个中之九二五人今以休候傍儿元八六内凌分初到刻前动劳十午半双右号后周四国"
                         "圣夕夜大天头安宵小左平年庆底情拜整日旦早时明星春昨晚晨月期末本清点班的礼秋端至节诞过这钟间除零")
"""Every character a match of :data:`PHRASE` can hold (what the pattern consumes outside its lookarounds;
a test reads it from the parsed pattern): no phrase holds any other, so a search may start after one."""
HEDGE = re.compile(f"(?P<word>{_alt(HEDGES)})[在于是]?")
"""A hedge that opens a phrase (最晚, 最好在…); kept out of :data:`PHRASE`, which it would slow down."""
HEDGE_BEFORE = re.compile(f"(?P<word>{_alt(HEDGES)})[在于是]?$")
"""A hedge that ends the text before a phrase found in a sentence (search the few characters before it)."""
HEDGE_LAST = frozenset(w[-1] for w in HEDGES) | frozenset("在于是")
"""The characters a hedge can end with: a sentence is searched for one only before such a character."""

_CORE_GROUPS = ("day", "part", "clock", "work", "we", "wk", "mo", "me", "ye", "qunit")


_NO_CORE = (None,) * len(_CORE_GROUPS)


def has_core(m: re.Match[str]) -> bool:
    """Whether the match holds a time at all (the pattern also matches the empty string or a bare 前)."""
    return m.group(*_CORE_GROUPS) != _NO_CORE


_CORE_OF = itemgetter(*(PHRASE.groupindex[name] - 1 for name in _CORE_GROUPS))


def core_in(groups: tuple[str | None, ...]) -> bool:
    """:func:`has_core` of a match whose ``groups()`` are ``groups``."""
    return _CORE_OF(groups) != _NO_CORE
