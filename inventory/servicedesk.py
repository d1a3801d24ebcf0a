"""The service desk: a fault knowledge base, technicians with weekly schedules, and tickets.

The knowledge base is a plain table of what customers report and what support tells them
(``KB_SOLUTIONS`` in ``servicedesk_data``); it is the same in every world. The seed decides the technicians — how many
per city, their names, phones, skills and weekly schedules — never the knowledge base.

A technician's availability on a date is the rule of :func:`free_slots`:

* the weekly schedule (``technician_schedule``: weekday, 2-hour slots),
* minus a share of slots already booked by other customers — a fixed function of
  (technician, date, slot start) through SHA-256, about :data:`BUSY_SHARE` of them,
* minus slots taken by rows in ``tickets``,
* minus slots that start earlier than :data:`LEAD_TIME` after the session clock.

Charging-pile error codes E01…E09 follow one scheme across the world (see ``KB_SOLUTIONS``).
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any


from twinchat.inventory.timefmt import format_time
from twinchat.inventory.errors import InventoryError
from twinchat.inventory.seeds import area_rng
from twinchat.inventory.servicedesk_data import KB_SOLUTIONS

if TYPE_CHECKING:  # sqlite-utils imports pandas when it is installed: only building needs it
    import sqlite_utils

__all__ = [
    "KB_SOLUTIONS",
    "SERVICE_CITIES",
    "SLOTS",
    "BUSY_SHARE",
    "LEAD_TIME",
    "populate",
    "is_booked_elsewhere",
    "free_slots",
    "taken_on",
]

#: The bookable 2-hour slots of a day, (start, end) as 'HH:MM'.
SLOTS: tuple[tuple[str, str], ...] = (
    ("09:00", "11:00"),
    ("11:00", "13:00"),
    ("14:00", "16:00"),
    ("16:00", "18:00"),
    ("19:00", "21:00"),
)

#: About this share of scheduled slots is already booked by customers outside the dialogue.
BUSY_SHARE = 0.3

#: A slot can be booked only if it starts at least this long after the session clock.
LEAD_TIME = timedelta(hours=1)

# ---------------------------------------------------------------------------------------------
# Technicians: the cities with an on-site service (city adcodes; municipalities use the
# xx0100 form), the kinds of technician and their weekly shifts.
SERVICE_CITIES: tuple[tuple[str, str], ...] = (
    ("110100", "北京"), ("120100", "天津"), ("130100", "石家庄"), ("140100", "太原"),
    ("210100", "沈阳"), ("220100", "长春"), ("230100", "哈尔滨"), ("310100", "上海"),
    ("320100", "南京"), ("320500", "苏州"), ("330100", "杭州"), ("340100", "合肥"),
    ("350100", "福州"), ("350200", "厦门"), ("360100", "南昌"), ("370100", "济南"),
    ("370200", "青岛"), ("410100", "郑州"), ("420100", "武汉"), ("430100", "长沙"),
    ("440100", "广州"), ("440300", "深圳"), ("440600", "佛山"), ("441900", "东莞"),
    ("450100", "南宁"), ("500100", "重庆"), ("510100", "成都"), ("520100", "贵阳"),
    ("530100", "昆明"), ("610100", "西安"),
)

#: (kind, skills it always has, skills it sometimes has). Phones and chargers are sent in for
#: repair, so a city may have nobody for them.
_KINDS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("pile", ("charging_pile",), ()),
    ("computer", ("laptop", "memory", "ssd"), ("phone",)),
)

#: Weekly shifts, as indexes into SLOTS.
_SHIFTS: tuple[tuple[int, ...], ...] = (
    (0, 1, 2, 3),      # day shift 09:00–18:00
    (0, 1, 2),         # morning shift
    (1, 2, 3, 4),      # late shift, into the evening
    (2, 3, 4),         # afternoon and evening (owners home after work)
)


#: Mobile prefixes long in service (valid for libphonenumber's CN metadata).
_MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "177", "180", "181", "182", "183", "185", "186", "187",
    "188", "189", "199",
)


def populate(db: sqlite_utils.Database, seed: int) -> None:
    """Create and fill ``kb_solutions``, ``technicians``, ``technician_schedule``, ``tickets``.

    Needs ``regions`` (technicians' cities) and ``categories`` (from the catalog).
    """
    rng = area_rng(seed, "servicedesk")
    _check_service_cities(db.conn)
    _knowledge_base(db)
    technicians, schedule = _technicians(rng)
    _service_tables(db, technicians, schedule)


def _check_service_cities(conn: sqlite3.Connection) -> None:
    wanted = [code for code, _ in SERVICE_CITIES]
    marks = ",".join("?" * len(wanted))
    known = {r[0] for r in conn.execute(
        f"SELECT adcode FROM regions WHERE level = 'city' AND adcode IN ({marks})", wanted)}
    missing = [f"{code} {name}" for code, name in SERVICE_CITIES if code not in known]
    if missing:
        raise InventoryError(f"servicedesk: service cities missing from regions: {', '.join(missing)}")


def _knowledge_base(db: sqlite_utils.Database) -> None:
    db["kb_solutions"].create(
        {"id": str, "category": str, "fault": str, "keywords": str, "solution": str,
         "needs_onsite": int, "error_code": str},
        pk="id", not_null={"category", "fault", "keywords", "solution", "needs_onsite"},
        foreign_keys=[("category", "categories", "id")],
    )
    known = {r[0] for r in db.conn.execute("SELECT id FROM categories")}  # a shop's own catalog may lack some
    db["kb_solutions"].insert_all(
        {"id": f"KB{i:03d}", "category": category, "fault": fault, "keywords": keywords,
         "solution": "\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1)),
         "needs_onsite": int(onsite), "error_code": code}
        for i, (category, fault, keywords, steps, onsite, code) in enumerate(KB_SOLUTIONS, 1) if category in known
    )
    db["kb_solutions"].create_index(["category"])
    db["kb_solutions"].create_index(["error_code"])


def _technicians(rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The technicians of every service city and their weekly schedule."""
    import faker  # here, not at the top: reading the world (the tools) does not need Faker

    fake = faker.Faker("zh_CN")
    fake.seed_instance(rng.getrandbits(64))
    technicians: list[dict[str, Any]] = []
    schedule: list[dict[str, Any]] = []
    names: set[str] = set()
    for city, _ in SERVICE_CITIES:
        count = rng.randint(2, 6)
        for k in range(count):
            # the first two of a city are one of each kind, so every city serves piles and laptops
            kind = _KINDS[k] if k < len(_KINDS) else rng.choice(_KINDS)
            _, always, sometimes = kind
            skills = [*always, *(s for s in sometimes if rng.random() < 0.4)]
            name = fake.name()
            while name in names:
                name = fake.name()
            names.add(name)
            tid = f"T{len(technicians) + 1:04d}"
            technicians.append({
                "id": tid, "name": name,
                "phone": rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}",
                "city": city, "skills": " ".join(skills), "rating": round(rng.uniform(4.3, 5.0), 1),
            })
            shift = rng.choice(_SHIFTS)
            days_off = set(rng.sample(range(7), rng.choice((1, 2))))
            for weekday in range(7):
                if weekday in days_off:
                    continue
                for index in shift:
                    if rng.random() < 0.1:          # an errand, a standing appointment
                        continue
                    start, end = SLOTS[index]
                    schedule.append({"technician": tid, "weekday": weekday, "start": start, "end": end})
    return technicians, schedule


def _service_tables(db: sqlite_utils.Database, technicians: list[dict[str, Any]],
                    schedule: list[dict[str, Any]]) -> None:
    """The ``technicians``, ``technician_schedule`` and (empty) ``tickets`` tables."""
    db["technicians"].create(
        {"id": str, "name": str, "phone": str, "city": str, "skills": str, "rating": float},
        pk="id", not_null={"name", "phone", "city", "skills", "rating"},
        foreign_keys=[("city", "regions", "adcode")],
    )
    db["technicians"].insert_all(technicians)
    db["technicians"].create_index(["city"])

    db["technician_schedule"].create(
        {"technician": str, "weekday": int, "start": str, "end": str},
        pk=("technician", "weekday", "start"), not_null={"end"},
        foreign_keys=[("technician", "technicians", "id")],
    )
    db["technician_schedule"].insert_all(schedule)
    db["technician_schedule"].create_index(["weekday", "technician"])

    db["tickets"].create(
        {"ticket_no": str, "request_key": str, "created_at": str, "user_name": str, "phone": str,
         "address": str, "city": str, "problem": str, "category": str, "serve_start": str,
         "serve_end": str, "technician": str, "is_vip": int, "status": str},
        pk="ticket_no",
        not_null={"request_key", "created_at", "user_name", "phone", "address", "city", "problem",
                  "category", "serve_start", "serve_end", "is_vip", "status"},
        foreign_keys=[("city", "regions", "adcode"), ("category", "categories", "id"),
                      ("technician", "technicians", "id")],
    )
    db["tickets"].create_index(["request_key"], unique=True)
    db["tickets"].create_index(["technician", "serve_start"])


def is_booked_elsewhere(technician: str, day: date, start: str) -> bool:
    """Whether a scheduled slot is already taken by a customer outside the dialogue."""
    digest = hashlib.sha256(f"{technician}|{day.isoformat()}|{start}".encode()).digest()
    return int.from_bytes(digest[:4], "big") < BUSY_SHARE * 2**32


def free_slots(
    conn: Any, technicians: Sequence[str], day: date, now: datetime
) -> list[tuple[datetime, str, datetime]]:
    """The free slots ``(start, technician, end)`` of ``technicians`` on ``day``, sorted.

    Sorted by start, then technician id. See the module docstring for the rule.
    """
    if not technicians:
        return []
    marks = ",".join("?" * len(technicians))
    scheduled = conn.execute(
        f"SELECT technician, start, end FROM technician_schedule "
        f"WHERE weekday = ? AND technician IN ({marks})",
        (day.weekday(), *technicians)).fetchall()
    taken = taken_on(conn, technicians, day)
    earliest = now + LEAD_TIME
    free = []
    for tid, start, end in scheduled:
        begins = datetime.combine(day, time.fromisoformat(start))
        if begins < earliest or (tid, _fmt(begins)) in taken or is_booked_elsewhere(tid, day, start):
            continue
        free.append((begins, tid, datetime.combine(day, time.fromisoformat(end))))
    free.sort()
    return free


def taken_on(conn: Any, technicians: Sequence[str], day: date) -> set[tuple[str, str]]:
    """(technician, start text) of every ticket not cancelled that ``technicians`` serve on ``day``."""
    first = datetime.combine(day, time(0))
    return {(r[0], r[1]) for r in conn.execute(
        f"SELECT technician, serve_start FROM tickets WHERE technician IN ({','.join('?' * len(technicians))}) "
        "AND serve_start >= ? AND serve_start < ? AND status != 'cancelled'",
        (*technicians, _fmt(first), _fmt(first + timedelta(days=1))))}


def _fmt(moment: datetime) -> str:
    return format_time(moment)
