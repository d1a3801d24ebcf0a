"""Slot values: what a template sees. Each renders as its chosen surface form (``text``) and
exposes its parts as attributes (``phone.digits``, ``address.city``, ``product.id``).

Generators for the values twinchat makes itself (mobile numbers, Chinese names) live here too:
they are plain tables and an explicit RNG, far faster than going through Faker's machinery,
and correct by construction (every mobile prefix is one libphonenumber accepts today).
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import asdict, dataclass, field, fields
from typing import Any

__all__ = [
    "Value",
    "Phone",
    "Person",
    "MOBILE_PREFIXES",
    "mobile_digits",
    "invalid_mobile_digits",
    "phone_form",
    "make_person",
    "PERSON_FORMS",
    "PHONE_FORMS",
    "ORDER_FORMS",
]

#: Mainland mobile prefixes in use (13x–19x), with rough weights by how common they are.
MOBILE_PREFIXES: tuple[tuple[str, int], ...] = tuple(
    (str(p), w)
    for group, w in (
        ((130, 131, 132, 133, 134, 135, 136, 137, 138, 139), 10),
        ((150, 151, 152, 153, 155, 156, 157, 158, 159), 8),
        ((180, 181, 182, 183, 184, 185, 186, 187, 188, 189), 8),
        ((190, 191, 192, 193, 195, 196, 197, 198, 199), 4),
        ((145, 147, 162, 165, 166, 167, 170, 171, 172, 173, 175, 176, 177, 178), 2),
    )
    for p in group
)
_PREFIXES = [p for p, _ in MOBILE_PREFIXES]
_PREFIX_WEIGHTS = [w for _, w in MOBILE_PREFIXES]


_PREFIX_CUM = list(itertools.accumulate(_PREFIX_WEIGHTS))


def mobile_digits(rng: random.Random) -> str:
    """A valid mainland mobile number, 11 digits."""
    prefix = _PREFIXES[bisect.bisect(_PREFIX_CUM, rng.random() * _PREFIX_CUM[-1])]
    return prefix + f"{int(rng.random() * 10**8):08d}"


def invalid_mobile_digits(rng: random.Random) -> str:
    """A number a customer mistypes: one digit short or long, or an unused prefix (12x, 10x)."""
    good = mobile_digits(rng)
    kind = rng.randrange(3)
    if kind == 0:
        return good[:-1]
    if kind == 1:
        return good + str(rng.randrange(10))
    return "1" + rng.choice("0122") + good[2:]


PHONE_FORMS = ("plain", "dashed", "spaced", "plus86", "plus86_plain")

#: How a customer writes an order number: DD261112637359, dd261112637359, DD2611 1263 7359, ＤＤ…
#: (the order book writes them; inventory order slots offer them).
ORDER_FORMS = ("order_no", "lower", "spaced", "fullwidth")


def phone_form(digits: str, form: str) -> str:
    """An 11-digit mobile number written in one of :data:`PHONE_FORMS`."""
    if form == "plain":
        return digits
    if form == "plus86_plain":
        return f"+86{digits}"
    a, b, c = digits[:3], digits[3:7], digits[7:]
    if form == "dashed":
        return f"{a}-{b}-{c}"
    if form == "spaced":
        return f"{a} {b} {c}"
    if form == "plus86":
        return f"+86 {a} {b} {c}"
    raise ValueError(f"unknown phone form {form!r}; forms: {', '.join(PHONE_FORMS)}")


class Value:
    """Base of slot values: ``str(v)`` is its surface text; ``v.value`` is the canonical value."""

    text: str

    def __str__(self) -> str:
        return self.text

    def to_json(self) -> Any:
        return asdict(self)  # type: ignore[call-overload]


@dataclass(frozen=True, eq=False)
class Text(Value):
    """A plain value with a surface text."""

    value: Any
    text: str

    def __init__(self, value: Any, text: str) -> None:
        # frozen: fields go straight into __dict__ (see Phone)
        d = self.__dict__
        d["value"], d["text"] = value, text

    def to_json(self) -> Any:
        return self.value if self.text == str(self.value) else {"value": self.value, "text": self.text}


@dataclass(frozen=True, eq=False)
class Phone(Value):
    """A phone number: ``digits`` (canonical), ``text`` (as written), ``valid``."""

    digits: str
    text: str
    form: str = "plain"
    valid: bool = True

    def __init__(self, digits: str, text: str, form: str = "plain", valid: bool = True) -> None:
        # frozen: fields go straight into __dict__ (the generated __init__ calls object.__setattr__ per field)
        d = self.__dict__
        d["digits"], d["text"], d["form"], d["valid"] = digits, text, form, valid

    @property
    def value(self) -> str:
        return self.digits


# Surnames by frequency (top of the 2020 census list) and given-name characters.
_SURNAMES = tuple("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
_SURNAME_W = tuple(max(1, 60 - i) for i in range(len(_SURNAMES)))
_SURNAME_CUM = list(itertools.accumulate(_SURNAME_W))
_GIVEN_M = tuple("伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欢阳建国志文博晨子轩浩然")
_GIVEN_F = tuple("芳娜敏静丽艳娟霞秀玲燕红琳雪婷慧颖倩洁琴云莉萍晶佳欣怡雨萱诗涵梦瑶悦彤菲")
PERSON_FORMS = ("name", "title", "full_title", "surname_title")


@dataclass(frozen=True, eq=False)
class Person(Value):
    """A customer: ``name`` (王伟), ``surname`` (王), ``gender`` (male/female), ``title`` (先生/女士)."""

    name: str
    surname: str
    gender: str
    title: str
    text: str
    form: str = "name"

    def __init__(self, name: str, surname: str, gender: str, title: str, text: str, form: str = "name") -> None:
        # frozen: fields go straight into __dict__ (see Phone)
        d = self.__dict__
        d["name"], d["surname"], d["gender"], d["title"], d["text"], d["form"] = name, surname, gender, title, text, form

    @property
    def value(self) -> str:
        return self.name


_M_BITS, _F_BITS = len(_GIVEN_M).bit_length(), len(_GIVEN_F).bit_length()


def make_person(rng: random.Random, form: str = "name") -> Person:
    """A coherent Chinese name with gender and polite title, rendered in ``form``."""
    random_, getrandbits = rng.random, rng.getrandbits
    surname = _SURNAMES[bisect.bisect(_SURNAME_CUM, random_() * _SURNAME_CUM[-1])]
    male = random_() < 0.5
    pool, bits = (_GIVEN_M, _M_BITS) if male else (_GIVEN_F, _F_BITS)
    count = len(pool)
    # one or two given-name characters, each drawn as rng.choice(pool) draws (CPython), inline
    i = getrandbits(bits)
    while i >= count:
        i = getrandbits(bits)
    given = pool[i]
    if random_() < 0.7:
        i = getrandbits(bits)
        while i >= count:
            i = getrandbits(bits)
        given += pool[i]
    name = surname + given
    title = "先生" if male else "女士"
    if form == "name":
        text = name
    elif form == "full_title":
        text = name + title
    elif form in ("title", "surname_title"):
        text = surname + title
    else:
        raise KeyError(form)
    return Person(name, surname, "male" if male else "female", title, text, form)


@dataclass(frozen=True, eq=False)
class Record(Value):
    """A row of the world (product, device, address, district, city, fault) with a surface text."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    text: str = ""

    def __init__(self, kind: str, data: dict[str, Any] | None = None, text: str = "") -> None:
        # frozen: fields go straight into __dict__ (see Phone). The parts become plain attributes
        # too (a template reads addr.city without a __getattr__ round trip); names the class
        # defines (kind, data, text, value, …) keep their meaning.
        d = self.__dict__
        data = {} if data is None else data
        d.update(data)
        if not _RECORD_OWN.isdisjoint(data):  # a part named as the class names something (a time's kind)
            for name in _RECORD_OWN.intersection(data):
                del d[name]
        d["kind"], d["data"], d["text"] = kind, data, text

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["data"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def value(self) -> Any:
        return self.data.get("id", self.text)

    def to_json(self) -> Any:
        return {"kind": self.kind, **self.data, "text": self.text}


_RECORD_OWN = frozenset(dir(Record)) | {f.name for f in fields(Record)}
