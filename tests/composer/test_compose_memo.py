"""Composing on the tracked snapshot (tools answer re-run calls from memory) gives the sessions,
and the verdicts, that composing on the world file gives."""

from __future__ import annotations

from twinchat.composer.engine.compose import SessionComposer
from twinchat.composer.store.snapshot import snapshot_composer, world_snapshot
from twinchat.inventory import open_world
from twinchat.inventory.tools.memo import Memo, is_tracked, memo


def test_sessions_on_the_tracked_snapshot_are_the_files(world_path):
    snapshot = world_snapshot(world_path)
    assert is_tracked(snapshot)
    file_conn = open_world(world_path)
    ours, theirs = SessionComposer(snapshot, seed=5), SessionComposer(file_conn, seed=5)
    for flow in sorted(ours.flows):
        for i in range(60):
            session = ours.compose(flow, i)
            assert session == theirs.compose(flow, i), (flow, i)
            assert ours.verify(session) == theirs.verify(session) == [], (flow, i)
    tampered = ours.compose("repair_ticket", 3)
    tool_turn = next(t for t in tampered["turns"] if t["role"] == "tool")
    tool_turn["content"] = {**tool_turn["content"], "count": -1}
    assert any(r.endswith("tool_mismatch") for r in ours.verify(tampered))
    file_conn.close()
    snapshot.close()


def test_a_composers_memos_stay_within_the_session_bounds(world_path, monkeypatch):
    """The composer a run of sessions uses bounds its tools' memos for sessions (here made small,
    so that a few sessions reach them): no memo ever holds more, and the sessions and verdicts are
    those of a snapshot with the bounds ``generate`` uses."""
    monkeypatch.setattr(Memo, "SESSION_KEEP", 4)
    monkeypatch.setattr(Memo, "SESSION_FACTS_KEEP", 6)
    ours = snapshot_composer(world_path, 5, [])
    theirs = SessionComposer(world_snapshot(world_path), seed=5)
    bounds = {"answers": 4, "facts": 6}
    held = dict.fromkeys(bounds, 0)
    for flow in sorted(ours.flows):
        for i in range(12):
            session = ours.compose(flow, i)
            assert session == theirs.compose(flow, i), (flow, i)
            assert ours.verify(session) == theirs.verify(session) == [], (flow, i)
            for name in ("query_order", "request_return", "order_row", "order_items", "order_checkpoints"):
                found = memo(ours.conn, name)
                assert found.keep == bounds[found.kind] and len(found) <= found.keep, (flow, i, name)
                held[found.kind] = max(held[found.kind], len(found))
    assert held == bounds  # the bounds were reached
    assert all(len(found) <= Memo.KEEP for found in _memos(theirs.conn))
    assert max(len(found) for found in _memos(theirs.conn)) > 6  # what the composer's bounds kept it from
    ours.conn.close()
    theirs.conn.close()


def _memos(conn) -> list[Memo]:
    return [memo(conn, name) for name in ("query_order", "request_return", "order_row", "order_items")]


def test_a_composers_caches_stay_within_the_session_bounds(world_path, monkeypatch):
    """A run of sessions bounds what its tools and slot sources remember besides the memos (here
    made small, so that a few sessions reach them): validated arguments per tool, the place source's
    sayings, the place index's found texts, what reading an address keeps, the addresses orders are
    placed to, the address generator's places, the slots known booked elsewhere, the order facts
    kept while the order tables are unwritten, the technicians' openings. None ever holds
    more than its bound, each reaches it, and the sessions and verdicts are those of a snapshot with the bounds ``generate`` uses."""
    from twinchat.composer.engine.sources import place
    from twinchat.inventory import addresses, regions
    from twinchat.inventory.regions import PlaceIndex
    from twinchat.inventory.tools import base, desk, order_facts, ordering, places, service
    from twinchat.inventory.tools.registry import tools
    from twinchat.inventory.tools.static import static_data

    bounds = {"validated": 3, "said": 5, "found": 6, "addresses": 2, "prefixes": 2, "ordered": 2, "places": 7,
              "booked": 2, "order facts": 3, "openings": 2}
    monkeypatch.setattr(base, "SESSION_KEEP_VALIDATED", bounds["validated"])
    monkeypatch.setattr(place, "SESSION_KEEP_SAID", bounds["said"])
    monkeypatch.setattr(regions, "SESSION_FOUND_KEEP", bounds["found"])
    monkeypatch.setattr(places, "SESSION_KEEP_ADDRESSES", bounds["addresses"])
    monkeypatch.setattr(addresses, "SESSION_KEEP_PLACES", bounds["places"])
    monkeypatch.setattr(service, "SESSION_KEEP_BOOKED", bounds["booked"])
    monkeypatch.setattr(order_facts, "SESSION_KEEP_FACTS", bounds["order facts"])
    monkeypatch.setattr(order_facts, "SESSION_WHOLE_ORDERS", 1)  # more orders: kept one at a time, as bounded
    monkeypatch.setattr(desk, "SESSION_KEEP_OPENINGS", bounds["openings"])
    monkeypatch.setattr(regions, "_last_index", [None, None])  # an index of its own, not one shared with earlier tests
    for tool in tools().values():  # the tools are the process's: what earlier tests validated goes
        if tool._validated is not None:
            tool._validated.clear()
    ours = snapshot_composer(world_path, 5, [])
    conn = ours.conn

    def sizes() -> dict[str, int]:
        return {"validated": max(len(t._validated or ()) for t in tools().values()),
                "said": len(static_data(conn, place.Said).said),
                "found": len(static_data(conn, PlaceIndex)._found),
                "addresses": len(static_data(conn, places._Addresses)),
                "prefixes": len(static_data(conn, places._names)._found),
                "ordered": len(static_data(conn, ordering._Addresses)._found),
                "places": len(ours.world.addresses(None)._places),
                "booked": len(static_data(conn, service.BookedSlots)),
                "order facts": max(map(len, conn.static[order_facts.BaseFacts]._facts.values()), default=0),
                "openings": len(static_data(conn, desk.Desk)._openings)}

    held = dict.fromkeys(bounds, 0)
    sessions = []
    for flow in sorted(ours.flows):
        for i in range(12):
            session = ours.compose(flow, i)
            sessions.append((flow, i, session, ours.verify(session)))
            now = sizes()
            assert all(now[k] <= bounds[k] for k in bounds), (flow, i, now)
            held = {k: max(held[k], now[k]) for k in bounds}
    assert held == bounds  # every bound was reached
    theirs = SessionComposer(world_snapshot(world_path), seed=5)
    for flow, i, session, verdict in sessions:
        assert session == theirs.compose(flow, i), (flow, i)
        assert verdict == theirs.verify(session) == [], (flow, i)
    conn.close()
    theirs.conn.close()
