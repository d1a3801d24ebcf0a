"""The session, turn and sample models, and the checks where sessions come in from outside:
store reads, verify, edited turns, samples files, and the store's schema version."""

from __future__ import annotations

import copy
import json
import shutil
import sqlite3

import pytest
from click.testing import CliRunner
from pydantic import TypeAdapter

from twinchat.composer.cli.commands import cli
from twinchat.composer.engine.generate import UnitGenerator
from twinchat.composer.jsontext import dumps
from twinchat.composer.sample_models import sample_problems, shape_problems
from twinchat.composer.sample_shape import plainly_a_sample
from twinchat.composer.session_models import Sample, Session, SessionSchemaError, Turn, check_session, session_dict
from twinchat.composer.store import edit
from twinchat.composer.store.batches import compose_run
from twinchat.composer.store.reverify import verify_run
from twinchat.composer.store.schema import SESSION_SCHEMA, StoreSchemaError
from twinchat.composer.store.sessions import SessionStore
from twinchat.inventory import open_world
from twinchat.units.loader import load_units

SID = "memory_upgrade/0/0"


@pytest.fixture(scope="module")
def sessions(composer):
    """Ten composed sessions of every built-in flow."""
    return [composer.compose(flow, i) for flow in sorted(composer.flows) for i in range(10)]


@pytest.fixture(scope="module")
def composed_db(world_path, tmp_path_factory):
    """A world with two stored sessions of memory_upgrade (seed 0), copied per test by ``db``."""
    db = tmp_path_factory.mktemp("models") / "composed.db"
    shutil.copy(world_path, db)
    compose_run(db, flow="memory_upgrade", n=2, seed=0)
    return db


@pytest.fixture()
def db(composed_db, tmp_path):
    path = tmp_path / "twinchat.db"
    shutil.copy(composed_db, path)
    return path


def _rewrite(db, sid: str, change) -> dict:
    """Rewrite session ``sid``'s stored JSON with ``change(session)`` (as another program might)."""
    conn = open_world(db)
    try:
        session = copy.deepcopy(SessionStore(conn).get(sid).session)
        change(session)
        extra = {k: v for k, v in session.items() if k not in Session.model_fields or k == "regenerated"}
        with conn:
            conn.execute("UPDATE sessions SET turns = ?, extra = ? WHERE id = ?",
                         (json.dumps(session["turns"], ensure_ascii=False), json.dumps(extra) if extra else None, sid))
    finally:
        conn.close()
    return session


def _first_call(session: dict) -> int:
    return next(i for i, t in enumerate(session["turns"]) if t.get("tool_calls"))


# -- valid sessions and samples -----------------------------------------------------------------
def test_a_composed_session_of_every_builtin_flow_validates_and_dumps_back(sessions, composer):
    assert {s["flow"] for s in sessions} == set(composer.flows)
    for session in sessions:
        model = Session.model_validate(session)
        assert session_dict(model) == session
        assert dumps(session_dict(model)) == dumps(session)


def test_every_turn_kind_round_trips_to_the_same_json_bytes(sessions):
    adapter = TypeAdapter(Turn)
    kinds = set()
    for session in sessions:
        for turn in session["turns"]:
            kind = (turn["role"], "refs" in turn, "tool_calls" in turn, turn.get("thought") is not None)
            kinds.add(kind)
            back = adapter.dump_python(adapter.validate_python(turn), mode="json", exclude_unset=True)
            assert dumps(back) == dumps(turn)
            assert list(back) == list(turn)
    assert kinds == {("user", False, False, False), ("user", True, False, False),
                     ("assistant", False, True, False), ("assistant", False, True, True),
                     ("assistant", False, False, False), ("tool", False, False, False)}


def test_a_regenerated_session_validates_and_dumps_back(composer, sessions):
    fresh = edit.regenerate(composer, sessions[0])
    assert list(session_dict(Session.model_validate(fresh))) == list(fresh)
    assert dumps(session_dict(Session.model_validate(fresh))) == dumps(fresh)


def test_a_generated_sample_of_every_standalone_builtin_unit_validates_and_dumps_back(world):
    units = [src for src in load_units(()).values()  # a unit reading the session context is not generated alone
             if all(slot.source not in ("context", "reference") for slot in src.unit.slots.values())]
    assert len(units) >= 5
    for src in units:
        gen = UnitGenerator(src, world, seed=0)
        for i in range(5):
            record = gen.sample(i).to_json()
            back = Sample.model_validate(record).model_dump(mode="json", exclude_unset=True)
            assert dumps(back) == dumps(record), (src.unit.id, i)


# -- malformed stored sessions ------------------------------------------------------------------
def _drop_name(s):
    del s["turns"][_first_call(s)]["tool_calls"][0]["name"]


def _bot_role(s):
    s["turns"][_first_call(s) + 1]["role"] = "bot"


def _call_as_text(s):
    s["turns"][_first_call(s)]["tool_calls"][0]["arguments"] = "sku=MEM001"


def _turns_as_object(s):
    s["turns"] = {"0": s["turns"][0]}


def _unknown_key(s):
    s["colour"] = "red"


def _unknown_turn_key(s):
    s["turns"][0]["mood"] = "happy"


MALFORMED = [
    (_drop_name, "turns.{call}.tool_calls.0.name: field required"),
    (_bot_role, "turns.{result}: input tag 'bot' found using 'role' does not match any of the expected tags: "
                "'user', 'assistant', 'tool'"),
    (_call_as_text, "turns.{call}.tool_calls.0.arguments: input should be a valid dictionary"),
    (_turns_as_object, "turns: input should be a valid list"),
    (_unknown_key, "colour: extra inputs are not permitted"),
    (_unknown_turn_key, "turns.0.mood: extra inputs are not permitted"),
]


@pytest.mark.parametrize(("change", "problem"), MALFORMED, ids=[c.__name__.strip("_") for c, _ in MALFORMED])
def test_a_malformed_stored_session_is_named_with_its_field(db, change, problem):
    before = SessionStore(open_world(db)).get(SID).session
    call = _first_call(before)
    problem = problem.format(call=call, result=call + 1)
    _rewrite(db, SID, change)
    store = SessionStore(open_world(db))
    with pytest.raises(SessionSchemaError) as err:
        store.get(SID)
    assert str(err.value) == f"session {SID}: {problem}"
    with pytest.raises(SessionSchemaError, match=rf"^session {SID}: "):
        list(store.iter_sessions())
    assert store.get(SID, lenient=True).problems == (problem,)

    report = verify_run(db)
    assert report.malformed == [f"session {SID}: {problem}"]
    assert (report.failed, report.newly_failed) == (1, 1)
    verdict = SessionStore(open_world(db)).get(SID, lenient=True)
    assert (verdict.status, verdict.reasons) == ("failed", [f"schema: {problem}"])


def test_verify_and_export_name_a_malformed_session_on_the_command_line(db, tmp_path):
    _rewrite(db, SID, _unknown_turn_key)
    runner = CliRunner()
    verified = runner.invoke(cli, ["verify", "--db", str(db)])
    assert verified.exit_code == 0, verified.output
    assert f"malformed: session {SID}: turns.0.mood: extra inputs are not permitted\n" in verified.stdout
    assert "failures: schema: turns.0.mood: extra inputs are not permitted 1" in verified.stdout
    exported = runner.invoke(cli, ["export", "--db", str(db), "--format", "openai", "-o", str(tmp_path / "out")])
    assert exported.exit_code == 1
    assert exported.stderr == f"Error: session {SID}: turns.0.mood: extra inputs are not permitted\n"
    assert not (tmp_path / "out").exists()


def test_a_malformed_session_can_still_be_deleted_and_restored(db):
    from twinchat.composer.store.curate import Curation

    _rewrite(db, SID, _drop_name)
    curation = Curation(open_world(db), clock=lambda: "2026-12-01 10:00:00")
    with pytest.raises(SessionSchemaError, match=rf"^session {SID}: turns\.\d+\.tool_calls\.0\.name: field required$"):
        curation.get(SID)
    deleted = curation.delete(SID)
    assert curation.store.get(SID) is None
    curation.restore(deleted.id)
    assert curation.store.get(SID, lenient=True).problems


def test_check_session_names_the_session_and_counts_the_other_problems(sessions):
    check_session(sessions[0])
    broken = copy.deepcopy(sessions[0])
    _unknown_turn_key(broken)
    _unknown_key(broken)
    with pytest.raises(SessionSchemaError) as err:
        check_session(broken)
    assert str(err.value) == (f"session {broken['id']}: turns.0.mood: extra inputs are not permitted "
                              f"(and 1 more)")
    with pytest.raises(SessionSchemaError, match=r"^session \?: not a JSON object$"):
        check_session([broken])


# -- edited turns -------------------------------------------------------------------------------
def test_an_edited_turn_is_checked_before_the_edit_is_taken(sessions):
    session = sessions[0]
    with pytest.raises(SessionSchemaError) as err:
        edit.set_label(session, 1, ["MEM001"])
    assert str(err.value) == f"session {session['id']}: turns.0.label: input should be a valid dictionary"
    with pytest.raises(SessionSchemaError) as err:
        edit.set_text(session, 1, 42)
    assert str(err.value) == f"session {session['id']}: turns.0.content: input should be a valid string"
    assert edit.set_text(session, 1, "有货吗")["turns"][0]["content"] == "有货吗"


# -- the store's schema version -----------------------------------------------------------------
def _meta(db) -> str | None:
    conn = sqlite3.connect(db)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'session_schema'").fetchone()
    finally:
        conn.close()
    return None if row is None else row[0]


def _set_meta(db, value: str | None) -> None:
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("DELETE FROM meta WHERE key = 'session_schema'")
        if value is not None:
            conn.execute("INSERT INTO meta (key, value) VALUES ('session_schema', ?)", (value,))
    conn.close()


def test_a_new_store_records_its_schema_version(db):
    assert SESSION_SCHEMA == 1
    assert _meta(db) == "1"


def test_a_store_without_a_version_is_version_1_and_the_version_is_recorded(db):
    _set_meta(db, None)
    store = SessionStore(open_world(db))
    assert _meta(db) == "1"
    assert store.count() == 2 and store.get(SID).session["id"] == SID


def test_a_store_without_a_version_and_other_columns_is_refused(world_path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(world_path, tmp_path / "old.db")
    conn = sqlite3.connect(tmp_path / "old.db")
    conn.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, turns TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreSchemaError, match=r"^old\.db: the sessions table has columns id, turns, not those of "
                                               r"session store schema 1 \(id, flow, seed, idx, "):
        SessionStore(open_world(tmp_path / "old.db"))
    assert _meta(tmp_path / "old.db") is None


@pytest.mark.parametrize(("value", "message"), [
    ("7", "twinchat.db: session store schema 7 is newer than this twinchat (1); upgrade twinchat"),
    ("one", "twinchat.db: session store schema 'one' is not one twinchat has written (this twinchat writes 1)"),
])
def test_a_store_of_another_version_is_one_error_line(db, monkeypatch, value, message):
    monkeypatch.chdir(db.parent)
    _set_meta(db, value)
    result = CliRunner().invoke(cli, ["verify", "--db", "twinchat.db"])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {message}\n"
    assert _meta(db) == value


# -- samples files ------------------------------------------------------------------------------
@pytest.mark.parametrize(("change", "problem"), [
    (lambda r: r.pop("text"), "text: field required"),
    (lambda r: r.update(label=["MEM001"]), "label: input should be a valid dictionary"),
    (lambda r: r.update(tool_call={"name": "check_delivery"}), "tool_call.arguments: field required"),
    (lambda r: r.update(colour="red"), "colour: extra inputs are not permitted"),
], ids=["missing", "label", "tool_call", "extra"])
def test_export_from_samples_names_file_and_line_of_a_bad_sample(world_path, tmp_path, change, problem):
    samples = tmp_path / "s.jsonl"
    runner = CliRunner()
    made = runner.invoke(cli, ["generate", "product_by_stock_and_delivery", "-n", "3", "--db", str(world_path),
                               "-o", str(samples)])
    assert made.exit_code == 0, made.output
    lines = samples.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[1])
    change(record)
    samples.write_text("\n".join([lines[0], "", json.dumps(record, ensure_ascii=False), lines[2]]) + "\n",
                       encoding="utf-8")
    result = runner.invoke(cli, ["export", "--from-samples", str(samples), "--format", "alpaca",
                                 "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {samples}:3: {problem}\n"
    assert not (tmp_path / "out").exists()


def _mutations(record):
    """Copies of ``record`` with one thing changed: each a sample the model refuses, or one it takes."""
    yield {**record, "refs": {"order": [{"id": "A1"}]}}
    yield {**record, "refs": None}
    for name in Sample.model_fields:
        for value in (None, True, 1, 1.5, "x", [], {}, {"name": "n", "arguments": {}}, {"name": "n"},
                      "2026-01-02 03:04:05", "2026-01-02 03:04:05\n", "2026-1-02 03:04:05", {"k": [{"a": 1}]},
                      {"k": [1]}, {"k": {}}):
            yield {**record, name: value}
        yield {k: v for k, v in record.items() if k != name}
    yield {**record, "colour": "red"}
    yield {**record, "tool_call": {"name": "n", "arguments": {}, "id": "c1"}}
    yield {**record, "tool_call": {"name": 1, "arguments": {}}}
    yield {**record, "tool_call": {"name": "n", "arguments": []}}
    yield {**record, "refs": {"order": [{"id": "A1"}, "A2"]}}
    yield [record]


def test_the_quick_sample_check_takes_only_what_the_model_takes(world):
    """plainly_a_sample (which spares a samples file's check the model's validator) says yes to
    every generated sample, and never to one the model refuses."""
    assert set(Sample.model_fields) == {"unit", "index", "template", "case", "now", "text", "label", "tool_call",
                                        "result", "outcome", "reply", "refs"}  # the fields the quick check knows
    units = [src for src in load_units(()).values()
             if all(slot.source not in ("context", "reference") for slot in src.unit.slots.values())]
    said_yes = said_no = 0
    for src in units[:12]:
        record = UnitGenerator(src, world, seed=0).sample(0).to_json()
        assert plainly_a_sample(record), src.unit.id
        for changed in _mutations(record):
            refused = shape_problems(Sample, changed)
            quick = plainly_a_sample(changed)
            assert not (quick and refused), (src.unit.id, changed, refused)
            said_yes += quick
            said_no += bool(refused)
            if not quick:
                assert sample_problems(changed) == refused  # the model words what it refuses
    assert said_yes > 3 * len(units[:12]) and said_no > 20 * len(units[:12])
