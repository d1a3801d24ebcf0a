"""The fast expression path agrees with Jinja2 wherever it answers, and defers where it cannot."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from twinchat.composer.engine.compiled import Fallback, compile_expression_code
from twinchat.composer.engine.filters import FILTERS
from twinchat.composer.engine.render import make_env


@dataclass
class Place:
    region: str
    text: str


CONTEXTS = [
    {"result": {"count": 3, "results": [{"in_stock": True, "arrives_in_time": False, "eta": "2026-12-01 10:00:00"},
                                        {"in_stock": False, "arrives_in_time": True, "eta": None}],
                "products": ["A", "B"]},
     "label": {"products": ["P1"], "deadline": "2026-12-01 23:59:59"}, "dest": "home",
     "home": Place("广东省深圳市南山区", "南山区"), "anywhere": Place("福田区", "福田")},
    {"result": {"error": {"code": "slot_unavailable", "message": "x", "field": None}, "count": 0, "results": []},
     "label": {"products": [], "deadline": None}, "dest": "other",
     "home": Place("北京市朝阳区", "朝阳"), "anywhere": Place("海淀区", "海淀")},
    {"result": {}, "label": {}, "dest": None, "home": None, "anywhere": None},
]

EXPRESSIONS = [
    "'error' in result", "'reason' in result", "result.count > 0", "result.count == 0 or 'error' in result",
    "3", "'x'", "not result.results[0].in_stock", "result.results[0].arrives_in_time",
    "result.results|selectattr('in_stock')|list|length == 0",
    "result.results|selectattr('arrives_in_time')|list|length > 0",
    "'error' in result and result.error.code == 'slot_unavailable'",
    "home.region if dest == 'home' else anywhere.text",
    "{'products': label.products, 'deadline': label.deadline}",
    "result.products if result and 'products' in result else []",
    "[result.count, dest]", "(1, 2)", "1 < result.count <= 3", "result.count not in [1, 2]",
    "result.items", "result.__class__", "label.products[0]", "home.__init__", "missing_name",
    "result.results|selectattr('items')|list", "result.results|selectattr('_x')|list",
    "result.results|selectattr('eta')|sort(attribute='eta')|first", "label.products|join('、')",
    "result.count * 2 - 1", "dest ~ '/' ~ result.count", "-result.count", "result['count'] // 2",
]


def _jinja(env, expression, context):
    value = env.compile_expression(expression, undefined_to_none=False)(**context)
    return ("value", value)


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_fast_path_agrees_with_jinja_or_defers(expression):
    env = make_env()
    fast = compile_expression_code(env, expression, FILTERS)
    assert fast is not None, f"{expression!r} should be compiled"
    for context in CONTEXTS:
        try:
            expected = _jinja(env, expression, context)
        except Exception as exc:  # noqa: BLE001 - compare the failure, whatever it is
            expected = ("error", type(exc))
        try:
            value = fast(context)
            if not isinstance(value, (str, int, float, bool, list, tuple, dict, type(None))):
                value = list(value)  # a generator: compare its items
                expected = ("value", list(expected[1])) if expected[0] == "value" else expected
            got = ("value", value)
        except Fallback:
            continue  # Jinja2 decides these: not a disagreement
        except Exception as exc:  # noqa: BLE001
            got = ("error", type(exc))
        if expected[0] == "value" and type(expected[1]).__name__.endswith("Undefined"):
            pytest.fail(f"{expression!r}: fast path answered {got} where Jinja2 gives Undefined")
        assert got == expected, f"{expression!r} with {context}"


def test_private_and_unknown_names_always_defer():
    env = make_env()
    for expression in ("result.__class__", "home.__init__", "missing_name", "result.items", "result.nope",
                       "result.results|selectattr('_x')|list"):
        with pytest.raises(Fallback):
            compile_expression_code(env, expression, FILTERS)(CONTEXTS[0])


@pytest.mark.parametrize("expression", ["x is defined", "f(x)", "x|unknown_filter", "{{", "a }}{{ b"])
def test_unsupported_expressions_are_left_to_jinja(expression):
    assert compile_expression_code(make_env(), expression, FILTERS) is None


def test_a_missing_attribute_of_a_slot_value_defers():
    """Record, Person … have attributes of their own: one they lack is Jinja2's undefined, not an error here."""
    from twinchat.composer.engine.slot_values import Record

    fast = compile_expression_code(make_env(), "home.nope == 'x'", FILTERS)
    with pytest.raises(Fallback):
        fast({"home": Record("customer", {"region": "南山区"}, "王伟")})


def _helper(prefix="", digits=6):
    return f"{prefix}{int(digits):0{max(1, int(digits))}d}"


def _stop(*args):
    raise StopIteration


def _marked(*args):
    return "marked"


_marked.alters_data = True  # Jinja2's sandbox refuses to call it

CALLS = ["serial('CB', 6)", "serial('CB', digits=3)", "serial(prefix=code, digits=count + 1)", "serial()",
         "serial(code) ~ '-' ~ serial('X', 2)", "serial('CB', 'x')", "serial('a', 2, 3)", "serial(missing)"]


@pytest.mark.parametrize("expression", CALLS)
def test_calls_of_named_helpers_agree_with_jinja_or_defer(expression):
    """A variable the caller names may be called: by the fast path where it is a plain function
    (with the value, or the failure, Jinja2's sandbox gives), else by Jinja2."""
    env = make_env()
    fast = compile_expression_code(env, expression, FILTERS, calls={"serial"})
    assert fast is not None, f"{expression!r} should be compiled"
    for helper in (_helper, lambda *a, **k: "λ"):
        context = {"serial": helper, "code": "CB", "count": 2}
        try:
            expected = _jinja(env, expression, context)
        except Exception as exc:  # noqa: BLE001 - compare the failure, whatever it is
            expected = ("error", type(exc))
        try:
            got = ("value", fast(context))
        except Fallback:
            assert expression == "serial(missing)"  # a missing name: Jinja2's undefined
            continue
        except Exception as exc:  # noqa: BLE001
            got = ("error", type(exc))
        assert got == expected, expression


def test_a_helper_is_called_directly_only_when_the_sandbox_would_call_it_as_it_is():
    """Anything but a plain function without attributes of its own — a builtin, a class, a function
    marked unsafe for the sandbox, one that raises StopIteration (Jinja2's undefined) — goes to
    Jinja2, which refuses or calls it itself."""
    import jinja2.sandbox

    env = make_env()
    fast = compile_expression_code(env, "serial('CB')", FILTERS, calls={"serial"})
    assert fast({"serial": _helper}) == "CB000006"
    for value in (len, str, _marked, jinja2.sandbox.unsafe(lambda *a: 1), jinja2.pass_context(lambda c, *a: 1),
                  _stop, "serial", None):
        with pytest.raises(Fallback):
            fast({"serial": value})
    with pytest.raises(jinja2.sandbox.SecurityError):
        _jinja(env, "serial('CB')", {"serial": _marked})


@pytest.mark.parametrize("expression", ["serial('CB')", "other('CB')", "args.serial('CB')", "serial(*xs)",
                                        "serial(**kw)", "serial('CB').upper()", "(serial)('CB')"])
def test_only_named_variables_are_called_and_never_an_attribute(expression):
    """Without ``calls`` no call compiles; with it, only a call of a named variable (not an
    attribute, a method of its value or a call with ``*``/``**``) does."""
    assert compile_expression_code(make_env(), expression, FILTERS) is None
    compiled = compile_expression_code(make_env(), expression, FILTERS, calls={"serial"})
    assert (compiled is not None) == (expression in ("serial('CB')", "(serial)('CB')"))


def test_a_helper_in_a_template_is_called_but_never_written_as_text():
    """In a template a call compiles; the function itself written out (a memory address) is left
    to Jinja2, which refuses it; a loop variable of the same name is no helper."""
    from twinchat.composer.engine.compiled import compile_template_code

    env = make_env()
    render = compile_template_code(env, "预约号 {{ serial('CB', 4) }}。", FILTERS, calls={"serial"})
    assert render({"serial": _helper}) == env.from_string("预约号 {{ serial('CB', 4) }}。").render(serial=_helper)
    assert compile_template_code(env, "{{ serial }}", FILTERS, calls={"serial"}) is None
    assert compile_template_code(env, "{% for serial in xs %}{{ serial(1) }}{% endfor %}", FILTERS,
                                 calls={"serial"}) is None
