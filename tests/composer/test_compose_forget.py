"""A composer empties the caches sessions fill all at once, every FORGET_EVERY sessions: what they
hold after is what the sessions since asked for, and the sessions are the same."""

from __future__ import annotations

from twinchat.composer.engine import compose
from twinchat.composer.engine.sources.place import Said
from twinchat.composer.store.snapshot import snapshot_composer
from twinchat.composer.time.resolve import _PLANS, _WINDOWS
from twinchat.inventory.tools import TOOLS
from twinchat.inventory.tools.order_facts import BaseFacts
from twinchat.inventory.tools.static import cached_static_data
from twinchat.inventory.tools.tracking import _Tracker

FLOW = "repair_ticket"


def _kept(composer) -> dict[str, set]:
    """The keys each cache holds: the tools' memos and validated arguments, the order facts, what
    the place source said, the places drawn."""
    conn = composer.conn
    kept = {f"memo {name}": set(found._answers) for name, found in cached_static_data(conn, _Tracker).memos.items()}
    kept |= {f"validated {name}": set(tool._validated or ()) for name, tool in TOOLS.items()}
    facts = cached_static_data(conn, BaseFacts)
    kept |= {f"facts {kind}": set(held) for kind, held in (facts._facts.items() if facts else ())}
    said = cached_static_data(conn, Said)
    kept["said"] = set(said.said) if said else set()
    kept["places"] = set(composer.world.__dict__["_addresses"]._places) if "_addresses" in vars(composer.world) else set()
    return {name: keys for name, keys in kept.items() if keys}


def test_caches_are_emptied_together_every_forget_every_sessions(world_path, monkeypatch):
    monkeypatch.setattr(compose, "FORGET_EVERY", 3)
    ours = snapshot_composer(world_path, 5, [])
    for i in range(3):
        ours.verify(ours.compose(FLOW, i))
    before = _kept(ours)
    session = ours.compose(FLOW, 3)  # the fourth session: the caches were emptied before it
    assert ours.verify(session) == []
    after = _kept(ours)
    for tool in TOOLS.values():  # process-wide: the fresh composer below starts with none either
        tool.forget()
    theirs = snapshot_composer(world_path, 5, [])
    assert theirs.compose(FLOW, 3) == session
    assert theirs.verify(session) == []
    assert after == _kept(theirs)  # what session 3 alone asked for: nothing of sessions 0-2
    assert any(before[name] - after.get(name, set()) for name in before)  # and they had asked for more
    assert "places" in after and any(name.startswith("memo ") for name in after)
    ours.conn.close()
    theirs.conn.close()


def test_forget_leaves_every_cache_empty(world_path):
    ours = snapshot_composer(world_path, 5, [])
    for i in range(4):
        ours.verify(ours.compose(FLOW, i))
        ours.verify(ours.compose("memory_upgrade", i))  # its arrival times keep the time phrases' plans
    assert _kept(ours) and _PLANS
    ours.forget()
    assert _kept(ours) == {} and not _PLANS and not _WINDOWS
    assert ours.verify(ours.compose(FLOW, 4)) == []
    ours.conn.close()
