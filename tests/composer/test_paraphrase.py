"""Paraphrasing against a real HTTP server on 127.0.0.1 with canned completions: what is accepted,
rejected (and why), and written; the unit file is never corrupted."""

from __future__ import annotations

import shutil
import time

import pytest

from canned_llm import Canned, completion
from twinchat.composer.engine.generate import UnitGenerator
from twinchat.composer.paraphrase.client import ChatClient, LLMError
from twinchat.composer.paraphrase.rewrite import Paraphraser, ParaphraseError, build_messages, paraphrase_unit
from twinchat.composer.paraphrase.checks import clean_reply
from twinchat.composer.paraphrase.unit_file import UnitFileError
from twinchat.composer.verify.samples import verify_sample
from twinchat.units.loader import load_unit_file, load_units
from twinchat.units.spec import Template

C01 = "我是{{ person }},请{{ when }}打{{ phone }}转{{ ext }}找我"
GOOD1 = "{{ when }}麻烦打{{ phone }}转{{ ext }}回我电话,我是{{ person }}"
GOOD2 = "{{ person }}:{{ when }}打{{ phone }},转{{ ext }}"


def run(unit_dir, world, llm, *, timeout=5.0, sleep=time.sleep, **kw):
    src = load_units([unit_dir], builtins=False)["callback"]
    client = ChatClient(llm.url, "canned-model", timeout=timeout, max_wait=3, sleep=sleep)
    return paraphrase_unit(src, conn=world, client=client, units_dirs=[str(unit_dir)], **kw)


def test_good_candidates_are_appended_with_new_ids_and_the_rest_of_the_file_kept(unit_dir, world, llm):
    before = (unit_dir / "callback.yaml").read_text(encoding="utf-8")
    llm.push(completion(GOOD1, "```\n" + GOOD2 + "\n```"),
             completion("{{ phone|nospace }}是我的号码,分机{{ ext }},请回电", "麻烦回个电话:{{ phone|nospace }}分机{{ ext }}"))
    report = run(unit_dir, world, llm, template_ids=["c01", "c02"], n=2)
    assert [(c.name, c.new_id, c.code) for c in report.candidates] == [
        ("c01#1", "c04", None), ("c01#2", "c05", None), ("c02#1", "c06", None), ("c02#2", None, "duplicate")]
    assert report.candidates[1].text == GOOD2                         # the code fence is gone
    assert report.written == unit_dir / "callback.yaml"
    after = (unit_dir / "callback.yaml").read_text(encoding="utf-8")
    new_block = (
        f'  - id: c04\n    text: "{GOOD1}"\n    source: paraphrase\n'
        f'  - id: c05\n    text: "{GOOD2}"\n    source: paraphrase\n'
        '  - id: c06\n    text: "{{ phone|nospace }}是我的号码,分机{{ ext }},请回电"\n'
        '    missing: [name]\n    source: paraphrase\n'
    )
    anchor = "      电话:{{ phone }} 分机:{{ ext }}\n"
    assert after == before.replace(anchor, anchor + new_block)        # comments, blank line, order kept
    unit = load_unit_file(unit_dir / "callback.yaml").unit
    assert [t.id for t in unit.templates] == ["c01", "c02", "c03", "c04", "c05", "c06"]
    assert unit.templates[5] == Template(id="c06", text="{{ phone|nospace }}是我的号码,分机{{ ext }},请回电",
                                         missing=["name"], source="paraphrase")
    first = llm.requests[0]
    assert first["path"] == "/v1/chat/completions"
    assert first["body"]["model"] == "canned-model" and first["body"]["n"] == 2
    assert first["body"]["temperature"] == 0.9 and first["body"]["seed"] == 0
    assert first["body"]["messages"][1]["content"].endswith("Rewrite this template:\n" + C01)
    assert "Authorization" not in first["headers"]


def test_every_rejection_has_its_reason(unit_dir, world, llm):
    before = (unit_dir / "callback.yaml").read_bytes()
    replies = [
        GOOD1,
        "我是{{ person }},请{{ when }}打{{ phone }}找我",                       # drops ext
        "我是{{ person }},请{{ when }}打{{ phone }}转{{ ext }}找我,我在{{ city }}",  # invents city
        "我是{{ person }},请{{ when }}拨{{ phone|spaced }}转{{ ext }}联系我",    # alters a filter
        "我是{{person}}, 请{{ when }}打{{ phone }}转{{ ext }}找我!",             # c01 again
        GOOD1 + "啊",                                                          # nearly GOOD1
        "{{ when }}请打{{ phone }}{{ ext }}联系{{ person }}",                    # digits run together
        "我是{{ person }},请{{ when }打{{ phone }}转{{ ext }}",                   # bad syntax
        "  ",
        "我是{{ person }},请{{ when }}8点打{{ phone }}转{{ ext }}",               # a number of its own
        "{{ person }}{{ person }},请{{ when }}打{{ phone }}转{{ ext }}",          # person twice
        "{{ person }}请{{ when }}打{{ phone }}转{{ ext }}\n(改写说明:更口语化)",       # an explanation added
    ]
    llm.push(completion(*replies))
    report = run(unit_dir, world, llm, template_ids=["c01"], n=len(replies))
    got = [(c.code, c.reason) for c in report.candidates]
    assert got == [
        (None, None),
        ("lost", "drops {{ ext }}"),
        ("invented", "invents {{ city }}"),
        ("altered", "changes {{ phone }} to {{ phone|spaced }}"),
        ("duplicate", "duplicates template c01"),
        ("near_duplicate", "is a near-duplicate of candidate c01#1 (similarity 0.97, threshold 0.90)"),
        ("verification", got[6][1]),
        ("syntax", "does not parse: unexpected '}' (line 1)"),
        ("empty", "the reply has no text"),
        ("numbers", "writes the number 8 that the original does not (numbers come from slots)"),
        ("invented", "uses {{ person }} 2 time(s) instead of 1"),
        ("lines", "spans 2 lines where the original is one (an explanation added?)"),
    ]
    assert got[6][1].startswith("fails verification on 6 of 6 samples (grounding:ext, grounding:phone), e.g. '")
    assert [c.new_id for c in report.accepted] == ["c04"]
    after = (unit_dir / "callback.yaml").read_bytes()
    assert after != before and after.count(b"source: paraphrase") == 1


def test_nothing_accepted_leaves_the_file_byte_identical(unit_dir, world, llm):
    path = unit_dir / "callback.yaml"
    before = path.read_bytes()
    llm.push(completion("我是{{ person }},请{{ when }}打{{ phone }}找我", C01))
    report = run(unit_dir, world, llm, template_ids=["c01"], n=2)
    assert [c.code for c in report.candidates] == ["lost", "duplicate"]
    assert report.written is None and path.read_bytes() == before


def test_dry_run_reports_ids_but_writes_nothing(unit_dir, world, llm):
    path = unit_dir / "callback.yaml"
    before = path.read_bytes()
    llm.push(completion(GOOD1))
    report = run(unit_dir, world, llm, template_ids=["c01"], n=1, dry_run=True)
    assert [c.new_id for c in report.accepted] == ["c04"] and report.written is None
    assert path.read_bytes() == before


def test_output_file_gets_the_whole_unit_and_the_unit_file_is_untouched(unit_dir, world, llm, tmp_path):
    path = unit_dir / "callback.yaml"
    before = path.read_bytes()
    out = tmp_path / "more.yaml"
    llm.push(completion(GOOD1))
    report = run(unit_dir, world, llm, template_ids=["c01"], n=1, out=out)
    assert report.written == out and path.read_bytes() == before
    assert out.read_text(encoding="utf-8").startswith("# A unit for the paraphrase tests")
    assert [t.id for t in load_unit_file(out).unit.templates] == ["c01", "c02", "c03", "c04"]
    llm.push(completion(GOOD2))
    with pytest.raises(ParaphraseError, match=f"^{out}: file exists; choose another -o$"):
        run(unit_dir, world, llm, template_ids=["c01"], n=1, out=out)
    assert len(llm.requests) == 1                                     # refused before asking


def test_same_answers_give_byte_identical_files(unit_dir, world, llm, tmp_path):
    other = tmp_path / "again"
    shutil.copytree(unit_dir, other)
    for folder in (unit_dir, other):
        llm.push(completion(GOOD1, GOOD2))
        run(folder, world, llm, template_ids=["c01"], n=2)
    assert (unit_dir / "callback.yaml").read_bytes() == (other / "callback.yaml").read_bytes()


def test_a_builtin_unit_needs_an_output_file(world, llm):
    from twinchat.units.loader import builtin_paths

    path = next(p for p in builtin_paths() if p.name == "address_extraction.yaml")
    src = load_unit_file(path, "<builtin>/address_extraction.yaml")   # as load_units() shows it
    client = ChatClient(llm.url, "m")
    with pytest.raises(ParaphraseError, match=r"^unit 'address_extraction' is built in "
                       r"\(<builtin>/address_extraction.yaml\): pass -o FILE to write its paraphrases to a new "
                       r"file \(or --dry-run to only see them\)$"):
        paraphrase_unit(src, conn=world, client=client)
    assert llm.requests == []


def test_unknown_template_is_named(unit_dir, world, llm):
    with pytest.raises(ParaphraseError, match=r"^unit 'callback' has no template 'c1' \(did you mean 'c01'\?\); "
                                              r"templates: c01, c02, c03$"):
        run(unit_dir, world, llm, template_ids=["c1"])
    assert llm.requests == []


# -- errors from the server: clear messages, the file untouched ------------------------------------
@pytest.mark.parametrize("canned, message", [
    (Canned({"error": {"message": "model crashed"}}, status=500),
     "{url}: HTTP 500 Internal Server Error: model crashed"),
    (Canned("this is {not json"), "{url}: malformed response, not JSON (JSONDecodeError: Expecting value: line 1 "
                                  "column 1 (char 0)): this is {not json"),
    (Canned({"object": "chat.completion"}), "{url}: malformed response: no choices"),
    (Canned({"choices": [{"index": 0, "message": {"role": "assistant", "content": None}}]}),
     "{url}: malformed response: choice 0 has no message content"),
    (Canned({"error": {"message": "model 'x' not found"}}, status=404),
     "{url}: HTTP 404 Not Found: model 'x' not found (check --endpoint: it is the API base, usually ending in /v1, "
     "and --model)"),
    (Canned("", status=0), "{url}: connection failed: RemoteDisconnected: Remote end closed connection without "
                           "response"),
    (Canned({"error": "bad key"}, status=401),
     "{url}: HTTP 401 Unauthorized: bad key (set the API key in TWINCHAT_API_KEY or OPENAI_API_KEY)"),
])
def test_server_errors_are_one_clear_line_and_leave_the_file_alone(unit_dir, world, llm, canned, message):
    path = unit_dir / "callback.yaml"
    before = path.read_bytes()
    llm.push(canned)
    with pytest.raises(LLMError) as info:
        run(unit_dir, world, llm, template_ids=["c01"], n=1)
    assert str(info.value) == message.replace("{url}", llm.url + "/chat/completions")
    assert path.read_bytes() == before


def test_an_error_on_a_later_template_writes_nothing(unit_dir, world, llm):
    path = unit_dir / "callback.yaml"
    before = path.read_bytes()
    llm.push(completion(GOOD1), Canned({"error": {"message": "overloaded"}}, status=503))
    with pytest.raises(LLMError, match="HTTP 503 Service Unavailable: overloaded$"):
        run(unit_dir, world, llm, template_ids=["c01", "c02"], n=1)
    assert path.read_bytes() == before


def test_a_slow_server_hits_the_timeout(unit_dir, world, llm):
    llm.push(Canned(completion(GOOD1), delay=2.0))
    with pytest.raises(LLMError) as info:
        run(unit_dir, world, llm, template_ids=["c01"], n=1, timeout=0.3)
    assert str(info.value) == (f"{llm.url}/chat/completions: no response within 0.3s (timeout); is the server "
                               f"busy or the model still loading? Raise --timeout to wait longer")


def test_connection_refused(unit_dir, world):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = ChatClient(f"http://127.0.0.1:{port}/v1", "m", timeout=2)
    with pytest.raises(LLMError, match=rf"^http://127.0.0.1:{port}/v1/chat/completions: connection refused; "
                                       r"is the server running\?$"):
        client.complete([{"role": "user", "content": "hi"}])


def test_429_waits_as_long_as_retry_after_says(unit_dir, world, llm):
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    llm.push(Canned({"error": {"message": "slow down"}}, status=429, headers={"Retry-After": "1"}),
             completion(GOOD1))
    report = run(unit_dir, world, llm, template_ids=["c01"], n=1, sleep=sleep)
    assert slept == [1.0] and len(llm.requests) == 2
    assert [c.new_id for c in report.accepted] == ["c04"]


def test_429_asking_for_too_long_a_wait_is_an_error(unit_dir, world, llm):
    path = unit_dir / "callback.yaml"
    before = path.read_bytes()
    llm.push(Canned({"error": {"message": "quota"}}, status=429, headers={"Retry-After": "120"}))
    with pytest.raises(LLMError) as info:
        run(unit_dir, world, llm, template_ids=["c01"], n=1)
    assert str(info.value) == (f"{llm.url}/chat/completions: rate limited (HTTP 429): the server asks to retry "
                               f"after 120s, more than the 3s limit; try again later")
    assert len(llm.requests) == 1 and path.read_bytes() == before


def test_429_again_and_again_gives_up(llm):
    llm.push(*[Canned({}, status=429, headers={"Retry-After": "0"})] * 4)
    client = ChatClient(llm.url, "m", max_rate_limited=3)
    with pytest.raises(LLMError, match="rate limited \\(HTTP 429\\) 4 times in a row; try again later$"):
        client.complete([{"role": "user", "content": "hi"}])
    assert len(llm.requests) == 4


def test_retry_after_as_an_http_date():
    from email.utils import formatdate

    from twinchat.composer.paraphrase.client import _retry_after

    now = time.time()
    assert _retry_after(formatdate(now + 10, usegmt=True), now) == pytest.approx(10, abs=1)
    assert _retry_after("soon", now) is None and _retry_after("7", now) == 7.0


def test_servers_that_ignore_n_are_asked_again_with_the_next_seed(llm):
    llm.push(completion("a"), completion("b"), completion("c"))
    texts = ChatClient(llm.url, "m").complete([{"role": "user", "content": "x"}], n=3, seed=7)
    assert texts == ["a", "b", "c"]
    assert [(r["body"].get("n"), r["body"]["seed"]) for r in llm.requests] == [(3, 7), (2, 8), (None, 9)]


def test_servers_that_refuse_n_are_asked_once_per_completion(llm):
    llm.push(Canned({"error": {"message": "Only one completion choice is allowed"}}, status=500),
             completion("a"), completion("b"))
    client = ChatClient(llm.url, "m")
    assert client.complete([{"role": "user", "content": "x"}], n=2) == ["a", "b"]
    assert [r["body"].get("n") for r in llm.requests] == [2, None, None] and client.single_choice


def test_the_api_key_comes_from_the_environment(llm, monkeypatch):
    from twinchat.composer.paraphrase.client import api_key_from_env

    monkeypatch.delenv("TWINCHAT_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    assert api_key_from_env() == "sk-openai"
    monkeypatch.setenv("TWINCHAT_API_KEY", "sk-twin")
    llm.push(completion("a"))
    ChatClient(llm.url, "m", api_key=api_key_from_env()).complete([{"role": "user", "content": "x"}])
    assert llm.requests[0]["headers"]["Authorization"] == "Bearer sk-twin"


def test_endpoint_forms():
    assert ChatClient("http://h:1/v1/", "m").url == "http://h:1/v1/chat/completions"
    assert ChatClient("http://h:1/v1/chat/completions", "m").url == "http://h:1/v1/chat/completions"
    with pytest.raises(LLMError, match=r"^endpoint 'localhost:11434' is not an http\(s\) URL"):
        ChatClient("localhost:11434", "m")


# -- pieces ----------------------------------------------------------------------------------------
def test_replies_are_cleaned_of_reasoning_fences_and_quotes():
    assert clean_reply("<think>hmm {{ x }}</think>\n“你好{{ x }}”") == "你好{{ x }}"
    assert clean_reply("```jinja\n你好{{ x }}\n```") == "你好{{ x }}"
    assert clean_reply('"a" and "b"') == '"a" and "b"'


def test_the_prompt_names_every_placeholder_and_the_other_templates(unit_dir):
    unit = load_units([unit_dir], builtins=False)["callback"].unit
    system, user = build_messages(unit, unit.templates[1])
    assert "Simplified Chinese" in system["content"]
    assert "Placeholders to keep: {{ phone|nospace }}, {{ ext }}" in user["content"]
    assert "- " + C01 in user["content"] and user["content"].endswith("分机{{ ext }}")


def test_rerendering_sample_slots_equals_drawing_with_the_candidate(unit_dir, world):
    src = load_units([unit_dir], builtins=False)["callback"]
    para = Paraphraser(src, world)
    assert para.check(para.template("c01"), GOOD1)[0] is None
    with_candidate = src.unit.model_copy(update={"templates": [*src.unit.templates, Template(id="zz", text=GOOD1)]})
    gen = UnitGenerator(type(src)(unit=with_candidate, path=src.path, node=src.node), world)
    for i, sample in enumerate(para.baseline("c01")):
        drawn = gen.sample(i, template_id="zz")
        assert drawn.text == para.cache.render(GOOD1, sample.slots).strip()
        assert drawn.label == sample.label and verify_sample(drawn.to_json(), with_candidate) == []


def test_a_unit_played_only_in_sessions_gets_sample_data_from_its_flows(world):
    src = load_units()["repair_book"]
    para = Paraphraser(src, world, samples=3)
    original = para.template("b01")
    assert len(para.baseline("b01")) == 3
    code, reason, previews = para.check(original, "我选{{ ref }}。{{ who.name }},{{ who.phone }},上门到{{ who.address }}")
    assert (code, reason) == (None, None) and len(previews) == 3
    assert para.check(original, "我选{{ ref }}。{{ who.name }},上门到{{ who.address }}")[:2] == (
        "lost", "drops {{ who.phone }}")


def test_a_file_changed_meanwhile_is_not_overwritten(unit_dir, world, llm):
    path = unit_dir / "callback.yaml"

    def review(para, candidates):
        path.write_text(path.read_text(encoding="utf-8") + "# edited elsewhere\n", encoding="utf-8")
        return {c.name: c.text for c in candidates}

    llm.push(completion(GOOD1))
    changed = path.read_text(encoding="utf-8") + "# edited elsewhere\n"
    with pytest.raises(UnitFileError, match=f"^{path}: the file changed while paraphrasing; run again$"):
        run(unit_dir, world, llm, template_ids=["c01"], n=1, review=review)
    assert path.read_text(encoding="utf-8") == changed
    assert not list(unit_dir.glob(".*part*"))


def test_review_decides_what_is_written(unit_dir, world, llm):
    llm.push(completion(GOOD1, GOOD2))
    edited = "{{ person }}:{{ when }}请打{{ phone }},转{{ ext }}"
    report = run(unit_dir, world, llm, template_ids=["c01"], n=2,
                 review=lambda para, cands: {"c01#2": edited})
    assert [(c.name, c.code, c.new_id, c.edited) for c in report.candidates] == [
        ("c01#1", "curator", None, False), ("c01#2", None, "c04", True)]
    assert load_unit_file(unit_dir / "callback.yaml").unit.templates[-1].text == edited


def test_the_review_app_is_the_review_step(unit_dir, world, llm):
    import asyncio

    from twinchat.tui.review_app import ReviewApp, checker, review_items

    def review(para, candidates):
        app = ReviewApp(para.unit.id, review_items(para, candidates), checker(para))

        async def main():
            async with app.run_test() as pilot:
                await pilot.press("r", "a", "w")
            return app.return_value
        return asyncio.run(main())

    llm.push(completion(GOOD1, GOOD2))
    report = run(unit_dir, world, llm, template_ids=["c01"], n=2, review=review)
    assert [(c.name, c.code, c.new_id) for c in report.candidates] == [("c01#1", "curator", None),
                                                                       ("c01#2", None, "c04")]
    assert load_unit_file(unit_dir / "callback.yaml").unit.templates[-1].text == GOOD2
