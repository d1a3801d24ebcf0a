"""Fingerprints of what twinchat writes for fixed seeds: sessions per flow, samples per unit, exports.

A refactor that must not change output runs this before and after and compares the two files:

    python tests/bench/fingerprints.py before.json            # on the old commit
    python tests/bench/fingerprints.py after.json             # on the new one
    python tests/bench/fingerprints.py after.json --compare before.json

Everything goes through the installed ``twinchat`` command, so the fingerprints do not depend on
the code's internal layout. Run from any directory; work happens in a temporary one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

FLOWS = ("memory_upgrade", "order_status", "repair_ticket", "return_exchange")
FORMATS = ("openai", "sharegpt", "alpaca", "react", "plain")
#: exhaustive runs of generate: the ticket recipe with its negatives, and pairs drafted from a tool's schema
PAIRS = {
    "ticket-recipe-negative": ("ticket_create_call", "--exhaustive", "--pool", "user_name=3", "--pool", "problem=2",
                               "--pool", "serve_time=2", "--pool", "is_vip=2", "--instructions", "2", "--negative", "0.2"),
    "tool-search_solution": ("--tool", "search_solution", "--exhaustive", "--pool", "category=3", "--pool", "query=4"),
    "tool-search_solution-negative": ("--tool", "search_solution", "--exhaustive", "--pool", "category=3", "--pool",
                                      "query=4", "--negative", "0.5"),
    "tool-search_solution-action": ("--tool", "search_solution", "--shape", "action", "--exhaustive", "--pool",
                                    "category=3", "--pool", "query=4"),
}
#: store tables whose rows are timings or run bookkeeping, not output
SKIP_TABLES = {"runs", "meta", "sqlite_sequence", "sqlite_stat1"}


def _run(*args: str, cwd: Path) -> None:
    subprocess.run(["twinchat", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def _hash_rows(db: Path, sql: str) -> str:
    digest = hashlib.sha256()
    with sqlite3.connect(db) as conn:
        for row in conn.execute(sql):
            digest.update(json.dumps(row, ensure_ascii=False).encode())
    return digest.hexdigest()[:16]


def _hash_tree(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def fingerprints(n_sessions: int, n_samples: int) -> dict[str, str]:
    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _run("init", "--db", "world.db", cwd=work)
        for flow in FLOWS:
            db = work / f"{flow}.db"
            db.write_bytes((work / "world.db").read_bytes())
            _run("compose", "--flow", flow, "-n", str(n_sessions), "--seed", "11", "--db", db.name, cwd=work)
            out[f"sessions/{flow}"] = _hash_rows(db, "SELECT id, flow, seed, idx, world_seed, now, customer, turns, "
                                                     "steps, extra, outcome, units, templates, user_text, status, "
                                                     "reasons FROM sessions ORDER BY rowid")
        mixed = work / "mixed.db"
        mixed.write_bytes((work / "world.db").read_bytes())
        _run("compose", "-n", str(n_sessions), "--seed", "3", "--workers", "2", "--db", mixed.name, cwd=work)
        out["sessions/mixed-2-workers"] = _hash_rows(mixed, "SELECT id, turns, status FROM sessions ORDER BY id")
        for fmt in FORMATS:
            _run("export", "--db", mixed.name, "--format", fmt, "-o", f"export-{fmt}", cwd=work)
            out[f"export/{fmt}"] = _hash_tree(work / f"export-{fmt}")
        listing = subprocess.run(["twinchat", "units", "list"], cwd=work, check=True, capture_output=True,
                                 text=True).stdout
        for unit in [line.split()[0] for line in listing.splitlines() if line.strip()]:
            target = work / f"{unit}.jsonl"
            done = subprocess.run(["twinchat", "generate", unit, "-n", str(n_samples), "--seed", "5", "--db",
                                   "world.db", "-o", target.name], cwd=work, capture_output=True, text=True)
            if done.returncode:  # a unit that needs a session's context: its error is the fingerprint
                out[f"samples/{unit}"] = f"exit {done.returncode}: {done.stderr.strip()}"
            else:
                out[f"samples/{unit}"] = hashlib.sha256(target.read_bytes()).hexdigest()[:16]
        for name, args in PAIRS.items():
            target = work / f"pairs-{name}.jsonl"
            _run("generate", *args, "--seed", "5", "--db", "world.db", "-o", target.name, cwd=work)
            out[f"pairs/{name}"] = hashlib.sha256(target.read_bytes()).hexdigest()[:16]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--compare", type=Path, help="an earlier fingerprint file to compare with")
    parser.add_argument("--sessions", type=int, default=1000, help="sessions per flow (default 1000)")
    parser.add_argument("--samples", type=int, default=300, help="samples per unit (default 300)")
    args = parser.parse_args()
    prints = fingerprints(args.sessions, args.samples)
    args.output.write_text(json.dumps(prints, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(prints)} fingerprints written to {args.output}")
    if args.compare:
        before = json.loads(args.compare.read_text(encoding="utf-8"))
        changed = sorted(k for k in before.keys() if before.get(k) != prints.get(k))
        new = sorted(prints.keys() - before.keys())
        print(f"{len(before.keys() & prints.keys()) - len(changed)} equal, {len(changed)} differ: {', '.join(changed)}"
              + (f"; {len(new)} new: {', '.join(new)}" if new else ""))
        return 1 if changed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
