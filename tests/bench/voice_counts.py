"""How the assistant and the customer speak in a store of composed sessions: the counts of issue 18.

    twinchat compose -n 4000 --seed 11 --db /tmp/voice.db
    python tests/bench/voice_counts.py /tmp/voice.db            # a table
    python tests/bench/voice_counts.py /tmp/voice.db --json     # the same as JSON

Replies: ISO dates and seconds fields, courier boilerplate said by the assistant, "都送不到 / 最快的是"
about a single product, one arrival time repeated per product, "some arrive" replies silent about a
product that does not arrive. Customers (delivery questions): the full province spelled, a
minute-precise or 凌晨 deadline, "哪款的话", corrections to another province or city, 今晚, today
said as a date. :func:`counts` is what the tests call.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

#: the units whose customer turns ask whether products arrive somewhere by a time
DELIVERY_UNITS = ("shop_delivery_of_options", "shop_delivery_vague_time", "shop_ask_other_product",
                  "product_by_stock_and_delivery")

ISO_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
SECONDS = re.compile(r"\d{1,2}:\d{2}:\d{2}")
BOILERPLATE = re.compile(r"感谢使用|签收人: ")
PLURAL_WORDS = re.compile(r"都送不到|都来不及|都到不了|都赶不上|最快的是|最早是|最早的是")
_DAY = r"(?:\d{1,2}月\d{1,2}日|今天|明天|后天|今晚|明晚|今早|明早|周[一二三四五六日天])"
#: a stated moment: a day with a clock time, or a clock time (12月3日18:00, 明天18:00, 今晚8点)
TIME_MENTION = re.compile(_DAY + r"?(?:凌晨|早上|上午|中午|下午|傍晚|晚上)?\d{1,2}(?::\d{2}|点半?)|\d{1,2}月\d{1,2}日")
MINUTE_DEADLINE = re.compile(r"凌晨|\d{1,2}[点:]\d{1,2}分?|[零一二三四五六七八九十两]+点[零一二三四五六七八九十]+分|点一刻|点三刻")
_CN = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
#: tonight however it is said: 今晚, 今天晚上, or 晚上 without another day
TONIGHT = re.compile(r"今晚|今天晚上|(?<![明天一二三四五六日末])晚上")
DATE_SAID = re.compile(r"([0-9零一二三四五六七八九十]{1,3})月([0-9零一二三四五六七八九十]{1,3})[号日]")


def _cn_int(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN.get(tens, 1) if tens else 1) * 10 + (_CN.get(ones, 0) if ones else 0)
    return _CN.get(text) if len(text) == 1 else None


def _sessions(db: str) -> Iterable[tuple[str, list[dict[str, Any]]]]:
    with sqlite3.connect(db) as conn:
        for now, turns in conn.execute("SELECT now, turns FROM sessions ORDER BY flow, idx"):
            yield now, json.loads(turns)


def _reply_counts(turns: list[dict[str, Any]], out: Counter[str]) -> None:
    """Counts over the assistant's replies, each read with the tool result it answers."""
    result: Any = None
    for turn in turns:
        if turn["role"] == "tool":
            result = turn["content"]
            continue
        if turn["role"] != "assistant" or not turn.get("content"):
            continue
        text = turn["content"]
        out["replies"] += 1
        out["reply_iso_date"] += bool(ISO_DATE.search(text))
        out["reply_seconds"] += bool(SECONDS.search(text))
        out["reply_boilerplate"] += bool(BOILERPLATE.search(text))
        rows = result.get("results") if isinstance(result, dict) else None
        if not rows or turn.get("outcome") not in ("some_arrive", "none_arrive"):
            continue
        if turn["outcome"] == "none_arrive":
            out["not_in_time_replies"] += 1
            out["not_in_time_single_plural"] += len(rows) == 1 and bool(PLURAL_WORDS.search(text))
        else:
            out["some_arrive_replies"] += 1
            late = [r["short_name"] for r in rows if not r["arrives_in_time"]]
            out["some_arrive_silent_on_late"] += any(name not in text for name in late)
        etas = Counter(r["eta"] for r in rows if r.get("eta") and r["arrives_in_time"] == (turn["outcome"] == "some_arrive"))
        if any(n > 1 for n in etas.values()):
            out["shared_eta_replies"] += 1
            mentions = Counter(TIME_MENTION.findall(text))
            out["shared_eta_repeated"] += any(n > 1 for n in mentions.values())


def _customer_counts(now: datetime, turns: list[dict[str, Any]], provinces: tuple[str, ...],
                     out: Counter[str]) -> None:
    """Counts over the customer's delivery questions and district corrections."""
    place, corrected = "", False  # the last destination checked; a correction waiting for its check
    for turn in turns:
        if turn["role"] == "tool" and isinstance(turn["content"], dict) and "destination" in turn["content"]:
            new = turn["content"]["destination"].get("adcode", "")
            if corrected and place and new:
                out["correction_other_province"] += place[:2] != new[:2]
                out["correction_other_city"] += place[:4] != new[:4]
            place, corrected = new, False
        if turn["role"] != "user":
            continue
        text, unit = turn["content"], turn.get("unit")
        if unit == "shop_correct_district":
            out["corrections"] += 1
            corrected = True
        if unit not in DELIVERY_UNITS:
            continue
        out["delivery_questions"] += 1
        out["ask_full_province"] += any(p in text for p in provinces)
        out["ask_minute_or_dawn"] += bool(MINUTE_DEADLINE.search(text))
        out["ask_nakuan_dehua"] += "哪款的话" in text
        out["ask_tonight"] += "今晚" in text
        out["ask_tonight_any_wording"] += bool(TONIGHT.search(text))
        out["ask_today_as_date"] += any(
            (_cn_int(m), _cn_int(d)) == (now.month, now.day) for m, d in DATE_SAID.findall(text))


def counts(db: str) -> dict[str, int]:
    """Every count, over every session of the store ``db``."""
    with sqlite3.connect(db) as conn:
        provinces = tuple(r[0] for r in conn.execute("SELECT name FROM regions WHERE level = 'province'")
                          if r[0].endswith(("省", "自治区")))
    out: Counter[str] = Counter()
    for now, turns in _sessions(db):
        out["sessions"] += 1
        _reply_counts(turns, out)
        _customer_counts(datetime.fromisoformat(now), turns, provinces, out)
    return dict(sorted(out.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", help="a store written by `twinchat compose --db`")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    found = counts(args.db)
    if args.json:
        print(json.dumps(found, indent=1))
    else:
        for key, value in found.items():
            print(f"{key:32} {value:>7,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
