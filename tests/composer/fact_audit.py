"""Counting cross-turn fact errors in composed sessions, per class (a test helper and a script).

Run as a script to compose sessions and print the counts::

    python tests/composer/fact_audit.py -n 4000 --seed 11          # compose on a fresh seed-0 world
    python tests/composer/fact_audit.py --store twinchat.db --seed 11   # the sessions a store holds

The counts are those of the session verification's cross-turn checks
(:mod:`twinchat.composer.verify.crossturn`), with how many sessions could show each class (the
denominators: order steps, tickets booked, returns, mixed delivery replies, sessions that give a
category argument more than once, address changes).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections import Counter
from collections.abc import Iterable
from typing import Any

from twinchat.composer.verify.crossturn import CLASSES, CrossTurnChecker, session_steps


def audit(conn: sqlite3.Connection, sessions: Iterable[dict[str, Any]]) -> tuple[Counter, Counter]:
    """(errors per class, chances per class) over ``sessions`` on the world of ``conn``."""
    checker = CrossTurnChecker(conn)
    errors: Counter = Counter()
    chances: Counter = Counter()
    for session in sessions:
        for reason in checker(session["turns"], session.get("now")):
            errors[reason.split(": ", 1)[1].split(":")[0]] += 1
        chances.update(_chances(session["turns"]))
    return errors, chances


def unplaced_orders(conn: sqlite3.Connection, sessions: Iterable[dict[str, Any]]) -> Counter:
    """For orders taken without place_order (sessions composed before it existed): how many ship
    to another city than the last one checked (``city_differs``) and how many state another ETA
    than check_delivery gives for the order's address at the session clock (``eta_wrong``)."""
    from twinchat.composer.verify.crossturn import _cn_time
    from twinchat.inventory.timefmt import parse_time
    from twinchat.inventory.tools import call
    from twinchat.inventory.tools.service import _resolve_address

    checker = CrossTurnChecker(conn)
    out: Counter = Counter()
    for session in sessions:
        city = None  # the city of the last destination checked
        for step in session_steps(session["turns"]):
            for _, tc, result in step.calls:
                if tc.get("name") == "check_delivery" and "destination" in (result or {}):
                    city = checker.world().city(result["destination"]["adcode"])
            label = step.user.get("label") or {}
            if step.user.get("unit") != "shop_order" or step.calls or not label.get("address"):
                continue
            out["orders"] += 1
            place, _ = _resolve_address(conn, label["address"])
            out["city_differs"] += place is None or place["adcode"] != city
            if place is None:
                continue
            where = checker.world().places.full_name(place)
            etas = call(conn, "check_delivery", {"products": label["product"], "destination": where},
                        parse_time(session["now"]))
            right = [_cn_time(r["eta"]) for r in etas.get("results", []) if r.get("eta")]
            out["eta_wrong"] += not any(eta in step.reply for eta in right)
    return out


def _chances(turns: list[dict[str, Any]]) -> Counter:
    out: Counter = Counter()
    categories = 0  # calls with a category argument
    for step in session_steps(turns):
        called = [tc.get("name") for _, tc, _ in step.calls]
        if step.user.get("unit") == "shop_order" or "place_order" in called:
            out["order_unplaced"] += 1
            out["order_unchecked_address"] += "place_order" in called
            out["order_eta"] += "place_order" in called
        if "create_ticket" in called:
            out["ticket_technician"] += 1
            out["visit_against_kb"] += 1
        if "request_return" in called:
            out["return_unmentioned"] += 1
        if called and called[-1] == "check_delivery":
            results = (step.calls[-1][2] or {}).get("results") or []
            arrive = [r.get("arrives_in_time") for r in results]
            out["arrival_silent"] += any(arrive) and not all(arrive)
        out["address_change"] += "change_address" in called
        categories += sum(1 for _, tc, _ in step.calls if "category" in (tc.get("arguments") or {}))
    out["argument_vocabulary"] += categories > 1  # a session that says a category twice or more
    return out


def stored(path: str, seed: int) -> Iterable[dict[str, Any]]:
    conn = sqlite3.connect(path)
    for now, turns in conn.execute("SELECT now, turns FROM sessions WHERE seed = ? ORDER BY flow, idx", (seed,)):
        yield {"now": now, "turns": json.loads(turns)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--store", help="count the sessions of this store instead of composing")
    parser.add_argument("--world", help="the world to compose on (default: a fresh seed-0 world)")
    args = parser.parse_args(argv)
    from twinchat.inventory import build_world, open_world

    if args.store:
        conn = open_world(args.store)
        sessions: Iterable[dict[str, Any]] = stored(args.store, args.seed)
    else:
        import tempfile
        from pathlib import Path

        from twinchat.composer.engine.compose import SessionComposer

        path = args.world or str(build_world(Path(tempfile.mkdtemp()) / "world.db", seed=0))
        conn = open_world(path)
        composer = SessionComposer(conn, seed=args.seed)
        flows = sorted(composer.flows)
        sessions = (composer.compose(f, i) for f in flows
                    for i in range(args.n // len(flows) + (1 if flows.index(f) < args.n % len(flows) else 0)))
    errors, chances = audit(conn, sessions)
    for name in CLASSES:
        print(f"{name:26} {errors[name]:6,} of {chances[name]:6,}")
    if args.store:  # orders taken in words only: where they ship and the ETA they state
        legacy = unplaced_orders(conn, stored(args.store, args.seed))
        print(f"{'(no place_order) city_differs':26} {legacy['city_differs']:6,} of {legacy['orders']:6,}")
        print(f"{'(no place_order) eta_wrong':26} {legacy['eta_wrong']:6,} of {legacy['orders']:6,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
