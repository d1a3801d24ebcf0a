"""``twinchat eval`` on hostile files: one located line and exit 1, or a report in bounded time.

Each case is one small gold or prediction file; the run is a child process under a time limit,
and nothing is written next to the files.
"""

from __future__ import annotations

import json

import pytest

from cli_run import run_twinchat, snapshot

CALL = {"role": "assistant", "content": None,
        "tool_calls": [{"type": "function", "function": {"name": "check_delivery",
                                                          "arguments": json.dumps({"destination": "深圳市"})}}]}
GOLD = [{"id": "c", "kind": "call", "unit": "u", "outcome": "o", "output": CALL},
        {"id": "x", "kind": "extract", "unit": "u", "outcome": None, "output": json.dumps({"name": "林梦"})},
        {"id": "r", "kind": "reply", "unit": "u", "outcome": "o", "output": "好的"}]


def _lines(*objs: object) -> bytes:
    return b"".join(json.dumps(o, ensure_ascii=False).encode() + b"\n" for o in objs)


GOOD_GOLD = _lines(*GOLD)
GOOD_PRED = _lines({"id": "c", "output": CALL}, {"id": "x", "output": "{}"}, {"id": "r", "output": "好"})
DEEP = b'{"id": "r", "output": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"

#: case → (gold bytes, pred bytes, the one line on stderr)
ERRORS = {
    "pred_not_utf8": (GOOD_GOLD, GOOD_PRED + b'{"id": "r", "output": "\xff\xfe"}\n', "pred.jsonl:4: not UTF-8"),
    "gold_not_utf8": (b'\n' + GOOD_GOLD.replace("好的".encode(), "好的".encode("gbk")), GOOD_PRED,
                      "test.gold.jsonl:4: not UTF-8"),
    "pred_nested_100000_deep": (GOOD_GOLD, b"\n" * 6 + DEEP, "pred.jsonl:7: nested too deep (more than 64 levels)"),
    "gold_nested_100_deep": (_lines(GOLD[2]) + b'{"id": "d", "kind": "reply", "output": "x", "prompt": ' + b"[" * 100 + b"]" * 100 +
                             b"}\n", GOOD_PRED, "test.gold.jsonl:2: nested too deep (more than 64 levels)"),
    "gold_list_id": (_lines(GOLD[0], {**GOLD[2], "id": ["r"]}), GOOD_PRED, "test.gold.jsonl:2: id must be a string"),
    "gold_dict_unit": (_lines({**GOLD[0], "unit": {"a": 1}}), GOOD_PRED,
                       "test.gold.jsonl:1: unit must be a string or null"),
    "gold_list_outcome": (_lines({**GOLD[0], "outcome": ["o"]}), GOOD_PRED,
                          "test.gold.jsonl:1: outcome must be a string or null"),
    "pred_number_of_5000_digits": (GOOD_GOLD, GOOD_PRED + b'{"id": "r", "output": ' + b"9" * 5000 + b"}\n",
                                   "pred.jsonl:4: a number too long to read"),
}


def _write(folder, gold: bytes, pred: bytes) -> dict[str, bytes]:
    (folder / "test.gold.jsonl").write_bytes(gold)
    (folder / "pred.jsonl").write_bytes(pred)
    return snapshot(folder)


@pytest.mark.parametrize("case", list(ERRORS))
def test_a_bad_eval_file_is_one_located_line(tmp_path, case):
    gold, pred, message = ERRORS[case]
    before = _write(tmp_path, gold, pred)
    done, _ = run_twinchat("eval", "--gold", "test.gold.jsonl", "--pred", "pred.jsonl", cwd=tmp_path, limit=60)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", f"Error: {message}\n")
    assert snapshot(tmp_path) == before


#: case → (the id it answers, the answer, the error it is counted as); the lazy regular expressions these were once read with were quadratic or worse on them
SLOW = {
    "tool_call_tag_30000_times": ("c", "<tool_call>" * 30_000, "unknown_format"),  # a call marker, never closed
    "tool_call_blocks_unclosed_at_the_end": ("c", '<tool_call>{"name": "check_delivery"}</tool_call>'
                                             + "<tool_call> " * 30_000, None),
    "action_input_with_200000_spaces": ("c", "Action: check_delivery\nAction Input: {" + " " * 200_000 + "x}",
                                        "unparseable"),
    "json_fence_never_closed": ("x", "```json" + " \n" * 100_000 + "{", "unparseable"),
    "json_fence_with_100000_spaces": ("x", "```" + " " * 100_000 + "{}" + " " * 100_000 + "```", None),
}


@pytest.mark.parametrize("case", list(SLOW))
def test_a_hostile_answer_is_scored_in_linear_time(tmp_path, case):
    item, answer, error = SLOW[case]
    before = _write(tmp_path, GOOD_GOLD, _lines({"id": item, "output": answer},
                                                *[json.loads(line) for line in GOOD_PRED.splitlines()
                                                  if json.loads(line)["id"] != item]))
    done, seconds = run_twinchat("eval", "--gold", "test.gold.jsonl", "--pred", "pred.jsonl", "--json",
                                 cwd=tmp_path, limit=60)
    assert (done.returncode, done.stderr) == (0, "")
    assert seconds < 5, f"{case} took {seconds:.1f}s"
    report = json.loads(done.stdout)
    assert report["overall"]["items"] == 3
    assert report["errors"] == ({error: 1} if error else {})
    assert snapshot(tmp_path) == before
