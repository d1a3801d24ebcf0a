"""The fast template path renders what Jinja2 renders wherever it answers, and defers where it cannot."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from twinchat.composer.errors import ComposerError
from twinchat.composer.engine.compiled import Fallback, compile_template_code
from twinchat.composer.engine.filters import FILTERS
from twinchat.composer.engine.render import TemplateCache, make_env
from twinchat.composer.engine.slot_values import Record
from twinchat.units.loader import load_units

CONTEXTS = [
    {"result": {"count": 2, "device": {"name": "ThinkPad T14"}, "destination": {"name": "深圳市南山区"},
                "products": [{"short_name": "金士顿16G", "price": 399.0, "in_stock": True},
                             {"short_name": "三星32G", "price": 1299.0, "in_stock": False}],
                "results": [{"short_name": "A", "arrives_in_time": False, "eta": "2026-12-02 18:00:00"},
                            {"short_name": "B", "arrives_in_time": True, "eta": "2026-12-01 21:00:00"},
                            {"short_name": "C", "arrives_in_time": False, "eta": None}],
                "items": [{"short_name": "x", "qty": 2}]},
     "part": {"word": "内存条"}, "dest": "home", "pf": "dashed", "p": "13800138000", "typo": {"at": 3, "dup": True},
     "home": Record("customer", {"region": "广东省深圳市南山区"}, "王伟"), "anywhere": Record("district", {}, "福田区"),
     "deadline": Record("time", {"end": datetime(2026, 12, 1, 23, 59, 59)}, "明天"), "n": 7, "now": datetime(2026, 12, 1)},
    {"result": {"count": 0, "device": {"name": "X"}, "products": [], "results": [], "items": []},
     "part": {"word": "固态硬盘"}, "dest": "other", "pf": "plain", "p": "13900000000", "typo": {"at": 1, "dup": False},
     "home": None, "anywhere": Record("district", {}, "海淀区"), "deadline": "今晚", "n": 0, "now": datetime(2026, 12, 1)},
    {},
]

TEMPLATES = [
    "为您找到{{ result.count }}款{{ part.word }}:{% for p in result.products %}{{ loop.index }}. {{ p.short_name }}"
    "({{ p.price|price }}){{ ';' if not loop.last else '。' }}{% endfor %}",
    "{% for r in result.results if r.arrives_in_time %}{{ r.short_name }}{{ '、' if not loop.last else '' }}"
    "{% else %}都送不到{% endfor %}可以{{ deadline }}送到",
    "{% set e = result.results|selectattr('eta')|sort(attribute='eta')|first %}最快的是{{ e.short_name }},"
    "预计{{ e.eta|cn_time }}送达",
    "{{ home.region if dest == 'home' else anywhere }}",
    "{% if n > 5 %}多{% elif n > 0 %}少{% else %}无{% endif %}:{{ n * 2 }} {{ n // 2 }} {{ n % 3 }} {{ -n }}",
    "{{ p if pf == 'plain' else p[:3] ~ '-' ~ p[3:7] ~ '-' ~ p[7:] }}",
    "{{ p[:typo.at + 1] ~ p[typo.at:] if typo.dup else p[:typo.at] ~ p[typo.at + 1:] }}",
    "{{ result['items'][0].short_name }}×{{ result['items'][0].qty }} {{ result.products|length }}",
    "{{ result.products|map(attribute='short_name')|join('、') }}",  # map: not supported, Jinja2 renders it
    "{{ result.items }}", "{{ now.weekday() }}", "{{ missing }}", "{{ result.__class__ }}",
    "{% for p in result.products %}{{ loop.cycle('a', 'b') }}{% endfor %}",
    "{{ [1, 2]|first }} {{ []|first }}", "{{ part.word|fullwidth }}{{ n|cn_number }}",
    # groups of one ETA, the late ones, and an inline if without else (the built-in replies' shapes)
    "{% for g in result.results|selectattr('eta')|groupby('eta') %}{% for r in g.list %}{{ r.short_name }}"
    "{{ '、' if not loop.last }}{% endfor %}预计{{ g.grouper|cn_time }}{{ ';' if not loop.last }}{% endfor %}",
    "{% set late = result.results|rejectattr('arrives_in_time')|list %}{% for r in late %}{{ r.short_name }}"
    "{% endfor %}{{ '都能到' if not late }}",
    "{% for p in result.products %}{{ p.short_name }}{{ ',缺货' if not p.in_stock }}{% endfor %}",
]


def _jinja(env, source, context):
    try:
        return ("ok", env.from_string(source).render(context))
    except Exception as exc:  # noqa: BLE001 - compare the failure, whatever it is
        return ("error", type(exc))


@pytest.mark.parametrize("source", TEMPLATES)
def test_fast_template_agrees_with_jinja_or_defers(source):
    env = make_env()
    fast = compile_template_code(env, source, FILTERS)
    for context in CONTEXTS:
        expected = _jinja(env, source, context)
        if fast is None:
            continue
        try:
            got = ("ok", fast(context))
        except Fallback:
            continue  # Jinja2 decides
        except Exception:  # noqa: BLE001 - an error also sends the template to Jinja2
            continue
        assert got == expected, (source, context)


def test_supported_templates_compile_and_unsupported_do_not():
    env = make_env()
    for source in TEMPLATES[:8]:
        assert compile_template_code(env, source, FILTERS) is not None, source
    assert compile_template_code(env, "{{ now.strftime('%Y') }}", FILTERS) is None  # a call
    assert compile_template_code(env, "{{ now.weekday(1) }}", FILTERS) is None  # a call with arguments
    assert compile_template_code(env, "{{ x|map(attribute='y')|list }}", FILTERS) is None  # a filter it lacks
    assert compile_template_code(env, "{% for a, b in x %}{% endfor %}", FILTERS) is None  # unpacking
    assert compile_template_code(env, "{% for a in x %}{% set y = a %}{% endfor %}", FILTERS) is None  # set in a loop
    assert compile_template_code(env, "{% for a in x if loop.index > 1 %}{% endfor %}", FILTERS) is None  # loop in the filter
    assert compile_template_code(env, "{{ x", FILTERS) is None  # syntax error: Jinja2 reports it


def test_weekday_calls_compile_and_agree_with_jinja_or_defer():
    """``weekday()``/``isoweekday()`` are called directly on a date or datetime; on anything else
    (a dict, a string) the compiled code defers to Jinja2."""
    env = make_env()
    source = "{{ now.weekday() }}/{{ now.isoweekday() >= 6 }}"
    fast = compile_template_code(env, source, FILTERS)
    assert fast is not None
    assert fast({"now": datetime(2026, 12, 6, 15, 30)}) == "6/True"
    assert fast({"now": date(2026, 12, 7)}) == "0/False"
    for context in ({"now": datetime(2026, 12, 6)}, {"now": date(2026, 12, 10)}):
        assert ("ok", fast(context)) == _jinja(env, source, context)
    for odd in ({"now": {"weekday": 3}}, {"now": "2026-12-06"}):
        with pytest.raises(Fallback):
            fast(odd)


def test_code_reads_loop_counters_and_keeps_the_loop_object_when_it_is_used_otherwise():
    env = make_env()
    counters = "{% for x in xs %}{{ loop.index0 }}{{ loop.index }}{{ loop.first }}{{ loop.last }}" \
               "{{ loop.length }}{{ loop.revindex }}{{ loop.revindex0 }};{% endfor %}"
    whole = "{% for x in xs %}{{ loop.index }}{% for y in x %}{{ loop.index }}{{ y }}{% endfor %}|{% endfor %}"
    for source in (counters, whole, "{% for x in xs %}{{ loop.nope }}{% endfor %}"):
        code = compile_template_code(env, source, FILTERS)
        for xs in ([], [["a", "b"]], [["a", "b"], ["c"], [], ["d", "e"]]):
            expected = _jinja(env, source, {"xs": xs})
            try:
                got = ("ok", code({"xs": xs}))
            except Exception:  # noqa: BLE001 - Jinja2 decides
                assert source.endswith("{{ loop.nope }}{% endfor %}")  # no such counter: only that one defers
                continue
            assert got == expected, (source, xs)


def test_template_cache_falls_back_to_jinja():
    cache = TemplateCache()
    # a str is iterated by Jinja2 (the fast path defers), and an empty ``first`` is Jinja2's error
    assert cache.render("{% for p in ps %}{{ loop.index }}{% endfor %}", {"ps": "ab"}) == "12"
    with pytest.raises(ComposerError, match="No first item, sequence was empty"):
        cache.render("{{ []|first }}", {})


def test_builtin_unit_templates_render_as_jinja_renders_them(world):
    """Every template and reply of the built-in units that the fast path compiles renders, on
    contexts drawn by the units themselves, exactly as Jinja2 renders it."""
    from twinchat.composer.engine.generate import UnitGenerator

    env = make_env()
    seen = 0
    for src in load_units(()).values():
        gen = UnitGenerator(src, world)
        for i in range(20):
            try:
                sample = gen.sample(i)
            except Exception:  # noqa: BLE001 - a unit that needs a session context is not drawn alone
                break
            scope = {**sample.slots, "label": sample.label, "now": datetime.fromisoformat(sample.now),
                     "result": sample.result, "outcome": sample.outcome}
            sources = [t.text for t in src.unit.templates] + [r for rs in src.unit.replies.values() for r in rs]
            for source in sources:
                fast = compile_template_code(env, source, FILTERS)
                if fast is None:
                    continue
                try:
                    got = fast(scope)
                except Exception:  # noqa: BLE001 - Fallback or an error: Jinja2 decides
                    continue
                assert got == env.from_string(source).render(scope), (src.unit.id, source)
                seen += 1
    assert seen > 500


def test_a_name_read_before_the_template_sets_it_is_left_to_jinja():
    """Jinja2 reads the template's own variable there (undefined until set), not the context's."""
    env = make_env()
    for source in ("{% for a in xs %}{{ x }}{% endfor %}{% set x = 2 %}", "{{ x }}{% set x = 2 %}{{ x }}",
                   "{% for a in xs if x %}{{ a }}{% endfor %}{% set x = 2 %}"):
        assert compile_template_code(env, source, FILTERS) is None, source
    assert compile_template_code(env, "{% set x = 1 %}{% for a in xs %}{{ x }}{% endfor %}", FILTERS) is not None


def test_a_template_nested_deeper_than_python_compiles_is_left_to_jinja():
    source = "{% for a in x %}" * 25 + "." + "{% endfor %}" * 25
    assert compile_template_code(make_env(), source, FILTERS) is None


def test_fast_templates_with_groupby_and_nested_loops_render_fast():
    """The shapes above are compiled (not left to Jinja2) and agree with it."""
    env = make_env()
    for source in TEMPLATES[-3:]:
        fast = compile_template_code(env, source, FILTERS)
        assert fast is not None, source
        assert fast(CONTEXTS[0]) == env.from_string(source).render(CONTEXTS[0])


def test_groupby_of_a_list_of_dicts_is_read_directly_and_agrees_with_jinja(monkeypatch):
    """Groups sorted and keyed without case, each named by its first item; a list whose items do
    not all hold the key goes to Jinja2's own filter."""
    import jinja2.filters

    env = make_env()
    source = "{% for g in xs|groupby('k') %}{{ g.grouper }}:{% for x in g.list %}{{ x.n }}{% endfor %};{% endfor %}"
    fast = compile_template_code(env, source, FILTERS)
    direct = [[{"k": "b", "n": 1}, {"k": "A", "n": 2}, {"k": "a", "n": 3}, {"k": "B", "n": 4}],
              [{"k": 2, "n": 1}, {"k": 1, "n": 2}, {"k": 2, "n": 3}], []]
    expected = [_jinja(env, source, {"xs": xs}) for xs in direct]
    assert expected[0] == ("ok", "A:23;b:14;")
    jinja_groupby = jinja2.filters.sync_do_groupby
    calls = []
    monkeypatch.setattr(jinja2.filters, "sync_do_groupby", lambda *a: calls.append(a) or jinja_groupby(*a))
    assert [("ok", fast({"xs": xs})) for xs in direct] == expected
    assert calls == []
    odd = [{"k": "a", "n": 1}, {"n": 2}]
    try:
        got = ("ok", fast({"xs": odd}))
    except Exception as exc:  # noqa: BLE001 - Jinja2's own filter raised it: compare the failure
        got = ("error", type(exc))
    assert got == _jinja(env, source, {"xs": odd}) and len(calls) == 1


def test_nested_loops_past_the_limit_are_left_to_the_sandbox_which_refuses_them():
    from twinchat.composer.engine.limits import MAX_LOOPS
    from twinchat.composer.errors import LimitError

    source = "{% for a in xs %}{% for b in xs %}.{% endfor %}{% endfor %}"
    fast = compile_template_code(make_env(), source, FILTERS)
    assert fast is not None
    side = int(MAX_LOOPS ** 0.5) + 2
    with pytest.raises(Fallback):
        fast({"xs": list(range(side))})
    assert fast({"xs": [1, 2, 3]}) == "........."
    with pytest.raises(LimitError, match="loop iterations"):
        TemplateCache().render(source, {"xs": list(range(side))})


def test_templates_that_differ_in_constants_share_code_and_render_their_own():
    """Constants are named in the written source, never held: two such templates compile to one
    code object (kept once) and each renders its own text."""
    env = make_env()
    one = compile_template_code(env, "好的,{{ part.word }}有{{ result.count }}款", FILTERS)
    two = compile_template_code(env, "收到,{{ part.word }}共{{ result.count }}个", FILTERS)
    assert one.__code__ is two.__code__
    assert one(CONTEXTS[0]) == "好的,内存条有2款" and two(CONTEXTS[0]) == "收到,内存条共2个"


def test_a_star_only_in_text_or_strings_renders_fast_and_an_operator_in_the_sandbox():
    cache = TemplateCache()
    cache.render("★{{ '*' ~ part.word }}**", CONTEXTS[0])
    cache.render("{{ n * 2 }}件", CONTEXTS[0])
    assert cache._templates["★{{ '*' ~ part.word }}**"][0] is not None
    assert cache._templates["{{ n * 2 }}件"][0] is None and cache.render("{{ n * 2 }}件", CONTEXTS[0]) == "14件"
