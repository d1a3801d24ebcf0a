"""Tables of the surface-noise layer (:mod:`.noise`): what customers' typing does to a sentence.

The confusion pairs are common mistakes of pinyin input (a homophone picked from the candidate
list) and of handwriting input (a character of similar shape), written down from general
knowledge of Chinese typing, not taken from a data set. Characters that time phrases, numbers,
ordinals or references are made of (天 点 前 后 周 号 月 日 第 这 …) are left out on purpose: a typo
there would change what the sentence means, not only how it looks.
"""

from __future__ import annotations

__all__ = ["CONFUSIONS", "ABBREVIATIONS", "EMOJI", "FULLWIDTH_PUNCTUATION", "PUNCTUATION"]

#: character → characters typed for it by mistake (homophones first, then shapes)
CONFUSIONS: dict[str, tuple[str, ...]] = {
    "的": ("得", "地"), "得": ("的",), "地": ("的",),
    "在": ("再",), "再": ("在",),
    "吗": ("嘛", "么"), "呢": ("呐",), "吧": ("叭",),
    "做": ("作",), "帐": ("账",), "账": ("帐",),
    "已": ("己", "以"), "以": ("已",),
    "候": ("侯",), "像": ("象",), "象": ("像",),
    "买": ("卖",), "货": ("贷",), "帮": ("邦",), "请": ("清", "情"),
    "问": ("间",), "到": ("道", "倒"), "么": ("麽",),
    "想": ("相",), "急": ("及",), "型": ("形",), "换": ("唤",),
    "坏": ("怀",), "修": ("休",), "址": ("止",), "装": ("状",),
}

#: words customers abbreviate to pinyin initials in shop chats (客服 → kf, 谢谢 → xx)
ABBREVIATIONS: dict[str, str] = {
    "客服": "kf", "谢谢": "xx", "退款": "tk", "快递": "kd", "支付宝": "zfb", "宝贝": "bb",
    "不知道": "bzd", "售后": "sh", "运费": "yf",
}

#: emoji customers add to chat messages
EMOJI: tuple[str, ...] = ("😊", "🙏", "😂", "👍", "😭", "🤔", "😅", "🥺", "😤", "❤️")

#: ASCII punctuation → its full-width form
FULLWIDTH_PUNCTUATION: dict[str, str] = {",": "，", "?": "？", "!": "！", ":": "：", ";": "；", "(": "（", ")": "）"}

#: punctuation a customer may leave out
PUNCTUATION = frozenset(",?!:;。，？！：；、")
