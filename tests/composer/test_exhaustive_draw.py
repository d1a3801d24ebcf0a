"""An exhaustive run works out what a request says once per request (:mod:`.exhaustive_draw`); each
of its samples is still exactly the one ``UnitGenerator.sample`` draws with the request pinned."""

from __future__ import annotations

import pytest

from twinchat.composer.engine.exhaustive import chosen, plan, samples
from twinchat.composer.engine.generate import Sample, UnitGenerator
from twinchat.composer.store.snapshot import world_snapshot
from twinchat.composer.verify.samples import Verifier
from twinchat.units.loader import load_units


@pytest.fixture(scope="module")
def units():
    return load_units()


def _pinned_one_by_one(gen: UnitGenerator, p) -> list[dict]:
    """The plan's samples in its order, each drawn alone by the general path with its request pinned."""
    known: dict = {}
    said = [chosen(gen, p, r, known) for r in range(p.requests)]
    out = []
    for v, (tid, choices) in enumerate(p.variants):
        for r in range(p.requests):
            if v in said[r]:
                out.append(gen.sample(len(out), now=p.now, fixed=p._requests[r], template_id=tid,
                                      choices=choices).to_json())
    return out


@pytest.mark.parametrize("unit, pools", [
    # a writing tool, templates with inline alternatives, outcomes with several replies
    ("ticket_create_call", {"user_name": 2, "problem": 2, "serve_time": 2, "is_vip": 2}),
    # no tool; templates that leave label fields out (their labels differ per template)
    ("address_extraction", {"name": 2, "phone": 2, "addr": 2, "sep": 2}),
])
def test_each_exhaustive_sample_is_the_sample_drawn_with_its_request_pinned(world_path, units, unit, pools):
    conn = world_snapshot(world_path)
    try:
        gen = UnitGenerator(units[unit], conn, seed=3)
        p = plan(gen, pools)
        made = list(samples(gen, p))
        assert all(isinstance(s, Sample) for s in made) and len(made) == p.total
        records = [s.to_json() for s in made]
        verify = Verifier(gen.unit, rerun=gen.call)
        assert [r["index"] for r in records if verify(r)] == []
        again = UnitGenerator(units[unit], conn, seed=3)
        assert records == _pinned_one_by_one(again, p)
    finally:
        conn.close()
    assert len({r["template"] for r in records}) > 1 and len({r["text"] for r in records}) == len(records)
    if unit == "address_extraction":  # a request's label differs between its templates
        assert any(None in r["label"].values() for r in records)
        assert any(None not in r["label"].values() for r in records)
    else:  # a request's replies are drawn from each of its samples' own streams
        replies: dict[str, set[str]] = {}
        for r in records:
            replies.setdefault(repr(r["tool_call"]), set()).add(r["reply"])
        assert len(replies) == p.requests and min(len(said) for said in replies.values()) > 1


def test_an_exhaustive_run_keeps_a_passs_answers(world_path, units):
    """An exhaustive run asks for a request's tool answer again a whole pass over the requests
    later: on the snapshot ``generate`` opens, the tool's memo keeps the large bound and holds every
    answer of a pass (far more than a run of sessions keeps), so the second pass is answered from it."""
    from twinchat.inventory.tools.memo import Memo, memo

    conn = world_snapshot(world_path)
    src = units["ticket_create_call"]
    gen = UnitGenerator(src, conn, seed=0)
    verify = Verifier(src.unit, rerun=gen.call)
    p = plan(gen, {"user_name": 10, "problem": 8, "serve_time": 6, "is_vip": 2})
    assert Memo.SESSION_KEEP < p.requests <= Memo.KEEP and len(p.variants) > 1
    for k, sample in enumerate(samples(gen, p)):
        assert not verify(sample.to_json())
        if k == p.requests + 10:
            break
    remembered = memo(conn, "create_ticket")
    assert remembered.keep == Memo.KEEP and len(remembered) >= p.requests
    conn.close()


def test_a_reply_that_draws_nothing_is_rendered_once_per_request(world_path, readme_pairs_units):
    """The README's callback_request has one reply per outcome, without alternatives: each request's
    samples share the reply rendered for the first of them, and every sample is still the one
    drawn alone with its request pinned."""
    from twinchat.composer.tools import using_tools

    units = load_units([readme_pairs_units])
    with using_tools([str(readme_pairs_units)], str(world_path)):
        conn = world_snapshot(world_path)
        try:
            gen = UnitGenerator(units["callback_request"], conn, seed=3)
            p = plan(gen, {"person": 2, "phone": 2, "topic": 2, "when": 2, "urgent": 2})
            made = list(samples(gen, p))
            records = [s.to_json() for s in made]
            verify = Verifier(gen.unit, rerun=gen.call)
            assert [r["index"] for r in records if verify(r)] == []
            assert records == _pinned_one_by_one(UnitGenerator(units["callback_request"], conn, seed=3), p)
        finally:
            conn.close()
    by_request: dict[str, list[Sample]] = {}
    for s in made:
        by_request.setdefault(repr(s.tool_call), []).append(s)
    assert len(by_request) == p.requests and all(len(group) == 2 for group in by_request.values())
    assert all(group[0].reply is group[1].reply for group in by_request.values())
