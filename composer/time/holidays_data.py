"""Holidays and shopping days by date: fixed ones by (month, day), lunar ones by year.

The lunar dates (and 清明, a solar term) for 2024–2030 were computed with the lunar calendar of
borax 4.1.3 (MIT License, https://github.com/kinegratii/borax; see NOTICE): 春节 is the first day
of the first lunar month, 除夕 the day before it, 元宵 the 15th of the first month, 端午 the 5th of
the fifth, 七夕 the 7th of the seventh, 中秋 the 15th of the eighth. A year outside the table is an
error, never a guess.
"""

from __future__ import annotations

__all__ = ["ALIASES", "FIXED", "LUNAR", "LUNAR_YEARS"]

FIXED: dict[str, tuple[int, int]] = {
    "元旦": (1, 1), "情人节": (2, 14), "五一": (5, 1), "618": (6, 18), "国庆": (10, 1),
    "双十一": (11, 11), "双十二": (12, 12), "平安夜": (12, 24), "圣诞": (12, 25),
}
"""Holidays on the same date every year: name → (month, day)."""

LUNAR_YEARS = range(2024, 2031)
"""The years :data:`LUNAR` covers."""

LUNAR: dict[str, tuple[tuple[int, int], ...]] = {
    #         2024      2025      2026      2027      2028      2029      2030
    "除夕": ((2, 9), (1, 28), (2, 16), (2, 5), (1, 25), (2, 12), (2, 2)),
    "春节": ((2, 10), (1, 29), (2, 17), (2, 6), (1, 26), (2, 13), (2, 3)),
    "元宵": ((2, 24), (2, 12), (3, 3), (2, 20), (2, 9), (2, 27), (2, 17)),
    "清明": ((4, 4), (4, 4), (4, 5), (4, 5), (4, 4), (4, 4), (4, 5)),
    "端午": ((6, 10), (5, 31), (6, 19), (6, 9), (5, 28), (6, 16), (6, 5)),
    "七夕": ((8, 10), (8, 29), (8, 19), (8, 8), (8, 26), (8, 16), (8, 5)),
    "中秋": ((9, 17), (10, 6), (9, 25), (9, 15), (10, 3), (9, 22), (9, 12)),
}
"""Holidays that move with the lunar calendar: name → (month, day) in each of :data:`LUNAR_YEARS`."""

ALIASES: dict[str, str] = {
    "元旦节": "元旦", "劳动节": "五一", "五一节": "五一", "六一八": "618",
    "国庆节": "国庆", "双11": "双十一", "双12": "双十二", "圣诞节": "圣诞",
    "除夕夜": "除夕", "大年三十": "除夕", "过年": "春节", "大年初一": "春节",
    "元宵节": "元宵", "清明节": "清明", "端午节": "端午", "七夕节": "七夕", "中秋节": "中秋",
}
"""Other names said for a holiday → its name in :data:`FIXED` or :data:`LUNAR`."""
