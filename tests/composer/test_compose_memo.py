"""Composing on the tracked snapshot (tools answer re-run calls from memory) gives the sessions,
and the verdicts, that composing on the world file gives."""

from __future__ import annotations

from twinchat.composer.engine.compose import SessionComposer
from twinchat.composer.store.snapshot import world_snapshot
from twinchat.inventory import open_world
from twinchat.inventory.tools.memo import is_tracked


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
