"""Export: every format checked against its consumer's rules, splits, hold-out, dedup, atomic writes, CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from twinchat.composer.cli.commands import cli
from twinchat.composer.cli.data_commands import export as export_command
from twinchat.composer.errors import ComposerError
from twinchat.composer.export.pipeline import ExportError, ExportOptions, OutputExists, export_samples, \
    export_sessions
from twinchat.composer.export.formats import FORMATS, get_converter
from twinchat.composer.export.output import Protected
from twinchat.composer.store.sessions import SessionStore
from twinchat.inventory import open_world
from twinchat.inventory.tools import TOOLS


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def store_db(world_path, tmp_path_factory) -> Path:
    """A world with STORED verified sessions of every flow (read-only for the tests)."""
    from twinchat.composer.store.batches import compose_run

    db = tmp_path_factory.mktemp("store") / "store.db"
    shutil.copy(world_path, db)
    report = compose_run(db, n=STORED, seed=0)
    assert report.composed == STORED and report.failed == 0
    return db


#: sessions in the shared store: enough that the test split holds turns of templates seen in
#: train as well as held-out ones, now that units have many templates each and there are ten
#: built-in flows (25 sessions each)
STORED = 250

@pytest.fixture()
def own_db(store_db, tmp_path) -> Path:
    """A copy of the store that a test may change."""
    db = tmp_path / "own.db"
    conn = open_world(store_db)
    try:
        conn.execute("VACUUM INTO ?", (str(db),))
    finally:
        conn.close()
    return db


@pytest.fixture(scope="module")
def exported(store_db, tmp_path_factory):
    """Every format exported once with templates held out: {format: (directory, report)}."""
    root = tmp_path_factory.mktemp("exports")
    return {fmt: (root / fmt, export_sessions(store_db, fmt, root / fmt, ExportOptions(holdout_templates=True)))
            for fmt in FORMATS}


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _records(out: Path) -> list[dict]:
    return [r for split in ("train", "valid", "test") for r in _lines(out / f"{split}.jsonl")]


def _sessions(db: Path) -> list[dict]:
    conn = open_world(db)
    try:
        return [s.session for s in SessionStore(conn).iter_sessions()]
    finally:
        conn.close()


# -- openai ---------------------------------------------------------------------------------------
def test_openai_records_follow_the_fine_tuning_format(exported):
    out, report = exported["openai"]
    records = _records(out)
    assert len(records) == report.exported > 0
    schemas = json.loads(CliRunner().invoke(cli, ["tools", "schema"]).stdout)
    flow_tools = _flow_tools()
    order = {"train": 0, "valid": 1, "test": 2}
    manifest = sorted(_lines(out / "manifest.jsonl"), key=lambda m: (order[m["split"]], m["line"]))
    sources = [m["source"] for m in manifest]
    assert len(sources) == len(records)
    calls = 0
    for rec, source in zip(records, sources):
        assert set(rec) == {"messages", "tools"}
        # tools: {type: function, function: {name, description, parameters}}: the tools the flow's units
        # call, in registry order, each the schema `tools schema` prints with nullable options made plain
        names = [t["function"]["name"] for t in rec["tools"]]
        assert names == flow_tools[source.split("/")[0]]
        for entry in rec["tools"]:
            assert entry["type"] == "function"
            full = next(s for s in schemas if s["name"] == entry["function"]["name"])
            assert entry["function"]["description"] == full["description"]
            assert entry["function"]["parameters"].get("required") == full["parameters"].get("required")
            assert set(entry["function"]["parameters"]["properties"]) == set(full["parameters"]["properties"])
        messages = rec["messages"]
        assert messages[0]["role"] == "system" and "当前时间:" in messages[0]["content"]
        open_calls: set[str] = set()
        for m in messages[1:]:
            assert m["role"] in ("user", "assistant", "tool")
            if m["role"] == "tool":
                assert m["tool_call_id"] in open_calls, "tool message answers no preceding call"
                open_calls.discard(m["tool_call_id"])
                assert isinstance(m["content"], str)
                json.loads(m["content"])
                continue
            assert not open_calls, "a call left unanswered"
            for call in m.get("tool_calls", []):
                assert set(call) == {"id", "type", "function"} and call["type"] == "function"
                assert isinstance(call["function"]["arguments"], str)
                assert isinstance(json.loads(call["function"]["arguments"]), dict)
                assert call["function"]["name"] in {s["name"] for s in schemas}
                open_calls.add(call["id"])
                calls += 1
            if m["role"] == "assistant" and not m.get("tool_calls"):
                assert isinstance(m["content"], str) and m["content"]
        assert messages[-1]["role"] == "assistant" and not messages[-1].get("tool_calls")
    assert calls > len(records)


def _flow_tools() -> dict[str, list[str]]:
    """Flow id → the tools its units and those of the flows it continues into call, in registry
    order (read from the unit files)."""
    from twinchat.units.loader import load_content

    units, flows = load_content(())
    out = {}
    for fid, src in flows.items():
        steps = [*src.flow.steps, *(s for t in src.flow.then for s in flows[t.flow].flow.steps)]
        called = {units[s.unit].unit.tool.name for s in steps if units[s.unit].unit.tool}
        out[fid] = [name for name in TOOLS if name in called]
    return out


def test_openai_check_rejects_a_tool_message_without_its_call():
    from twinchat.composer.export.formats import RuleViolation
    from twinchat.composer.export.formats.openai import check_openai

    record = {"messages": [{"role": "user", "content": "有货吗"},
                           {"role": "tool", "tool_call_id": "call_9", "content": "{}"},
                           {"role": "assistant", "content": "有"}], "tools": []}
    with pytest.raises(RuleViolation, match=r"message 1: tool_call_id 'call_9' answers no call"):
        check_openai(record)


# -- sharegpt (LLaMA-Factory) -------------------------------------------------------------------
def _llamafactory_align(example: dict, attr: dict) -> tuple[list, list] | None:
    """A port of LLaMA-Factory's ``SharegptDatasetConverter.__call__`` alignment
    (hiyouga/LLaMA-Factory, src/llamafactory/data/converter.py): None where it would drop the
    example ("Invalid role tag" / "Invalid message count" → "Skipping this abnormal example")."""
    tag_mapping = {attr["user_tag"]: "user", attr["assistant_tag"]: "assistant",
                   attr["observation_tag"]: "observation", attr["function_tag"]: "function",
                   attr["system_tag"]: "system"}
    odd_tags = (attr["user_tag"], attr["observation_tag"])
    even_tags = (attr["assistant_tag"], attr["function_tag"])
    accept_tags = (odd_tags, even_tags)
    messages = example[attr["messages"]]
    if attr["system_tag"] and len(messages) != 0 and messages[0][attr["role_tag"]] == attr["system_tag"]:
        messages = messages[1:]
    aligned = []
    for turn_idx, message in enumerate(messages):
        if message[attr["role_tag"]] not in accept_tags[turn_idx % 2]:
            return None
        aligned.append({"role": tag_mapping[message[attr["role_tag"]]], "content": message[attr["content_tag"]]})
    if len(aligned) % 2 != 0:
        return None
    return aligned[:-1], aligned[-1:]


def _llamafactory_attr(entry: dict) -> dict:
    """``get_dataset_list`` of src/llamafactory/data/parser.py: columns and tags from dataset_info.json
    (a tag missing from ``tags`` becomes None there)."""
    attr = {"messages": "conversations", "role_tag": "from", "content_tag": "value", "user_tag": "human",
            "assistant_tag": "gpt", "observation_tag": "observation", "function_tag": "function_call",
            "system_tag": "system", "system": None, "tools": None}
    for column in ("system", "tools", "messages"):
        attr[column] = entry["columns"].get(column)
    for tag in ("role_tag", "content_tag", "user_tag", "assistant_tag", "observation_tag", "function_tag",
                "system_tag"):
        attr[tag] = entry["tags"].get(tag)
    return attr


def test_sharegpt_passes_llamafactory_alignment(exported):
    out, report = exported["sharegpt"]
    info = json.loads((out / "dataset_info.json").read_text(encoding="utf-8"))
    assert set(info) == {"twinchat_train", "twinchat_valid", "twinchat_test"}
    for split in ("train", "valid", "test"):
        entry = info[f"twinchat_{split}"]
        assert entry["file_name"] == f"{split}.jsonl" and (out / entry["file_name"]).is_file()
        assert entry["formatting"] == "sharegpt"
        attr = _llamafactory_attr(entry)
        assert None not in attr.values()
        for rec in _lines(out / entry["file_name"]):
            aligned = _llamafactory_align(rec, attr)
            assert aligned is not None, f"LLaMA-Factory would drop {rec}"
            prompt, response = aligned
            assert prompt[0]["role"] == "user" and response[0]["role"] == "assistant"
            # FunctionFormatter (data/formatter.py): json.loads, a list for parallel calls, name + arguments
            for m in rec["conversations"]:
                if m["from"] == "function_call":
                    calls = json.loads(m["value"])
                    for call in calls if isinstance(calls, list) else [calls]:
                        assert isinstance(call["name"], str) and isinstance(call["arguments"], dict)
            # ToolFormatter + DefaultToolUtils.tool_formatter (data/tool_utils.py): a JSON list of functions
            tools = json.loads(rec["tools"])
            assert all(isinstance(t["parameters"]["properties"], dict) for t in tools)
            assert isinstance(rec[attr["system"]], str)
    assert report.rejected == {}


def test_sharegpt_parallel_calls_become_a_list_and_one_observation():
    session = {
        "id": "x/0/0", "now": "2026-11-20 10:00:00",
        "turns": [{"role": "user", "content": "MEM001和MEM002哪个今晚能到南山区", "unit": "u", "template": "t1"},
                  {"role": "assistant", "content": "", "tool_calls": [
                      {"id": "call_1", "name": "check_delivery", "arguments": {"products": ["MEM001"],
                                                                               "destination": "南山区"}},
                      {"id": "call_2", "name": "check_delivery", "arguments": {"products": ["MEM002"],
                                                                               "destination": "南山区"}}]},
                  {"role": "tool", "tool_call_id": "call_1", "name": "check_delivery", "content": {"a": 1}},
                  {"role": "tool", "tool_call_id": "call_2", "name": "check_delivery", "content": {"b": 2}},
                  {"role": "assistant", "content": "两款都能今晚送到。", "outcome": "arrives"}]}
    rec = get_converter("sharegpt").records(session)[0]
    conv = rec.data["conversations"]
    assert [m["from"] for m in conv] == ["human", "function_call", "observation", "gpt"]
    assert [c["arguments"]["products"] for c in json.loads(conv[1]["value"])] == [["MEM001"], ["MEM002"]]
    assert json.loads(conv[2]["value"]) == [{"a": 1}, {"b": 2}]
    assert [g["kind"] for g in rec.gold] == ["call", "reply"]
    assert rec.gold[1]["outcome"] == "arrives" and rec.gold[0]["outcome"] == "arrives"


def _break_one_session(db: Path) -> str:
    """Store a copy of a session that ends with a user turn (its roles cannot pair up)."""
    conn = open_world(db)
    try:
        store = SessionStore(conn)
        session = next(iter(store.iter_sessions(flow="memory_upgrade", limit=1))).session
        session = {**session, "id": "memory_upgrade/99/0", "seed": 99, "index": 0,
                   "turns": [*session["turns"], {"role": "user", "content": "还在吗", "unit": "shop_order",
                                                 "template": "r01", "label": {}}]}
        store.add_batch([session], [[]])
    finally:
        conn.close()
    return session["id"]


@pytest.mark.parametrize(("fmt", "rule"), [("sharegpt", "odd message count"), ("openai", "not ending with assistant"),
                                           ("react", "not ending with assistant")])
def test_a_session_whose_roles_do_not_pair_is_skipped_and_counted(own_db, tmp_path, fmt, rule):
    bad = _break_one_session(own_db)
    report = export_sessions(own_db, fmt, tmp_path / "out", ExportOptions(split=(1, 0, 0)))
    assert report.rejected == {rule: 1}
    assert report.rejected_examples[rule].startswith(bad)
    assert bad not in {m["source"] for m in _lines(tmp_path / "out" / "manifest.jsonl")}
    assert report.records["train"] == STORED - report.duplicates["exact"] - report.duplicates["near"]
    assert f"\"{rule}\": 1" in (tmp_path / "out" / "README.md").read_text(encoding="utf-8")


# -- alpaca, react, plain -------------------------------------------------------------------------
def test_alpaca_records_are_extraction_turns_with_history(exported, store_db):
    out, report = exported["alpaca"]
    records = _records(out)
    labelled = sum(1 for s in _sessions(store_db) for t in s["turns"] if t["role"] == "user" and t.get("label"))
    assert len(records) == labelled - report.duplicates["exact"] - report.duplicates["near"]
    assert any(r["history"] for r in records) and any(not r["history"] for r in records)
    for rec in records:
        assert list(rec) == ["instruction", "input", "output", "system", "history"]
        assert isinstance(json.loads(rec["output"]), dict)
        assert all(len(pair) == 2 for pair in rec["history"])
        assert "字段包括" in rec["instruction"]
    info = json.loads((out / "dataset_info.json").read_text(encoding="utf-8"))
    assert info["twinchat_train"]["columns"] == {"prompt": "instruction", "query": "input", "response": "output",
                                                 "system": "system", "history": "history"}


def test_alpaca_from_samples_uses_the_units_instruction(world_path, tmp_path):
    from twinchat.composer.engine.sample_files import generate_file
    from twinchat.inventory import open_world as ow

    samples = tmp_path / "addr.jsonl"
    conn = ow(world_path)
    try:
        generate_file("address_extraction", samples, conn=conn, n=80, seed=3)
    finally:
        conn.close()
    report = export_samples(samples, "alpaca", tmp_path / "out", ExportOptions(holdout_templates=True))
    records = _records(tmp_path / "out")
    assert report.exported == len(records) == 80 - sum(report.duplicates.values())
    assert {r["instruction"] for r in records} == {
        "请将下面的收货信息解析为json对象,字段包括 name、phone、province、city、district、detail、postcode,没有提到的字段填 null。"}
    first = json.loads(samples.read_text(encoding="utf-8").splitlines()[0])
    assert records[0]["history"] == [] and report.source == "addr.jsonl"
    assert any(r["input"] == first["text"] and json.loads(r["output"]) == first["label"] for r in records)
    assert report.overlap_templates == 0 and report.held_out
    manifest = _lines(tmp_path / "out" / "manifest.jsonl")
    train_templates = {t for m in manifest if m["split"] == "train" for t in m["templates"]}
    assert not set(report.held_out) & train_templates


def test_from_samples_refuses_other_formats(tmp_path):
    samples = tmp_path / "s.jsonl"
    samples.write_text("{}\n", encoding="utf-8")
    with pytest.raises(ExportError, match=r"^--from-samples exports alpaca, openai, sharegpt only \(single-unit "
                                          r"samples are extraction data or function-call pairs\), not 'react'$"):
        export_samples(samples, "react", tmp_path / "out")


def test_from_samples_refuses_session_options(tmp_path):
    samples = tmp_path / "s.jsonl"
    samples.write_text("{}\n", encoding="utf-8")
    for options in (ExportOptions(flow="repair_ticket"), ExportOptions(ids=["x"]), ExportOptions(include_failed=True)):
        with pytest.raises(ExportError, match=r"^--from-samples takes no session filter, ids or --include-failed "
                                              r"\(samples are not stored sessions\)$"):
            export_samples(samples, "alpaca", tmp_path / "out", options)
    assert not (tmp_path / "out").exists()


def test_react_records_are_thought_action_observation(exported):
    out, _ = exported["react"]
    finishes = actions = thoughts = 0
    for rec in _records(out):
        messages = rec["messages"]
        assert messages[0]["role"] == "system" and "Action: finish[" in messages[0]["content"]
        for prev, m in zip(messages[1:], messages[2:]):
            assert {prev["role"], m["role"]} == {"user", "assistant"}
            finished = any(line.startswith("Action: finish[") for line in prev["content"].split("\n"))
            if prev["role"] == "assistant" and not finished:
                assert m["content"].startswith("Observation: ")
        for m in messages:
            if m["role"] != "assistant":
                continue
            assert m["content"].startswith("Thought: ") and not m["content"].startswith("Thought: \n"), m["content"]
            thoughts += 1
            last = [line for line in m["content"].split("\n") if line.startswith("Action: ")]
            assert last, m["content"]
            if last[0].startswith("Action: finish["):
                finishes += 1
                assert m["content"].endswith("]")
            else:
                actions += 1
                name, _, arg = last[0][len("Action: "):].partition("[")
                assert name in TOOLS
                assert isinstance(json.loads(arg[:-1]), dict)
    assert finishes and actions and thoughts


def test_plain_records_are_human_bot_pairs(exported):
    out, _ = exported["plain"]
    for rec in _records(out):
        speakers = [line.split(": ", 1)[0] for line in rec["text"].split("\n") if line.startswith(("human: ", "bot: "))]
        assert speakers[0] == "human" and speakers[-1] == "bot"
        assert all(a != b for a, b in zip(speakers, speakers[1:]))
        assert "call_" not in rec["text"]


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_file_loads_with_hugging_face_datasets(exported, fmt, tmp_path):
    datasets = pytest.importorskip("datasets")  # a [test] extra
    out, report = exported[fmt]
    datasets.disable_progress_bars()
    for name in ("train.jsonl", "valid.jsonl", "test.jsonl", "test.gold.jsonl"):
        ds = datasets.load_dataset("json", data_files=str(out / name), split="train", cache_dir=str(tmp_path))
        assert ds.num_rows == len((out / name).read_text(encoding="utf-8").splitlines()) > 0
        if name != "test.gold.jsonl":
            assert ds.num_rows == report.records[name.split(".")[0]]


def test_formats_of_the_cli_are_the_librarys():
    fmt_option = next(p for p in export_command.params if p.name == "fmt")
    assert tuple(fmt_option.type.choices) == tuple(FORMATS) == ("alpaca", "openai", "plain", "react", "sharegpt")
    with pytest.raises(ExportError,
                       match=r"^unknown format 'csv' \(formats: alpaca, openai, plain, react, sharegpt\)$"):
        get_converter("csv")


# -- splits, hold-out, dedup -------------------------------------------------------------------------
def test_splits_are_disjoint_exact_and_seeded(store_db, tmp_path):
    a = export_sessions(store_db, "openai", tmp_path / "a", ExportOptions(split="0.8,0.1,0.1", seed=1))
    export_sessions(store_db, "openai", tmp_path / "b", ExportOptions(split="0.8,0.1,0.1", seed=1))
    c = export_sessions(store_db, "openai", tmp_path / "c", ExportOptions(split="0.8,0.1,0.1", seed=2))
    n = sum(a.sessions.values())
    assert a.sessions == {"train": round(n * 0.8), "valid": round(n * 0.1), "test": n - round(n * 0.8) - round(n * 0.1)}
    manifest = _lines(tmp_path / "a" / "manifest.jsonl")
    by_split = {s: {m["source"] for m in manifest if m["split"] == s} for s in ("train", "valid", "test")}
    assert not (by_split["train"] & by_split["valid"] or by_split["train"] & by_split["test"]
                or by_split["valid"] & by_split["test"])
    assert sum(len(v) for v in by_split.values()) == n
    for name in sorted(p.name for p in (tmp_path / "a").iterdir()):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "train.jsonl").read_bytes() != (tmp_path / "c" / "train.jsonl").read_bytes()
    assert a.held_out == [] and c.records["train"] == a.records["train"]


def test_holdout_keeps_whole_templates_and_combinations_out_of_train(exported):
    for fmt in ("sharegpt", "alpaca"):
        out, report = exported[fmt]
        manifest = _lines(out / "manifest.jsonl")
        train = [m for m in manifest if m["split"] == "train"]
        rest = [m for m in manifest if m["split"] != "train"]
        train_templates = {t for m in train for t in m["templates"]}
        assert report.held_out and not set(report.held_out) & train_templates
        assert report.overlap_templates == 0 and report.overlap_combinations == 0
        if fmt == "sharegpt":
            train_combos = {frozenset(m["templates"]) for m in train}
            assert all(frozenset(m["templates"]) not in train_combos for m in rest)
            assert all(set(m["templates"]) & set(report.held_out) for m in rest)
            every_flow = {f for c in report.by_flow.values() for f in c}
            assert len(every_flow) >= 2
            assert {f for s in ("valid", "test") for f in report.by_flow[s]} == every_flow
        gold = _lines(out / "test.gold.jsonl")
        assert {g["template_seen"] for g in gold} == {True, False}
        assert all(g["template_seen"] == (g["template"] in train_templates) for g in gold)


def test_dialogue_formats_share_the_split_and_the_gold_ids(exported):
    """Train on sharegpt, query a server with the openai prompts: the same seed gives the same test items."""
    manifests = {f: [(m["split"], m["source"]) for m in _lines(exported[f][0] / "manifest.jsonl")]
                 for f in ("openai", "sharegpt", "react")}
    assert manifests["openai"] == manifests["sharegpt"] == manifests["react"]
    ids = {f: [g["id"] for g in _lines(exported[f][0] / "test.gold.jsonl")] for f in ("openai", "sharegpt", "react")}
    assert ids["openai"] == ids["sharegpt"] == ids["react"] and ids["openai"]


def test_holdout_needs_a_valid_or_test_share(store_db, tmp_path):
    with pytest.raises(ComposerError, match=r"^--holdout-templates needs a valid or test share above 0$"):
        export_sessions(store_db, "openai", tmp_path / "out", ExportOptions(split=(1, 0, 0), holdout_templates=True))
    assert not (tmp_path / "out").exists()


def test_exact_and_near_duplicates_are_dropped_and_counted(own_db, tmp_path):
    conn = open_world(own_db)
    try:
        store = SessionStore(conn)
        originals = [s.session for s in store.iter_sessions(flow="repair_ticket", limit=3)]
        copies = []
        for k, s in enumerate(originals):
            turns = [dict(t) for t in s["turns"]]
            if k == 2:  # near: the same words with other spacing, width and punctuation
                turns[0]["content"] = " " + turns[0]["content"].replace(",", ",").replace("?", "?") + " !"
            copies.append({**s, "id": f"repair_ticket/77/{k}", "seed": 77, "index": k, "turns": turns})
        store.add_batch(copies, [[]] * 3)
    finally:
        conn.close()
    before = export_sessions(own_db, "sharegpt", tmp_path / "a", ExportOptions(split=(1, 0, 0)))
    assert before.duplicates["exact"] >= 2 and before.duplicates["near"] >= 1
    sources = {m["source"] for m in _lines(tmp_path / "a" / "manifest.jsonl")}
    assert not sources & {"repair_ticket/77/0", "repair_ticket/77/1", "repair_ticket/77/2"}
    clean = export_sessions(own_db, "sharegpt", tmp_path / "b", ExportOptions(split=(1, 0, 0), flow="memory_upgrade"))
    assert before.records["train"] == STORED + 3 - sum(before.duplicates.values())
    assert clean.read == len([s for s in _sessions(own_db) if s["flow"] == "memory_upgrade"]) > 0


# -- selecting by ids (what the TUI's list shows) ------------------------------------------------------
def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_ids_export_exactly_the_sessions_of_the_lists_search(own_db, tmp_path):
    from twinchat.composer.store.curate import Filters, session_ids

    conn = open_world(own_db)
    try:
        # "预计" is said only by the assistant: the list's search finds it, a user-text filter does not
        found = list(session_ids(conn, Filters(text="预计"), page=2))
        everything = list(session_ids(conn, page=7))
    finally:
        conn.close()
    assert 2 < len(found) < len(everything) == STORED
    with pytest.raises(ExportError, match=r"^no stored session matches text '预计'$"):
        export_sessions(own_db, "openai", tmp_path / "user_text", ExportOptions(text="预计"))
    report = export_sessions(own_db, "openai", tmp_path / "ids", ExportOptions(ids=found, split=(1, 0, 0)))
    assert report.read == len(found)
    assert sorted({m["source"] for m in _lines(tmp_path / "ids" / "manifest.jsonl")}) == sorted(found)
    # order and repeats of the ids do not matter: same files
    export_sessions(own_db, "openai", tmp_path / "shuffled",
                    ExportOptions(ids=found[::-1] + found[:3], split=(1, 0, 0)))
    assert _files(tmp_path / "ids") == _files(tmp_path / "shuffled")


def test_ids_of_a_filter_give_the_filters_own_export(store_db, tmp_path):
    conn = open_world(store_db)
    try:
        ids = [s.id for s in SessionStore(conn).iter_sessions(flow="repair_ticket")]
        template = list(SessionStore(conn).stats().by_template)[3]
        with_template = [s.id for s in SessionStore(conn).iter_sessions(template=template)]
    finally:
        conn.close()
    export_sessions(store_db, "sharegpt", tmp_path / "flow", ExportOptions(flow="repair_ticket", seed=4))
    export_sessions(store_db, "sharegpt", tmp_path / "ids", ExportOptions(ids=ids, seed=4))
    assert _files(tmp_path / "flow") == _files(tmp_path / "ids")
    by_template = export_sessions(store_db, "plain", tmp_path / "template",
                                  ExportOptions(template=template, split=(1, 0, 0)))
    assert by_template.read == len(with_template) > 0
    assert {m["source"].split("#")[0] for m in _lines(tmp_path / "template" / "manifest.jsonl")} <= set(with_template)


def test_bad_ids_are_errors(store_db, tmp_path):
    with pytest.raises(ExportError, match=r"^no stored session 'memory_upgrade/9/9' \(and 1 more of the ids\)$"):
        export_sessions(store_db, "openai", tmp_path / "out",
                        ExportOptions(ids=["memory_upgrade/0/1", "memory_upgrade/9/9", "x"]))
    with pytest.raises(ExportError, match=r"^no sessions to export: the list of session ids is empty$"):
        export_sessions(store_db, "openai", tmp_path / "out", ExportOptions(ids=[]))
    with pytest.raises(ExportError,
                       match=r"^export by session ids takes no filter as well \(got flow 'repair_ticket'\)$"):
        export_sessions(store_db, "openai", tmp_path / "out",
                        ExportOptions(ids=["memory_upgrade/0/1"], flow="repair_ticket"))
    assert not (tmp_path / "out").exists()


# -- output directory and failures -------------------------------------------------------------------
def test_an_existing_directory_is_refused_without_force(store_db, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(OutputExists, match=rf"^{out}: already exists; pass --force to replace it$") as caught:
        export_sessions(store_db, "plain", out)
    assert caught.value.path == out and isinstance(caught.value, ExportError)
    assert (out / "old.txt").read_text(encoding="utf-8") == "keep me"
    with pytest.raises(Protected, match=rf"^{out}: not an export folder "):
        export_sessions(store_db, "plain", out, ExportOptions(force=True))
    assert (out / "old.txt").read_text(encoding="utf-8") == "keep me"
    (out / "old.txt").unlink()
    export_sessions(store_db, "plain", out, ExportOptions(force=True))  # an empty folder
    export_sessions(store_db, "plain", out, ExportOptions(force=True, seed=1))  # an export
    assert (out / "train.jsonl").is_file() and json.loads((out / "export.json").read_text())["seed"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_file_in_the_output_path_is_named(store_db, tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("", encoding="utf-8")
    for out in (afile / "x", afile / "x" / "y"):
        with pytest.raises(ExportError, match=rf"^{afile}: not a directory$"):
            export_sessions(store_db, "openai", out)
    with pytest.raises(ExportError, match=rf"^{tmp_path / 'none'}: directory does not exist$"):
        export_sessions(store_db, "openai", tmp_path / "none" / "x")
    with pytest.raises(ExportError, match=r"^/dev/null: not a regular file$"):
        export_samples("/dev/null", "alpaca", tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_a_failed_export_leaves_nothing_behind(store_db, tmp_path):
    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_sessions(store_db, "openai", tmp_path / "out", progress=interrupt)
    assert list(tmp_path.iterdir()) == []


def test_failed_sessions_are_left_out_or_kept_flagged(own_db, tmp_path):
    conn = open_world(own_db)
    try:
        store = SessionStore(conn)
        ids = [s.id for s in store.iter_sessions(flow="memory_upgrade", limit=4)]
        store.set_verdicts([(sid, ["turn 1: label 'device' not in the text"]) for sid in ids])
    finally:
        conn.close()
    left = export_sessions(own_db, "openai", tmp_path / "left", ExportOptions(split=(1, 0, 0)))
    assert left.failed_excluded == 4 and left.failed_included == 0
    assert not {m["source"] for m in _lines(tmp_path / "left" / "manifest.jsonl")} & set(ids)
    kept = export_sessions(own_db, "openai", tmp_path / "kept", ExportOptions(split=(1, 0, 0), include_failed=True))
    assert kept.failed_excluded == 0 and kept.failed_included == 4
    flagged = [m for m in _lines(tmp_path / "kept" / "manifest.jsonl") if m["status"] == "failed"]
    assert {m["source"] for m in flagged} <= set(ids) and flagged
    assert flagged[0]["reasons"] == ["turn 1: label 'device' not in the text"]
    with pytest.raises(ExportError, match=r"^nothing to export: 4 read, 4 failed verification \(pass "
                                          r"--include-failed to keep them\)$"):
        export_sessions(own_db, "openai", tmp_path / "none", ExportOptions(status="failed"))


def test_an_empty_selection_is_an_error(store_db, tmp_path):
    with pytest.raises(ExportError, match=r"^no stored session matches flow 'nope', outcome 'found'$"):
        export_sessions(store_db, "openai", tmp_path / "out", ExportOptions(flow="nope", outcome="found"))
    assert not (tmp_path / "out").exists()


def test_the_dataset_card_states_counts_seed_and_version(exported):
    out, report = exported["sharegpt"]
    card = (out / "README.md").read_text(encoding="utf-8")
    assert f"twinchat {report.version}: seed 0, split train 0.9, valid 0.05, test 0.05" in card
    assert f"| train | {report.sessions['train']} | {report.records['train']} |" in card
    assert "## Sessions by flow" in card and "`memory_upgrade`" in card and "## Template coverage" in card
    assert "Overlap with train: 0 held-out templates, 0 valid/test template combinations." in card
    stable = json.loads((out / "export.json").read_text(encoding="utf-8"))
    assert stable["records"] == report.records and "seconds" not in stable
    assert stable["files"] == sorted(p.name for p in out.iterdir())


# -- CLI -------------------------------------------------------------------------------------------
def test_cli_export_prints_a_summary(store_db, tmp_path):
    out = tmp_path / "data"
    result = CliRunner().invoke(cli, ["export", "--db", str(store_db), "--format", "sharegpt", "-o", str(out),
                                      "--holdout-templates", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("exported ") and f"to {out} in " in result.stdout
    assert "overlap with train: 0 templates, 0 combinations" in result.stdout
    assert "evaluation: " in result.stdout and str(out / "test.gold.jsonl") in result.stdout
    assert (out / "dataset_info.json").is_file()


def test_cli_export_errors(store_db, tmp_path):
    runner = CliRunner()
    (tmp_path / "taken").mkdir()
    taken = runner.invoke(cli, ["export", "--db", str(store_db), "--format", "openai", "-o", str(tmp_path / "taken")])
    assert taken.exit_code == 1
    assert taken.stderr == f"Error: {tmp_path / 'taken'}: already exists; pass --force to replace it\n"
    bad_split = runner.invoke(cli, ["export", "--db", str(store_db), "--format", "openai", "-o", str(tmp_path / "x"),
                                    "--split", "0.9,0.2,0.05"])
    assert bad_split.exit_code == 2
    assert ("Invalid value for '--split': split '0.9,0.2,0.05': shares must be 0 or more and sum to 1 "
            "(they sum to 1.15)") in bad_split.stderr
    no_db = runner.invoke(cli, ["export", "--db", str(tmp_path / "nope.db"), "--format", "openai",
                                "-o", str(tmp_path / "x")])
    assert no_db.exit_code == 1
    assert no_db.stderr == (f"Error: no database at {tmp_path / 'nope.db'}; create one with "
                            f"`twinchat compose -n 1000 --db {tmp_path / 'nope.db'}`\n")
    samples = tmp_path / "s.jsonl"
    samples.write_text('{"unit": "address_extraction"\n', encoding="utf-8")
    broken = runner.invoke(cli, ["export", "--from-samples", str(samples), "--format", "alpaca",
                                 "-o", str(tmp_path / "y")])
    assert broken.exit_code == 1
    assert broken.stderr.startswith(f"Error: {samples}:1: not JSON (")
    assert not (tmp_path / "y").exists() and not (tmp_path / "x").exists()
    bad_format = runner.invoke(cli, ["export", "--format", "csv", "-o", str(tmp_path / "z")])
    assert bad_format.exit_code == 2 and "'csv' is not one of" in bad_format.stderr
