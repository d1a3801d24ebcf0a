"""References to remembered entities: drawing how a customer says them, and resolving them back.

A session remembers lists of items (the products a search listed, the orders a query found).
Later a customer refers to them: 第二款 / 第2个 / 最后一款 (ordinal), 金士顿那款 (brand, when
only one listed item has it), 它 / 这款 / 这个 / 这个订单 / 刚才那单 (pronoun, when there is one
item), 哪款 / 这几款 / 这些 (all of them). :func:`draw` picks a form and its text; :func:`resolve`
reads the text back to the ids meant — verification uses it to check a reference label against
the user text.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

__all__ = ["REFERENCE_FORMS", "PRONOUNS", "draw", "resolve", "item_id"]

REFERENCE_FORMS = ("ordinal", "brand", "pronoun", "all")
_CN = "一二三四五六七八九十"
_ORDINAL = re.compile(r"第([一二三四五六七八九十]|[1-9]|10)(?:款|个|种|项)")
_LAST = re.compile(r"最后(?:一款|一个|那款|那个)")
#: 它 / 这款 / 这个 not after 哪 or 那, or an order's pronoun; each branch opens with its word (the
#: look-behind after it) so the regex engine jumps to the words' first characters
_PRONOUN = re.compile(r"它(?<![哪那]它)|这款(?<![哪那]这款)|这个(?<![哪那]这个)|这单|这一单|这笔订单|刚才那个|刚才那单")
#: Words for one remembered item a reference slot may draw (``pronouns``); all resolve.
PRONOUNS = ("它", "这款", "这个", "这个订单", "这单", "这一单", "这笔订单", "刚才那个", "刚才那单")
_ALL = re.compile(r"哪款|哪个|哪一款|这几款|这几个|这些")


def item_id(item: dict[str, Any]) -> str:
    """An item's id: products say ``id``, delivery and order results ``product_id``/``order_no``,
    technician slots their ``start`` and technician (two technicians may be free at one time)."""
    if "id" in item:
        return str(item["id"])
    if "start" in item and "technician_id" in item:
        return f"{item['start']} {item['technician_id']}"
    for key in ("product_id", "order_no", "start"):
        if key in item:
            return str(item[key])
    raise ValueError(f"item without an id: {sorted(item)}")


def draw(items: Sequence[dict[str, Any]], form: str, rng: random.Random,
         measure: Sequence[str] = ("款", "个"), pronouns: Sequence[str] | None = None,
         meant: str | None = None) -> tuple[list[str], str]:
    """(ids meant, text) for a reference in ``form``; forms that cannot apply fall back to ordinal.
    ``pronouns`` are the words for one item (default 它 / 这款 / 这个; see :data:`PRONOUNS`);
    ``meant`` is the id of the item the customer has in mind: when it is listed, the reference is
    to it (a pronoun when it is alone, else its ordinal)."""
    if not items:
        raise ValueError("nothing to refer to")
    one = tuple(pronouns) if pronouns else ("它", "这款", "这个")
    if meant is not None:
        for k, item in enumerate(items):  # the first listed item that is the one meant
            if item_id(item) == meant:
                if len(items) == 1:
                    return [meant], rng.choice(one)
                return [meant], _ordinal(len(items), k, rng, measure)
    if form == "all" and len(items) > 1:
        return [item_id(i) for i in items], rng.choice(("哪款", "这几款里哪款", "这几款"))
    if form == "pronoun" and len(items) == 1:
        return [item_id(items[0])], rng.choice(one)
    if form == "brand":
        brands = [i.get("brand") for i in items]
        unique = [i for i in items if i.get("brand") and brands.count(i["brand"]) == 1]
        if unique:
            item = rng.choice(unique)
            return [item_id(item)], item["brand"] + rng.choice(("那款", "的那个", "那个"))
    if len(items) == 1:
        return [item_id(items[0])], rng.choice(one)
    i = int(rng.random() * len(items))
    return [item_id(items[i])], _ordinal(len(items), i, rng, measure)


def _ordinal(count: int, i: int, rng: random.Random, measure: Sequence[str]) -> str:
    """How a customer says the (i+1)-th of ``count`` items: 第二款 / 第2个 / 最后一个."""
    word = measure[int(rng.random() * len(measure))]
    if i == count - 1 and i > 1 and rng.random() < 0.3:
        return f"最后一{word}"
    n = i + 1
    return f"第{_CN[n - 1]}{word}" if rng.random() < 0.5 else f"第{n}{word}"


def resolve(text: str, items: Sequence[dict[str, Any]]) -> list[str] | None:
    """The ids a sentence refers to among ``items``; None when it refers to none of them."""
    if not items:
        return None
    m = _ORDINAL.search(text)
    if m:
        word = m.group(1)
        n = int(word) if word.isdigit() else _CN.index(word) + 1
        return [item_id(items[n - 1])] if n <= len(items) else None
    if _LAST.search(text):
        return [item_id(items[-1])]
    brands = [i.get("brand") for i in items]
    named = [i for i in items if (brand := i.get("brand")) and brand in text and brands.count(brand) == 1]
    if len(named) == 1:
        return [item_id(named[0])]
    if len(items) > 1 and _ALL.search(text):
        return [item_id(i) for i in items]
    if len(items) == 1 and _PRONOUN.search(text):
        return [item_id(items[0])]
    return None
