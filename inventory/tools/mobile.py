"""Mainland mobile numbers as the service-desk and order tools read them (phonenumbers' answer).

A number is a mainland mobile when phonenumbers parses it as a number of region CN whose type is
a mobile one (its type is known only for a valid number). For the 11 digits customers type
(plain, or grouped 3-4-4 maybe after +86) the parse is known in advance — the number of country
86 with those digits — and the type is the one phonenumbers' own rule gives, asked of CN's
metadata with its patterns compiled once (:func:`_type_check`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneMetadata

__all__ = ["mobile_number"]

#: 11 digits from 13… to 19…, not 179…: ``phonenumbers.parse(text, "CN")`` strips no prefix of these
#: (CN's national prefix for parsing is ``0`` or ``1[12]xx``/``179xx``) and reads the number as is
_PLAIN_MOBILE = re.compile(r"1[3-9][0-9]{9}")
#: the same 11 digits as customers write them: grouped 3-4-4 by a space or dash, maybe after +86
#: (read as the digits they group; the test compares every form with phonenumbers' parse)
_GROUPED_MOBILE = re.compile(r"(?:\+86[ -]?)?(1[3-9][0-9])([ -]?)([0-9]{4})\2([0-9]{4})")


_MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


@lru_cache(maxsize=512)
def mobile_number(text: str) -> str | None:
    """The 11-digit national number of a mainland mobile, or None.

    A pure function of the text (phonenumbers' parsing is the dearest step of a ticket), so the
    last 512 answers are kept: verifying a dialogue parses its phone number again a few calls
    later (a run of sessions seldom says an earlier session's number: more would only fill memory). A
    plain 11-digit mobile, or one grouped 3-4-4 (maybe after +86), skips the parse, whose number it
    would be (see ``_PLAIN_MOBILE``, ``_GROUPED_MOBILE``), and has its type by ``_cn_mobile``."""
    grouped = _GROUPED_MOBILE.fullmatch(text)
    digits = text if _PLAIN_MOBILE.fullmatch(text) else ("".join(grouped.group(1, 3, 4)) if grouped else "")
    if digits and not digits.startswith("179"):  # the number of country 86 with these digits
        return digits if _cn_mobile(digits) else None
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    # a number of CN whose type is a mobile one is valid (is_valid_number is "its type is known"):
    # the type is worked out once, not twice
    if (phonenumbers.region_code_for_number(number) != "CN"
            or phonenumbers.number_type(number) not in _MOBILE_TYPES):
        return None
    return str(number.national_number)


def _desc_check(desc: phonenumbers.PhoneNumberDesc | None) -> Callable[[str], bool]:
    """Whether a national number matches ``desc``, as phonenumbers decides it: a length ``desc``
    lists (when it lists any), then its national pattern, matched in full."""
    if desc is None or not desc.national_number_pattern:
        return lambda digits: False
    lengths = frozenset(desc.possible_length or ())
    full = re.compile(desc.national_number_pattern).fullmatch
    return lambda digits: (not lengths or len(digits) in lengths) and full(digits) is not None


def _type_check(region: str) -> Callable[[str], bool]:
    """Whether phonenumbers gives a national number of ``region`` a mobile type (MOBILE or
    FIXED_LINE_OR_MOBILE): its type rule — the general pattern, then no special type (premium …
    voicemail), then fixed line and mobile — with every pattern compiled once."""
    meta = PhoneMetadata.metadata_for_region(region)
    general, fixed, mobile = (_desc_check(getattr(meta, n)) for n in ("general_desc", "fixed_line", "mobile"))
    special = [_desc_check(desc) for desc in (getattr(meta, n) for n in (
        "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail"))
        if desc is not None and desc.national_number_pattern]  # a type without a pattern matches nothing
    same = bool(meta.same_mobile_and_fixed_line_pattern)

    def check(digits: str) -> bool:
        if not general(digits) or any(s(digits) for s in special):
            return False
        if fixed(digits):
            return same or mobile(digits)
        return not same and mobile(digits)

    def check_apart(digits: str) -> bool:
        # mobile and fixed-line patterns apart: a fixed line is a mobile one too only where the mobile
        # pattern matches, and otherwise a mobile where it matches; either way the mobile pattern
        # decides, and the fixed-line pattern (CN's longest) need not be tried
        return general(digits) and not any(s(digits) for s in special) and mobile(digits)
    return check if same else check_apart


def _asked_of_phonenumbers(digits: str) -> bool:
    number = phonenumbers.PhoneNumber(country_code=86, national_number=int(digits))
    return (phonenumbers.region_code_for_number(number) == "CN"
            and phonenumbers.number_type(number) in _MOBILE_TYPES)


#: whether the national number of country 86 ``digits`` is a mainland mobile: phonenumbers'
#: answer, by CN's type rule when CN is the country's one region (then its region is CN)
_cn_mobile = _type_check("CN") if phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(86) == ("CN",) \
    else _asked_of_phonenumbers
