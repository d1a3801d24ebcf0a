"""The service-desk tools: ``search_solution``, ``query_technician_slots`` and ``create_ticket``.

``create_ticket`` writes one row to ``tickets`` and leaves the transaction to its caller. It is
idempotent: the ticket is keyed by a hash of its canonical arguments and the session clock, so
calling it again with the same arguments at the same clock returns the same ticket and adds no
row — the composer re-runs every tool call to verify a dialogue.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, NaiveDatetime

from twinchat.inventory.servicedesk import LEAD_TIME, SLOTS, taken_on
from twinchat.inventory.tools.base import (
    Tool,
    ToolContext,
    format_time,
    free_number,
    tool_error,
)
from twinchat.inventory.tools.desk import Desk
from twinchat.inventory.tools.lookup import Categories, resolve_category
from twinchat.inventory.tools.booked import KEEP_BOOKED, SESSION_KEEP_BOOKED, BookedSlots  # noqa: F401 (named here)
from twinchat.inventory.tools.booked import booked as _booked
from twinchat.inventory.tools.memo import answer, replayed, shared
from twinchat.inventory.tools.mobile import _PLAIN_MOBILE, mobile_number  # noqa: F401 (named here as before)
from twinchat.inventory.tools.places import resolve_address as _resolve_address
from twinchat.inventory.tools.places import resolve_city as _resolve_city
from twinchat.inventory.tools.static import static_data
from twinchat.inventory.tools.ticket_key import ticket_key

__all__ = [
    "SearchSolutionArgs",
    "QueryTechnicianSlotsArgs",
    "CreateTicketArgs",
    "SEARCH_SOLUTION",
    "QUERY_TECHNICIAN_SLOTS",
    "CREATE_TICKET",
    "mobile_number",
    "BookedSlots",
    "KEEP_BOOKED",
    "SESSION_KEEP_BOOKED",
]

Resolved = tuple[Any, "dict[str, Any] | None"]

# -- search_solution ---------------------------------------------------------------------------

class SearchSolutionArgs(BaseModel):
    """Arguments of ``search_solution``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: str | None = Field(
        default=None, description="故障设备的品类,如 充电桩、笔记本电脑、手机、内存条、固态硬盘、充电器;不确定则不填"
    )
    query: str = Field(min_length=1, description="客户描述的故障现象或故障码,如 充电桩无法充电、屏幕显示E03")
    limit: int = Field(default=3, ge=1, le=10, description="最多返回几条解决方案")


_ERROR_CODE = re.compile(r"(?<![a-z])e-?0?([1-9])(?!\d)")
#: whitespace a fold drops (compiled once)
_SPACES = re.compile(r"\s+")


def fold_for_search(text: str) -> str:
    """``text`` as search_solution matches it: NFKC-normalised, whitespace dropped, lower case.

    A query matches a knowledge-base keyword or category word when the word's fold is in the
    query's fold, whatever width, spacing or case the customer typed (屏幕显示Ｅ０３, 充电 桩).
    Punctuation is kept: it separates an error code from what follows."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).lower()


class _Knowledge:
    """What search_solution matches against, normalised once (static data, see :mod:`.static`)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        #: (category id, its normalised name and aliases) in id order
        self.words = [(cid, frozenset(fold_for_search(a) for a in (name, *aliases)))
                      for cid, name, aliases in static_data(conn, Categories).rows]
        #: every category word: they rank but never make a match on their own
        self.generic = frozenset().union(*(w for _, w in self.words))
        #: per solution, in id order: (normalised keywords, normalised fault, error code, the answer's entry)
        self.solutions = [
            (tuple(fold_for_search(k) for k in keywords.split()), fold_for_search(fault), code, {
                "id": sid, "category": category, "fault": fault, "solution": solution,
                "needs_onsite": bool(onsite), "error_code": code})
            for sid, category, fault, keywords, solution, onsite, code in conn.execute(
                "SELECT id, category, fault, keywords, solution, needs_onsite, error_code FROM kb_solutions ORDER BY id")]


def _search(ctx: ToolContext, args: SearchSolutionArgs) -> dict[str, Any]:
    return answer(ctx.conn, "search_solution", (args.category, args.query, args.limit),
                  lambda: _search_now(ctx, args), as_is=True)


def _search_now(ctx: ToolContext, args: SearchSolutionArgs) -> dict[str, Any]:
    conn = ctx.conn
    query = fold_for_search(args.query)
    codes = {f"E0{d}" for d in _ERROR_CODE.findall(query)}
    # category words (充电桩, 电脑 …) rank but never make a match on their own; without a
    # category argument, the categories the query names are the ones searched
    kb = static_data(conn, _Knowledge)
    named = [cid for cid, words in kb.words if any(w in query for w in words)]
    if args.category is not None:
        category, err = resolve_category(conn, args.category)
        if err:
            return err
        named = [category]
    scored = []
    for keywords, fault, code, entry in kb.solutions:
        if named and entry["category"] not in named:
            continue
        hits = [k for k in keywords if k in query]
        specific = sum(1 for k in hits if k not in kb.generic)
        bonus = (10 if code in codes else 0) + (3 if fault in query else 0)
        if specific + bonus == 0:
            continue
        scored.append((-(len(hits) + bonus), entry["id"], entry))
    scored.sort(key=lambda s: s[:2])
    solutions = [dict(s[2]) for s in scored[: args.limit]]
    return {"solutions": solutions, "count": len(scored)}


SEARCH_SOLUTION = Tool(
    name="search_solution",
    description="根据客户描述的故障现象或故障码,在售后知识库中查找解决方案,并说明是否需要师傅上门",
    args_model=SearchSolutionArgs,
    func=_search,
)


# -- query_technician_slots --------------------------------------------------------------------

class QueryTechnicianSlotsArgs(BaseModel):
    """Arguments of ``query_technician_slots``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    city: str = Field(min_length=1, description="上门服务所在的城市或区县,如 深圳市、福田区、北京朝阳")
    category: str = Field(description="需要上门维修或安装的品类,如 充电桩、笔记本电脑、内存条")
    date: dt.date | None = Field(
        default=None, description="只查询这一天的可预约时段,格式 YYYY-MM-DD;不填则从今天起查询 days 天"
    )
    days: int = Field(default=3, ge=1, le=7, description="从今天起查询几天(含今天),指定 date 时不用")
    limit: int = Field(default=10, ge=1, le=50, description="最多返回几个时段(按开始时间从早到晚)")


def _skilled(conn: sqlite3.Connection, city: str, category: str) -> list[str]:
    """The ids of ``city``'s technicians skilled for ``category``, in id order (shared: read only)."""
    return static_data(conn, Desk).skilled(city, category)


def _category_name(conn: sqlite3.Connection, category: str) -> str:
    return static_data(conn, Categories).names[category]


def _no_service(conn: sqlite3.Connection, city: dict[str, Any], category: str, field: str) -> dict[str, Any]:
    cname = _category_name(conn, category)
    if not static_data(conn, Desk).serves(city["adcode"]):
        return tool_error("no_service_in_city", f"{city['name']}暂未开通上门服务", field)
    return tool_error("no_service_in_city", f"{city['name']}暂无{cname}上门服务,可申请寄修", field)


def _slots(ctx: ToolContext, args: QueryTechnicianSlotsArgs) -> dict[str, Any]:
    return answer(ctx.conn, "query_technician_slots", (ctx.now, args.city, args.category, args.date, args.days,
                                                       args.limit), lambda: _slots_now(ctx, args), as_is=True)


def _slots_now(ctx: ToolContext, args: QueryTechnicianSlotsArgs) -> dict[str, Any]:
    conn = ctx.conn
    today = ctx.now.date()
    if args.date is not None and args.date < today:
        return tool_error("date_in_past", f"日期 {args.date.isoformat()} 已经过去", "date")
    category, err = resolve_category(conn, args.category)
    if err:
        return err
    city, err = _resolve_city(conn, args.city, "city")
    if err:
        return err
    technicians = _skilled(conn, city["adcode"], category)
    if not technicians:
        return _no_service(conn, city, category, "city")
    names = static_data(conn, Desk).names
    days = [args.date] if args.date is not None else [today + timedelta(days=i) for i in range(args.days)]
    empty = _no_tickets(conn)
    free = [slot for day in days for slot in _free_on(conn, technicians, day, ctx.now, empty)]
    slots = [{"technician_id": tid, "technician_name": names[tid],
              "start": format_time(start), "end": format_time(end)}
             for start, tid, end in free[: args.limit]]
    return {"city": {"adcode": city["adcode"], "name": city["name"]}, "category": category,
            "slots": slots, "count": len(free)}


QUERY_TECHNICIAN_SLOTS = Tool(
    name="query_technician_slots",
    description="查询某城市可上门维修指定品类的师傅,以及他们接下来几天可预约的上门时段",
    args_model=QueryTechnicianSlotsArgs,
    func=_slots,
)


# -- create_ticket -----------------------------------------------------------------------------

class CreateTicketArgs(BaseModel):
    """Arguments of ``create_ticket``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_name: str = Field(min_length=1, max_length=30, description="报修人姓名或称呼,如 王先生")
    phone: str = Field(min_length=1, description="报修人手机号,中国大陆手机号,如 13800138000")
    address: str = Field(min_length=2, description="上门地址,需包含城市和区县,如 深圳市南山区科苑路15号")
    problem: str = Field(min_length=1, description="故障描述,如 充电桩无法充电,指示灯红灯常亮")
    category: str = Field(description="报修的品类,如 充电桩、笔记本电脑、内存条")
    serve_time: NaiveDatetime = Field(
        description="预约上门时段的开始时间,格式 YYYY-MM-DD HH:MM:SS,须是可预约时段的开始时间,如 2026-11-21 14:00:00"
    )
    technician_id: str | None = Field(default=None, description="指定的师傅编号,如 T0012;不指定则自动分派")
    is_vip: bool = Field(default=False, description="报修人是否为VIP会员")


def _ticket_result(conn: sqlite3.Connection, key: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT k.ticket_no, k.serve_start, k.serve_end, k.technician, t.name, k.status "
        "FROM tickets k LEFT JOIN technicians t ON t.id = k.technician WHERE k.request_key = ?",
        (key,)).fetchone()
    if row is None:
        return None
    return {"ticket_no": row[0], "serve_start": row[1], "serve_end": row[2], "technician_id": row[3],
            "technician_name": row[4], "status": row[5]}


def _no_tickets(conn: sqlite3.Connection) -> bool:
    """Whether ``tickets`` holds no row now (a world is built without any): asked once per state
    of the world on a tracked connection (:func:`.memo.shared`), else every time. Then no ticket
    has the request's key, no slot is taken by one and the first number drawn is free."""
    return shared(conn, "no_tickets", (), lambda: conn.execute("SELECT 1 FROM tickets LIMIT 1").fetchone() is None)


def _create(ctx: ToolContext, args: CreateTicketArgs) -> dict[str, Any]:
    parts = (ctx.now, args.user_name, args.phone, args.address, args.problem, args.category, args.serve_time,
             args.technician_id, args.is_vip)
    return replayed(ctx.conn, "create_ticket", parts, lambda: _create_now(ctx, args), written=False, as_is=True)


#: the starts of the day's slots (HH:MM)
_STARTS = [start for start, _ in SLOTS]

_INSERT_TICKET = ("INSERT INTO tickets (ticket_no, request_key, created_at, user_name, phone, address, city, problem, "
                  "category, serve_start, serve_end, technician, is_vip, status) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'created')")


def _check_ticket(conn: sqlite3.Connection, now: datetime, args: CreateTicketArgs) -> Resolved:
    """(phone, category, city row, technician id or None, the skilled technicians) for a ticket,
    or the tool error that says which argument is wrong."""
    phone = mobile_number(args.phone)
    if phone is None:
        return None, tool_error("invalid_phone", f"手机号“{args.phone}”无效,请提供11位中国大陆手机号", "phone")
    category, err = resolve_category(conn, args.category)
    if err:
        return None, err
    if args.serve_time < now:
        return None, tool_error("serve_time_in_past",
                                f"上门时间 {format_time(args.serve_time)} 已经过去", "serve_time")
    city, err = _resolve_address(conn, args.address)
    if err:
        return None, err
    tech_id = args.technician_id.strip().upper() if args.technician_id else None
    skilled = _skilled(conn, city["adcode"], category)
    if tech_id is not None:
        name = static_data(conn, Desk).names.get(tech_id)
        if name is None:
            return None, tool_error("unknown_technician", f"没有编号为 {tech_id} 的师傅", "technician_id")
        if tech_id not in skilled:
            return None, tool_error(
                "technician_mismatch",
                f"师傅 {tech_id}({name})不负责{city['name']}的{_category_name(conn, category)}上门服务",
                "technician_id")
    elif not skilled:
        return None, _no_service(conn, city, category, "address")
    return (phone, category, city, tech_id, skilled), None


def _free_at(conn: sqlite3.Connection, technicians: list[str], when: datetime,
             now: datetime, no_tickets: bool = False) -> list[tuple[datetime, str, datetime]]:
    """The free slots of ``technicians`` that start at ``when``: what :func:`free_slots` gives for
    that day and start, in its order, without weighing every other slot of the day (nor reading
    ``tickets`` when the caller knows it holds ``no_tickets``)."""
    if not technicians or when < now + LEAD_TIME:
        return []
    day = when.date()
    scheduled = static_data(conn, Desk).openings(technicians, day.weekday(), when.time())
    if not scheduled:
        return []
    taken = set() if no_tickets else {r[0] for r in conn.execute(
        f"SELECT technician FROM tickets WHERE technician IN ({','.join('?' * len(technicians))}) "
        "AND serve_start = ? AND status != 'cancelled'", (*technicians, format_time(when)))}
    free = [(when, tid, datetime.combine(day, end)) for tid, start, end in scheduled
            if tid not in taken and not _booked(conn, tid, day, start)]
    free.sort()
    return free


def _free_on(conn: sqlite3.Connection, technicians: list[str], day: dt.date, now: datetime,
             no_tickets: bool = False) -> list[tuple[datetime, str, datetime]]:
    """:func:`free_slots` of ``technicians`` on ``day``, their plan read from :class:`Desk` (static)
    rather than ``technician_schedule``, and ``tickets`` not read when the caller knows it holds
    ``no_tickets``."""
    if not technicians:
        return []
    taken = set() if no_tickets else taken_on(conn, technicians, day)
    earliest = now + LEAD_TIME
    free = []
    for tid, start, begins_at, ends_at in static_data(conn, Desk).day(technicians, day.weekday()):
        begins = datetime.combine(day, begins_at)
        if begins < earliest or (taken and (tid, format_time(begins)) in taken) or _booked(conn, tid, day, start):
            continue
        free.append((begins, tid, datetime.combine(day, ends_at)))
    free.sort()
    return free


def _create_now(ctx: ToolContext, args: CreateTicketArgs) -> tuple[dict[str, Any], Any]:
    """The answer of ``create_ticket``, and the write to make (see :func:`.memo.replayed`): owed until
    the next tool call, a draw rolled back before it never makes its row."""
    conn, now = ctx.conn, ctx.now
    checked, err = _check_ticket(conn, now, args)
    if err:
        return err, None
    phone, category, city, tech_id, skilled = checked
    # the canonical request: its key is request_key({"user_name": user_name, "phone": phone, …})
    user_name, address, problem = args.user_name.strip(), args.address.strip(), args.problem.strip()
    serve_time, clock = format_time(args.serve_time), format_time(now)
    empty = _no_tickets(conn)
    key = None  # made only where it is read: a request that gets a tool error needs none
    if not empty:
        key = ticket_key(user_name, phone, address, problem, category, serve_time, tech_id, args.is_vip, clock)
        existing = _ticket_result(conn, key)
        if existing is not None:
            return existing, None

    when = args.serve_time
    if f"{when.hour:02d}:{when.minute:02d}" not in _STARTS or when.second or when.microsecond:
        return tool_error("slot_unavailable",
                          f"上门时段从 {'、'.join(_STARTS)} 开始,每段2小时,请选择其中一个时段", "serve_time"), None
    candidates = [tech_id] if tech_id is not None else skilled
    free = _free_at(conn, candidates, when, now, empty)
    if not free:
        who = f"师傅 {tech_id} " if tech_id is not None else f"{city['name']}的师傅"
        return tool_error("slot_unavailable",
                          f"{who}在 {serve_time[:16]} 没有空闲,请换一个时段", "serve_time"), None
    _, technician, end = free[0]  # its start is when
    if key is None:
        key = ticket_key(user_name, phone, address, problem, category, serve_time, tech_id, args.is_vip, clock)
    number = free_number(conn, key, "TK", now, "tickets", "ticket_no", "ticket", empty=empty)
    if isinstance(number, dict):  # no number left for the day: a tool error
        return number, None
    params = (number, key, clock,  # the clock's text, and the slot's start (when) as the request's
              user_name, phone, address, city["adcode"], problem, category,
              serve_time, format_time(end), technician, int(args.is_vip))
    # what _ticket_result reads back, made from what is written (its technician's name is the
    # one thing read): no join by request key
    return {"ticket_no": number, "serve_start": params[9], "serve_end": params[10], "technician_id": technician,
            "technician_name": static_data(conn, Desk).names.get(technician), "status": "created"}, (_INSERT_TICKET, params)


CREATE_TICKET = Tool(
    name="create_ticket",
    description="为客户创建上门维修或安装工单,预约师傅在指定时段上门,返回工单号",
    args_model=CreateTicketArgs,
    func=_create,
    writes=True,
    owes_writes=True,
)
