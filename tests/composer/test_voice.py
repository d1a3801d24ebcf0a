"""Replies in an agent's voice: the ``when`` / ``times_said`` filters, their fast path, the
reply-stamp check, and what composed sessions say (tests/bench/voice_counts.py counts it)."""

from __future__ import annotations

import copy
import importlib.util
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from twinchat.composer.engine.compiled import compile_template_code
from twinchat.composer.engine.filters import FILTERS, times_said, when
from twinchat.composer.engine.render import TemplateCache, make_env
from twinchat.composer.verify.samples import verify_sample
from twinchat.composer.verify.stamps import stamp_problem
from twinchat.units.loader import load_units

NOW = datetime(2026, 11, 28, 11, 20)


@pytest.mark.parametrize(("value", "form", "said"), [
    ("2026-11-28 20:00:00", "moment", "今天20:00"),
    ("2026-11-29 09:30:00", "moment", "明天9:30"),
    ("2026-11-30 18:00:00", "moment", "后天18:00"),
    ("2026-12-03 18:00:00", "moment", "12月3日18:00"),
    ("2026-11-27 14:05:00", "moment", "昨天14:05"),
    ("2026-11-26 23:59:59", "moment", "前天23:59"),
    ("2027-01-03 12:00:00", "moment", "2027年1月3日12:00"),
    ("2026-12-03", "moment", "12月3日"),
    (datetime(2026, 11, 29, 18, 0), "day", "明天"),
    ("2026-12-10 23:59:59", "day", "12月10日"),
    ("2026-11-28 20:00:00", "spoken", "今晚8点"),
    ("2026-11-29 08:30:00", "spoken", "明早8点半"),
    ("2026-11-29 18:00:00", "spoken", "明晚6点"),
    ("2026-11-30 14:00:00", "spoken", "后天下午2点"),
    ("2026-12-01 02:05:00", "spoken", "12月1日凌晨2点05分"),
    ("2026-11-28 12:00:00", "spoken", "今天中午12点"),
    ("2026-12-10 23:59:59", "spoken", "12月10日晚上12点"),
])
def test_when_says_a_moment_relative_to_the_clock(value, form, said):
    assert when(value, NOW, form) == said


def test_when_never_writes_seconds_or_a_stamp():
    for hour in range(24):
        for day in range(-3, 9):
            moment = datetime(2026, 11, 28 + min(day, 2), hour, 59, 59) if day <= 2 else datetime(2026, 12, day, hour, 7, 1)
            for form in ("moment", "day", "spoken"):
                assert stamp_problem(when(moment, NOW, form)) is None, (moment, form)


def test_when_refuses_an_unknown_form():
    with pytest.raises(ValueError, match="when: unknown form 'iso' \\(forms: moment, day, spoken\\)"):
        when("2026-11-28 20:00:00", NOW, "iso")


def test_times_said_rewrites_every_stamp_in_a_tool_message():
    message = "订单 DD261110493898 于 2026-11-12 签收,换货期限已于 2026-11-27 23:59:59 截止"
    assert times_said(message, NOW) == "订单 DD261110493898 于 11月12日 签收,换货期限已于 昨天23:59 截止"
    assert times_said("没有时间", NOW) == "没有时间"


def test_the_filters_compile_and_agree_with_jinja():
    env = make_env()
    source = ("{% for r in rows %}{{ r.name }}预计{{ r.eta|when(now) }}({{ r.eta|when(now, 'spoken') }})"
              "{{ ';' if not loop.last else '' }}{% endfor %}。{{ msg|times_said(now) }}")
    context = {"now": NOW, "msg": "已于 2026-11-27 23:59:59 截止",
               "rows": [{"name": "A", "eta": "2026-11-29 18:00:00"}, {"name": "B", "eta": "2026-12-02 09:30:00"}]}
    fast = compile_template_code(env, source, FILTERS)
    assert fast is not None
    assert fast(context) == env.from_string(source).render(context) == \
        "A预计明天18:00(明晚6点);B预计12月2日9:30(12月2日上午9点半)。已于 昨天23:59 截止"


def test_no_builtin_template_saying_a_time_leaves_the_fast_path():
    cache, slow = TemplateCache(), []
    for unit_id, src in load_units().items():
        unit = src.unit
        for text in [t.text for t in unit.templates] + [r for rs in unit.replies.values() for r in rs]:
            if "when(" in text and compile_template_code(cache.env, cache.alternatives(text).source, FILTERS) is None:
                slow.append((unit_id, text[:60]))
    # the return units read parts of a tool message with str.split: the sandbox renders those
    assert {u for u, _ in slow} <= {f"return_{k}" for k in ("choose_kind", "fix_number", "give_number", "request",
                                                           "switch_exchange", "this_order")}


@pytest.mark.parametrize(("reply", "reason"), [
    ("已于 2026-12-03 23:59:59 截止", "reply_stamp:2026-12-03"),
    ("预计12月3日18:00:00送达", "reply_stamp:18:00:00"),
    ("最新一条:2026-12-03T18:00 到达", "reply_stamp:2026-12-03"),
])
def test_a_stamp_in_a_reply_is_named(reply, reason):
    assert stamp_problem(reply) == reason


@pytest.mark.parametrize("reply", ["预计明天18:00送达", "12月3日23:59前寄回", "电话0755-8888 1234", "订单DD261110493898"])
def test_replies_as_agents_write_them_pass(reply):
    assert stamp_problem(reply) is None


def test_a_session_reply_with_a_stamp_fails_verification(composer):
    session = next(s for s in (composer.compose("memory_upgrade", i) for i in range(60))
                   if any(t.get("outcome") == "none_arrive" for t in s["turns"]))
    assert composer.verify(session) == []
    bad = copy.deepcopy(session)
    i, turn = next((i, t) for i, t in enumerate(bad["turns"]) if t.get("outcome") == "none_arrive")
    eta = bad["turns"][i - 1]["content"]["results"][0]["eta"]
    turn["content"] = f"抱歉,最快{eta}送达。"
    assert f"turn {i + 1}: reply_stamp:{eta[:10]}" in composer.verify(bad)


def test_a_sample_reply_with_a_stamp_fails_verification(world):
    from twinchat.composer.engine.generate import UnitGenerator

    src = load_units()["product_by_stock_and_delivery"]
    gen = UnitGenerator(src, world, seed=0)
    sample = next(s.to_json() for s in (gen.sample(i) for i in range(40)) if s.outcome == "too_late")
    assert verify_sample(sample, src.unit, rerun=gen.call) == []
    eta = sample["result"]["results"][0]["eta"]
    sample["reply"] = f"抱歉,最快{eta}送达。"
    assert verify_sample(sample, src.unit, rerun=gen.call) == [f"reply_stamp:{eta[:10]}"]


def _voice_counts():
    path = Path(__file__).resolve().parents[1] / "bench" / "voice_counts.py"
    spec = importlib.util.spec_from_file_location("voice_counts", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_composed_sessions_speak_as_agents(tmp_path, world_path):
    """400 sessions of the built-in mix and 200 of shopping: no stamp, no courier boilerplate, no 都 about one product,
    no arrival time said twice, no product left out of a "some arrive" reply."""
    import shutil
    import subprocess

    db = tmp_path / "voice.db"
    shutil.copy(world_path, db)
    subprocess.run(["twinchat", "compose", "-n", "400", "--seed", "11", "--db", str(db)], check=True,
                   capture_output=True)
    # the mix has ten flows, one of them shopping: 200 more shopping sessions for the delivery replies
    subprocess.run(["twinchat", "compose", "-n", "200", "--seed", "12", "--flow", "memory_upgrade", "--db", str(db)],
                   check=True, capture_output=True)
    found = _voice_counts().counts(str(db))
    assert found["sessions"] == 600 and found["replies"] > 1000 and found["not_in_time_replies"] > 20
    for key in ("reply_iso_date", "reply_seconds", "reply_boilerplate", "not_in_time_single_plural",
                "shared_eta_repeated", "some_arrive_silent_on_late"):
        assert found.get(key, 0) == 0, key
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM sessions WHERE status != 'ok'").fetchone()[0] == 0
