"""The service desk's technicians and their weekly plan, read once per connection.

``technicians`` and ``technician_schedule`` are written when a world is built and never after
(no tool, session or command writes them; what changes a technician's day is ``tickets``, read
with SQL on every call): they are static data (:mod:`.static`). :class:`Desk` answers what the
service-desk tools asked of them with a query per call — who is skilled for a category in a city,
a technician's name, the slots a technician's week plans — with the same results.
"""

from __future__ import annotations

import sqlite3
from datetime import time

from twinchat.inventory.tools.memo import cache_bound

__all__ = ["Desk", "KEEP_OPENINGS", "SESSION_KEEP_OPENINGS"]


class Desk:
    """``technicians`` and ``technician_schedule`` in memory (see the module docstring)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        #: technician id -> name
        self.names: dict[str, str] = {}
        #: city adcode -> (technician id, skills) in id order
        self._by_city: dict[str, list[tuple[str, str]]] = {}
        for tid, name, city, skills in conn.execute("SELECT id, name, city, skills FROM technicians ORDER BY id"):
            self.names[tid] = name
            self._by_city.setdefault(city, []).append((tid, f" {skills} "))
        #: (technician, weekday, start time) -> the (start, end) texts planned then
        self._plan: dict[tuple[str, int, time], list[tuple[str, str]]] = {}
        for tid, weekday, start, end in conn.execute(
                "SELECT technician, weekday, start, end FROM technician_schedule"):
            self._plan.setdefault((tid, weekday, time.fromisoformat(start)), []).append((start, end))
        #: (city, category) -> skilled technicians, made when first asked (at most cities x categories)
        self._skilled: dict[tuple[str, str], list[str]] = {}
        #: (technicians, weekday, start) -> their planned slots then (see :meth:`openings`)
        self._openings: dict[tuple[tuple[str, ...], int, time], list[tuple[str, str, time]]] = {}
        #: the openings kept: :data:`KEEP_OPENINGS`, or the bound of the run that opened ``conn``
        self.keep_openings = cache_bound(conn, Desk, KEEP_OPENINGS)
        #: technician -> weekday -> the (start, end) texts planned that day (see :meth:`day`)
        self._days: dict[str, dict[int, list[tuple[str, str]]]] = {}
        for (tid, weekday, _), planned in self._plan.items():
            self._days.setdefault(tid, {}).setdefault(weekday, []).extend(planned)
        #: (technicians, weekday) -> their planned slots that day (see :meth:`day`)
        self._day_plans: dict[tuple[tuple[str, ...], int], list[tuple[str, str, time, time]]] = {}

    def forget(self) -> None:
        """Hold no openings or day plans (see :func:`~twinchat.inventory.tools.memo.forget_kept`)."""
        self._openings.clear()
        self._day_plans.clear()

    def serves(self, city: str) -> bool:
        """Whether ``city`` has a technician at all."""
        return city in self._by_city

    def skilled(self, city: str, category: str) -> list[str]:
        """The ids of ``city``'s technicians whose skills name ``category``, in id order (a shared
        list: do not change it)."""
        found = self._skilled.get((city, category))
        if found is None:
            word = f" {category} "
            found = self._skilled[city, category] = [tid for tid, skills in self._by_city.get(city, ())
                                                     if word in skills]
        return found

    def planned(self, technician: str, weekday: int, at: time) -> list[tuple[str, str]]:
        """The (start, end) of ``technician``'s planned slots that start at ``at`` on ``weekday``."""
        return self._plan.get((technician, weekday, at), [])

    def openings(self, technicians: list[str], weekday: int, at: time) -> list[tuple[str, str, time]]:
        """(technician, start text, end time) of the slots ``technicians`` plan to start at ``at`` on
        ``weekday``, technician by technician: :meth:`planned` of each, made once per asking (the
        last :attr:`keep_openings`; a shared list: do not change it)."""
        key = (tuple(technicians), weekday, at)
        found = self._openings.get(key)
        if found is None:
            if len(self._openings) >= self.keep_openings:
                self._openings.clear()
            found = self._openings[key] = [(tid, start, time.fromisoformat(end)) for tid in technicians
                                           for start, end in self.planned(tid, weekday, at)]
        return found

    def day(self, technicians: list[str], weekday: int) -> list[tuple[str, str, time, time]]:
        """(technician, start text, start time, end time) of every slot ``technicians`` plan on
        ``weekday`` (what ``technician_schedule`` holds for them, in no set order), made once per
        asking (the last :data:`KEEP_OPENINGS`; a shared list: do not change it)."""
        key = (tuple(technicians), weekday)
        found = self._day_plans.get(key)
        if found is None:
            if len(self._day_plans) >= KEEP_OPENINGS:
                self._day_plans.clear()
            found = self._day_plans[key] = [
                (tid, start, time.fromisoformat(start), time.fromisoformat(end)) for tid in technicians
                for start, end in self._days.get(tid, {}).get(weekday, ())]
        return found


#: the technicians' openings :class:`Desk` keeps (a skilled list or one technician, a weekday, a start)
KEEP_OPENINGS = 4096
#: the bound in a run of sessions (``compose``, see :func:`~twinchat.inventory.tools.memo.keep_cache`
#: with :class:`Desk`): 100,000 sessions of the built-in mix asked for 4,741 openings, 1,573 of them
#: different, each about 200 bytes kept; held to 4,096, they grew by 0.25 MB after 10,000 sessions on
#: one worker (383 kept then). Made again, an opening costs a few thousand instructions.
SESSION_KEEP_OPENINGS = 256
