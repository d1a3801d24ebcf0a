"""`twinchat stats` prints each intent's share (second tasks included) and how often sessions
greet, close and go on to a second task; `--json` carries the same counts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from twinchat.composer.store.batches import compose_run
from twinchat.composer.store.sessions import SessionStore
from twinchat.inventory import open_world


def test_stats_prints_the_share_of_each_intent(world_path, tmp_path):
    db = tmp_path / "w.db"
    shutil.copy(world_path, db)
    compose_run(db, flow="order_status", n=150, seed=3)
    compose_run(db, flow="human_agent", n=50, seed=3)
    with open_world(db) as conn:
        sessions = [s.session for s in SessionStore(conn).iter_sessions()]
    want: Counter[str] = Counter()
    for s in sessions:
        want.update({s["flow"], *(step.split(":")[0] for step in s["steps"] if ":" in step)})
    seconds = sum(any(":" in step for step in s["steps"]) for s in sessions)
    greeted = sum(s["steps"][0] == "greeting" for s in sessions)
    assert seconds > 0 and len(want) > 2  # order status went on to other intents

    twinchat = str(Path(sys.executable).parent / "twinchat")
    out = subprocess.run([twinchat, "stats", "--db", str(db), "--json"], capture_output=True, text=True, check=True)
    shares = json.loads(out.stdout)["intents"]
    assert shares["sessions"] == 200 and shares["intents"] == dict(want)
    assert shares["second_task"] == seconds and shares["greeting"] == greeted
    text = subprocess.run([twinchat, "stats", "--db", str(db)], capture_output=True, text=True, check=True).stdout
    assert "intents (share of sessions; a session with a second task counts for both):" in text
    assert f"  human_agent{' ' * (len(max(want, key=len)) - len('human_agent'))}        50   25.0%" in text
    assert f"second task {100 * seconds / 200:.1f}%" in text
