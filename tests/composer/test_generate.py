"""Single-unit generation: per-source draws, determinism, coherence, verification, the CLI."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import phonenumbers
import pytest
from click.testing import CliRunner

from twinchat.composer.cli.commands import cli
from twinchat.composer.errors import ComposerError
from twinchat.composer.engine.exhaustive import exhaustive
from twinchat.composer.engine.generate import UnitGenerator
from twinchat.composer.time.resolve import resolve
from twinchat.composer.engine.sample_files import generate_file
from twinchat.composer.verify.samples import verify_sample
from twinchat.units.loader import load_unit_file, load_units

HERE = Path(__file__).parent / "units"


@pytest.fixture(scope="module")
def units():
    return load_units([HERE])


def gen(world, units, uid, seed=0):
    return UnitGenerator(units[uid], world, seed=seed)


def test_every_slot_source(world, units):
    g = gen(world, units, "all_sources")
    s = g.sample(0, context={"customer": "老客户张女士"})
    parts = s.text.split("|")
    assert len(parts) == 14
    company, phone, person, laptop, part, product, addr, district, city, fault, colour, when, cust, office = parts
    assert company == s.label["company"] and company.endswith(("公司", "集团"))
    assert phone.count("-") == 2 and phone.replace("-", "") == s.label["phone"]
    assert person.endswith(("先生", "女士")) and person.startswith(s.label["name"])
    fits = world.execute("SELECT 1 FROM compatibility WHERE part_id = ? AND device_model = ?",
                         (s.label["part"], s.label["laptop"])).fetchone()
    assert fits is not None                                     # compatible_part fits the drawn device
    stock = world.execute("SELECT sum(qty) FROM stock WHERE product_id = ?", (s.label["product"],)).fetchone()[0]
    assert stock == 0                                           # in_stock: false
    assert world.execute("SELECT 1 FROM technicians t JOIN regions r ON r.adcode = t.city WHERE r.name = ?",
                         (city,)).fetchone() is not None
    assert world.execute("SELECT 1 FROM kb_solutions WHERE fault = ?", (fault,)).fetchone() is not None
    assert colour == "蓝"                                       # weight 0 is never drawn
    assert resolve(when, g_now(s)).end.strftime("%Y-%m-%d %H:%M:%S") == s.label["when_end"]
    assert cust == "老客户张女士" == s.label["customer"]
    assert office.startswith(addr.split("区")[-1][:2]) or office.endswith(f"({company})")
    assert district.endswith(("区", "县", "市", "旗", "街道", "镇"))
    assert verify_sample(s.to_json(), units["all_sources"].unit) == []


def g_now(sample):
    from datetime import datetime

    return datetime.fromisoformat(sample.now)


def test_context_slot_without_context_is_an_error(world, units):
    with pytest.raises(ComposerError, match=r"slot 'customer': session context has no 'customer'"):
        gen(world, units, "needs_context").sample(0)


def test_same_seed_same_samples_other_seed_other_samples(world, units):
    a = [gen(world, units, "address_extraction", seed=5).sample(i).to_json() for i in range(50)]
    b = [gen(world, units, "address_extraction", seed=5).sample(i).to_json() for i in range(50)]
    c = [gen(world, units, "address_extraction", seed=6).sample(i).to_json() for i in range(50)]
    assert a == b and a != c


def test_sample_i_does_not_depend_on_what_came_before(world, units):
    g = gen(world, units, "product_by_stock_and_delivery")
    later = g.sample(37).to_json()
    fresh = gen(world, units, "product_by_stock_and_delivery")
    assert fresh.sample(37).to_json() == later


def test_addresses_and_phones_over_thousands(world, units):
    g = gen(world, units, "address_extraction", seed=11)
    regions = {r[0]: (r[1], r[2], r[3], r[4]) for r in world.execute(
        "SELECT adcode, name, parent, level, postcode FROM regions")}
    by_name: dict[tuple[str, str], str] = {}
    for code, (name, parent, level, _) in regions.items():
        if level == "district":
            by_name[(regions[parent][0], name)] = code
    texts, prefixes = [], Counter()
    for i in range(10_000):
        s = g.sample(i)
        texts.append(s.text)
        addr = s.slots["addr"]
        code = addr.adcode
        d_name, city_code, _, postcode = regions[code]
        c_name, prov_code, _, city_postcode = regions[city_code]
        assert (addr.district, addr.city, addr.province) == (d_name, c_name, regions[prov_code][0])
        assert addr.postcode == city_postcode == postcode and len(postcode) == 6
        digits = s.slots["phone"].digits
        number = phonenumbers.parse(digits, "CN")
        assert phonenumbers.is_valid_number(number), digits
        assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE, digits
        prefixes[digits[:2]] += 1
    assert set(prefixes) <= {"13", "14", "15", "16", "17", "18", "19"}
    assert len(set(texts)) / len(texts) >= 0.99


def test_verification_catches_an_ungrounded_label(world, units, tmp_path):
    out = tmp_path / "hides.jsonl"
    report = generate_file("hides_a_field", out, conn=world, n=200, units_dirs=[str(HERE)])
    assert report.failures == Counter({"grounding:phone": report.planned - report.written})
    assert 50 < report.written < 150
    assert all(json.loads(line)["template"] == "states" for line in out.read_text().splitlines())


def test_output_is_reproducible_byte_for_byte(world_path, tmp_path):
    runner = CliRunner()
    paths = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    for p in paths:
        result = runner.invoke(cli, ["generate", "product_by_feature", "-n", "300", "--seed", "3",
                                     "--db", str(world_path), "-o", str(p)])
        assert result.exit_code == 0, result.output
    assert paths[0].read_bytes() == paths[1].read_bytes()
    first = json.loads(paths[0].read_text().splitlines()[0])
    assert set(first) == {"unit", "index", "template", "case", "now", "text", "label", "tool_call", "result",
                          "outcome", "reply"}


def test_each_line_is_the_standard_librarys_text_of_its_record(world_path, tmp_path):
    """The lines are json.dumps(record, ensure_ascii=False), whichever encoder writes them; the
    encoder gives that text for values no sample of the built-ins holds, and the same errors."""
    from twinchat.composer.engine import sample_files

    out = tmp_path / "s.jsonl"
    result = CliRunner().invoke(cli, ["generate", "product_by_stock_and_delivery", "-n", "200", "--db",
                                      str(world_path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 200
    assert all(json.dumps(json.loads(line), ensure_ascii=False) == line for line in lines)
    odd = [None, True, 0, -7, 2**80, 1.5, 1e16, float("nan"), float("-inf"), "", 'q"\\\n\t\x00\x7f\u2028é中',
           [], {}, (1, "a"), {1: "int key", None: [], True: {"x": 0.1}}, {"a": [{"b": [None, 2.5]}]}]
    for value in odd:
        assert sample_files._encode(value) == json.dumps(value, ensure_ascii=False)
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        sample_files._encode({"label": {1, 2}})


def test_tool_results_are_real_and_rerun_identically(world, units):
    from datetime import datetime

    from twinchat.inventory.tools import call

    g = gen(world, units, "product_by_stock_and_delivery")
    for i in range(30):
        s = g.sample(i)
        assert s.tool_call["name"] == "check_delivery"
        assert call(world, "check_delivery", s.tool_call["arguments"], datetime.fromisoformat(s.now)) == s.result


def test_tampered_sample_fails_verification(world, units):
    src = units["product_by_stock_and_delivery"]
    g = gen(world, units, "product_by_stock_and_delivery")
    record = next(r for r in (g.sample(i).to_json() for i in range(50)) if not verify_sample(r, src.unit, g.call))
    wrong_result = json.loads(json.dumps(record))
    wrong_result["result"]["destination"]["name"] = "火星"
    assert verify_sample(wrong_result, src.unit, g.call) == ["tool_mismatch"]
    wrong_label = json.loads(json.dumps(record))
    wrong_label["label"]["destination"] = "火星"
    assert "grounding:destination" in verify_sample(wrong_label, src.unit, g.call)


def test_a_wrong_address_label_fails_with_the_reasons_of_each_field(world):
    """The plain fields of a label (texts said as written, fields a template leaves out) are passed
    in one check; a wrong one is still caught, with the same reasons as field by field."""
    from twinchat.composer.verify.samples import Verifier

    src = load_units()["address_extraction"]
    g = UnitGenerator(src, world, seed=0)
    verify = Verifier(src.unit, rerun=g.call)
    records = [g.sample(i).to_json() for i in range(200)]
    assert all(verify(r) == [] for r in records)
    said = next(r for r in records if r["label"]["phone"] is not None and r["label"]["postcode"] is None)

    def wrong(**label):
        return {**said, "label": {**said["label"], **label}}
    assert verify(wrong(city="火星市")) == ["grounding:city"]
    assert verify(wrong(name="")) == ["type:name"]
    assert verify(wrong(detail=7)) == ["type:detail"]
    assert verify(wrong(postcode="518000")) == ["missing_not_null:postcode"]
    assert verify(wrong(province="火星", district="月球区")) == ["grounding:province", "grounding:district"]
    assert verify(wrong(phone="13800138000")) == ["grounding:phone"]
    assert verify({**said, "text": said["text"].replace(said["label"]["name"], "某人")}) == ["grounding:name"]


def test_exhaustive_counts_then_refuses_past_the_cap(world, tmp_path, units):
    unit = tmp_path / "small.yaml"
    unit.write_text(
        "id: small\ntitle: t\nslots:\n"
        "  a: {source: choice, values: [一, 二, 三]}\n"
        "  b: {source: choice, values: [甲, 乙]}\n"
        "  p: {source: inventory, kind: product, category: charging_pile}\n"
        "templates:\n  - {id: t1, text: '{{ a }}{{ b }}{{ p }}'}\n  - {id: t2, text: '{{ p }}:{{ a }}/{{ b }}'}\n"
        "label:\n  a: {value: a}\n  b: {value: b}\n", encoding="utf-8")
    piles = world.execute("SELECT count(*) FROM products WHERE category = 'charging_pile'").fetchone()[0]
    src = load_unit_file(unit)
    count, samples = exhaustive(UnitGenerator(src, world), cap=10_000)
    assert count == 3 * 2 * piles * 2
    texts = [s.text for s in samples]
    assert len(texts) == count == len(set(texts))
    with pytest.raises(ComposerError, match=r"unit 'small': --exhaustive gives more than 10 samples; raise --cap"):
        exhaustive(UnitGenerator(src, world), cap=10)


def test_cli_generate_prints_count_and_summary(world_path, tmp_path):
    out = tmp_path / "x.jsonl"
    result = CliRunner().invoke(cli, ["generate", "product_by_stock_and_delivery", "-n", "200",
                                      "--db", str(world_path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "product_by_stock_and_delivery: 200 samples to generate" in result.stderr
    assert "wrote " in result.stdout and "outcomes: " in result.stdout
    again = CliRunner().invoke(cli, ["generate", "product_by_feature", "--db", str(world_path), "-o", str(out)])
    assert again.exit_code == 1
    assert again.stderr == f"Error: {out}: file exists; pass --force to replace it\n"


def test_cli_errors_leave_no_output(world_path, tmp_path):
    out = tmp_path / "y.jsonl"
    runner = CliRunner()
    unknown = runner.invoke(cli, ["generate", "adress_extraction", "--db", str(world_path), "-o", str(out)])
    assert unknown.exit_code == 1
    assert unknown.stderr.startswith("Error: unknown unit 'adress_extraction' (did you mean 'address_extraction'?)")
    broken = runner.invoke(cli, ["generate", "needs_context", "--units", str(HERE), "--db", str(world_path),
                                 "-o", str(out)])
    assert broken.exit_code == 1
    assert "session context has no 'customer'" in broken.stderr
    assert list(tmp_path.iterdir()) == []


def test_units_list_and_show():
    runner = CliRunner()
    listed = runner.invoke(cli, ["units", "list"])
    assert listed.exit_code == 0
    assert "address_extraction" in listed.stdout and "check_delivery" in listed.stdout
    shown = runner.invoke(cli, ["units", "show", "address_extraction"])
    assert shown.exit_code == 0
    assert "templates (15)" in shown.stdout and "label: name: str, phone: phone" in shown.stdout


def test_a_device_slot_draws_only_laptops_that_fit_or_do_not_fit_the_category(world, units):
    g = gen(world, units, "device_fits")
    seen = Counter()
    for i in range(400):
        s = g.sample(i)
        fits = world.execute("SELECT count(*) FROM compatibility c JOIN products p ON p.id = c.part_id "
                             "WHERE c.device_model = ? AND p.category = ?",
                             (s.label["device"], s.label["category"])).fetchone()[0]
        assert (fits > 0) == (s.case == "fits"), (s.case, s.label)
        seen[s.case, s.label["category"]] += 1
    # both cases drawn for memory; a laptop without an SSD bay exists too (the world has one)
    assert seen["fits", "memory"] and seen["no_fit", "memory"] and seen["fits", "ssd"] and seen["no_fit", "ssd"]


def test_a_category_no_laptop_takes_gives_a_one_line_error_naming_unit_and_slot(tmp_path, world_path):
    unit = (HERE / "device_fits.yaml").read_text(encoding="utf-8")
    unit = unit.replace("id: device_fits", "id: device_fits_mouse").replace("- {id: ssd, word: 固态硬盘}",
                                                                            "- {id: mouse, word: 鼠标}")
    unit = unit.replace("- {id: memory, word: 内存条}\n", "")
    path = tmp_path / "mouse.yaml"
    path.write_text(unit, encoding="utf-8")
    result = CliRunner().invoke(cli, ["generate", "device_fits_mouse", "-n", "5", "--units", str(path),
                                      "--db", str(world_path), "-o", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert errors == ["Error: unit 'device_fits_mouse': slot 'device': no laptop with parts of 'mouse' to draw"]
    assert "Traceback" not in result.output
    assert not (tmp_path / "out.jsonl").exists()


def test_a_writing_tool_unit_runs_on_a_private_copy_and_gives_the_samples_of_the_file(world_path, tmp_path):
    """generate runs a tool unit on an in-memory copy of the world: the file's connection makes no
    write, not even one rolled back, and the samples are those drawn against the file itself."""
    from twinchat.inventory import open_world

    conn = open_world(world_path)
    try:
        out = tmp_path / "tickets.jsonl"
        report = generate_file("ticket_create_call", out, conn=conn, n=60, seed=4)
        assert conn.total_changes == 0
        lines = out.read_text(encoding="utf-8").splitlines()
        assert report.written == len(lines) == 60 and report.outcomes["created"] > 0
        src = load_units()["ticket_create_call"]
        on_file = UnitGenerator(src, conn, seed=4)
        assert [json.loads(line) for line in lines] == [on_file.sample(i).to_json() for i in range(60)]
        assert conn.total_changes > 0  # drawing on the file itself writes there (and rolls back)
    finally:
        conn.close()


def test_a_time_not_said_in_the_text_fails_its_grounding(world, units):
    src = units["repair_address_time"]
    g = gen(world, units, "repair_address_time")
    record = next(r for r in (g.sample(i).to_json() for i in range(50)) if not verify_sample(r, src.unit, g.call))
    moved = json.loads(json.dumps(record))
    moved["label"]["serve_time"] = "2020-01-01 09:00:00"  # no phrase of the text names it
    assert "grounding:serve_time" in verify_sample(moved, src.unit, g.call)
    unsaid = json.loads(json.dumps(record))
    unsaid["text"] = "师傅来修一下"  # no time phrase at all
    assert "grounding:serve_time" in verify_sample(unsaid, src.unit, g.call)


@pytest.mark.parametrize("uid", ["ticket_create_call", "repair_slots", "aftersales_cancel", "shop_ask_part", "coupon_ask"])
def test_arguments_read_from_the_label_are_those_the_expressions_give(world, uid):
    """A tool call whose arguments are each a bare ``label.FIELD`` reads them from the label; they are
    what the compiled expressions give (and a unit with any other argument evaluates them all)."""
    from twinchat.composer.engine.generate import plain

    builtin = load_units()
    g = UnitGenerator(builtin[uid], world, seed=3)
    expressions = all(g.templates.path(e) and g.templates.path(e).startswith("label.")
                      for e in g.unit.tool.arguments.values())
    assert (g._from_label is not None) == expressions
    for i in range(20):
        s = g.sample(i)
        scope = {**s.slots, "label": s.label, "now": None}
        expected = {k: plain(fn(scope)) for k, fn in g._arguments}
        expected = {k: v for k, v in expected.items() if v is not None or k not in g._omit_null}
        assert g._call_arguments(scope) == expected
        assert s.tool_call is None or s.tool_call["arguments"] == expected


def test_a_reply_is_drawn_as_rng_choice_draws_it(world, units):
    """_reply draws its reply as rng.choice(replies) draws it (then its alternatives): the same
    text and the same RNG state afterwards, for every outcome of units with replies."""
    import random

    checked = 0
    for uid in ("ticket_create_call", "order_ask_status", "return_request"):
        g = gen(world, units, uid)
        for i in range(40):
            s = g.sample(i)
            if s.outcome is None:
                continue
            scope = {**s.slots, "label": s.label, "now": s.now, "result": s.result, "outcome": s.outcome}
            for outcome, replies in g.unit.replies.items():
                fast, slow = random.Random(i), random.Random(i)
                try:
                    got = g._reply(outcome, scope, fast)
                except ComposerError:
                    got = None  # a reply of another outcome may read what this result lacks
                reply = slow.choice(replies)
                alts = g._reply_alts[reply]
                if alts is not None:
                    reply, alt_scope = alts.source, alts.scope(scope, alts.draw(slow))
                else:
                    alt_scope = scope
                try:
                    want = g._render(reply, alt_scope, "a reply for outcome %r", outcome)
                except ComposerError:
                    want = None
                assert got == want and fast.getstate() == slow.getstate(), (uid, i, outcome)
                checked += want is not None
    assert checked > 50


def test_a_text_value_holds_what_the_dataclass_would():
    """Text's own __init__ (its fields written straight into the instance) gives the dataclass's
    fields, repr, JSON and frozenness."""
    import dataclasses
    import pickle

    from twinchat.composer.engine.slot_values import Text

    for value, text in ((1, "1"), ("a", "b"), (None, ""), ({"k": 1}, "k")):
        t = Text(value, text)
        assert (t.value, t.text) == (value, text) == (Text(value=value, text=text).value, text)
        assert dataclasses.astuple(t) == (value, text)
        assert repr(t) == f"Text(value={value!r}, text={text!r})"
        assert t.to_json() == (value if text == str(value) else {"value": value, "text": text})
        with pytest.raises(dataclasses.FrozenInstanceError):
            t.text = "x"  # type: ignore[misc]
        assert pickle.loads(pickle.dumps(t)).__dict__ == t.__dict__
