"""generate's tool calls: a ticket (its writes owed, then undone) is made without a transaction."""

from __future__ import annotations

from twinchat.composer.engine.generate import UnitGenerator
from twinchat.composer.store.snapshot import world_snapshot
from twinchat.composer.verify.samples import Verifier
from twinchat.units.loader import load_units


def test_ticket_samples_open_no_transaction_and_leave_the_world_as_it_was(world_path):
    src = load_units()["ticket_create_call"]
    conn = world_snapshot(world_path)
    gen = UnitGenerator(src, conn, seed=0)
    verify = Verifier(src.unit, rerun=gen.call)
    changes = conn.total_changes
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    records = [gen.sample(i).to_json() for i in range(40)]
    assert not [problem for record in records for problem in verify(record)]
    conn.set_trace_callback(None)
    assert sum("ticket_no" in str(r) for r in records) > 5
    assert not [s for s in statements if s.split()[0].upper() in ("BEGIN", "SAVEPOINT", "INSERT", "UPDATE")]
    assert conn.total_changes == changes and not conn.in_transaction
    assert conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 0
