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
