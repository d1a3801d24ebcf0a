"""Every render path is as safe as Jinja2's sandbox: no payload reaches the interpreter's state.

The catalogue holds templates and expressions that try to walk from a value to ``os.environ``
(through a generator's frame, a function's globals, a class's subclasses, a format string …).
Each runs through :class:`TemplateCache` — the compiled fast path, the path reader, and Jinja2
behind them — and through plain Jinja2; the two must agree (both refuse, or both render the same
text), and the secret planted in the environment must never appear in any output.
"""

from __future__ import annotations

import re
import secrets

import pytest
from jinja2.exceptions import TemplateError

from twinchat.composer.errors import ComposerError
from twinchat.composer.engine.render import TemplateCache, make_env
from twinchat.composer.engine.slot_values import Person, Phone, Record, Text

ENV_NAME = "TWINCHAT_SANDBOX_TEST_SECRET"

TEMPLATES = [
    "{{ (tags|selectattr('x')).gi_frame.f_globals.jinja2.utils.os.environ['%s'] }}",
    "{% set g = tags|selectattr('x') %}{{ g.gi_frame.f_globals.jinja2.utils.os.environ['%s'] }}",
    "{{ (tags|selectattr('x')).gi_frame.f_back.f_globals }}",
    "{{ (tags|selectattr('x')).gi_code.co_filename }}",
    "{{ (tags|selectattr('x'))['gi_frame'].f_globals }}",
    "{{ (tags|selectattr('x')|sort(attribute='x')) }}",
    "{% for f in [(tags|selectattr('x')).gi_frame] %}{{ f.f_globals }}{% endfor %}",
    "{{ ((tags|selectattr('x')).gi_frame if true else 1).f_globals }}",
    "{{ tags.__class__.__mro__[1].__subclasses__() }}",
    "{{ person.__class__.__init__.__globals__ }}",
    "{{ person.__dict__ }}",
    "{{ phone._Phone__x }}",
    "{{ record.__class__ }}",
    "{{ text.__init__ }}",
    "{{ name.format }}",
    "{{ '{0.__class__}'.format(name) }}",
    "{{ name.__class__.mro }}",
    "{{ cycler.__init__.__globals__.os.environ['%s'] }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'].environ['%s'] }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ range.__self__ }}",
    "{{ self.__init__.__globals__ }}",
    "{{ tags|attr('__class__') }}",
    "{{ (tags|map('upper')).gi_frame.f_globals }}",
    "{{ (tags|reject('x')).gi_frame.f_globals }}",
    "{{ (tags|select).gi_frame }}",
    "{{ tags.pop() }}",
    "{{ d.gi_frame }}",
    "{{ d.f_globals }}",
]

EXPRESSIONS = [
    "(tags|selectattr('x')).gi_frame.f_globals.jinja2.utils.os.environ['%s']",
    "(tags|selectattr('x')).gi_frame",
    "(tags|selectattr('x')).gi_code",
    "person.__class__",
    "record.__class__.__init__.__globals__",
    "cycler.__init__.__globals__",
    "name.__class__.__mro__",
    "d.gi_frame",
]


@pytest.fixture
def secret(monkeypatch):
    value = "s3cr3t-" + secrets.token_hex(8)
    monkeypatch.setenv(ENV_NAME, value)
    return value


def context():
    return {"tags": [{"x": 1}, {"x": 0}], "name": "王伟", "d": {"gi_frame": "plain key", "f_globals": 2},
            "person": Person("王伟", "王", "male", "先生", "王伟"), "phone": Phone("13800138000", "13800138000"),
            "record": Record("customer", {"region": "广东省"}, "王伟"), "text": Text("今晚", "今晚")}


def _outcome(call):
    try:
        return ("ok", call())
    except (ComposerError, TemplateError, TypeError, AttributeError) as exc:
        return ("refused", type(exc).__name__)


def _fill(source):
    return source.replace("%s", ENV_NAME)


@pytest.mark.parametrize("source", TEMPLATES)
def test_templates_agree_with_the_sandbox_and_never_leak(source, secret):
    source = _fill(source)
    fast = _outcome(lambda: TemplateCache().render(source, context()))
    plain = _outcome(lambda: make_env().from_string(source).render(context()))
    assert fast[0] == plain[0], (fast, plain)
    if fast[0] == "ok":
        assert fast[1] == plain[1]
        assert secret not in fast[1]
        assert "f_globals" not in fast[1] or source.startswith("{{ d.")


@pytest.mark.parametrize("source", EXPRESSIONS)
def test_expressions_agree_with_the_sandbox_and_never_leak(source, secret):
    source = _fill(source)
    fast = _outcome(lambda: TemplateCache().evaluate(source, context()))
    plain = _outcome(lambda: make_env().compile_expression(source, undefined_to_none=False)(**context()))
    if plain[0] == "ok" and type(plain[1]).__name__ == "StrictUndefined":
        plain = ("refused", "undefined")
    assert fast[0] == plain[0], (fast, plain)
    if fast[0] == "ok":
        assert secret not in repr(fast[1])


def test_the_generator_payload_is_refused_on_the_compiled_path(secret):
    """The payload that once leaked: the compiled path alone must refuse it, not only Jinja2 behind it."""
    from twinchat.composer.engine.compiled import Fallback, compile_template_code
    from twinchat.composer.engine.filters import FILTERS

    env = make_env()
    fast = compile_template_code(env, _fill(TEMPLATES[0]), FILTERS)
    assert fast is not None  # the payload is inside what the fast path compiles
    with pytest.raises(Fallback):
        fast(context())


def test_a_bare_path_refuses_internals():
    """``{{ g.gi_frame }}`` with a generator in the context: a bare path, read by the compiled path."""
    cache = TemplateCache()
    gen = (x for x in [1])
    with pytest.raises(ComposerError, match="access to attribute 'gi_frame' of 'generator' object is unsafe"):
        cache.render("{{ g.gi_frame }}", {"g": gen})
    with pytest.raises(ComposerError, match="unsafe"):
        cache.evaluate("g.gi_frame", {"g": gen})


def test_the_label_reader_refuses_internals():
    """paths_reader (several label paths read at once) hands an internal attribute back to the sandbox."""
    from twinchat.composer.engine.compiled import paths_reader

    read = paths_reader(["g.gi_frame", "name"])
    with pytest.raises(AttributeError):
        read({"g": (x for x in [1]), "name": "王伟"})


def test_a_method_is_not_rendered_as_its_address():
    """Jinja2 writes ``<built-in method format of str object at 0x…>``: different bytes on every run."""
    with pytest.raises(ComposerError, match="'str.format' is a method, not a value"):
        TemplateCache().render("{{ name.format }}", {"name": "王伟"})


def test_a_refused_render_names_the_template_once():
    with pytest.raises(ComposerError) as info:
        TemplateCache().render("{{ (tags|selectattr('x')).gi_frame }}", context())
    assert str(info.value).count("cannot render") == 1


@pytest.mark.parametrize(("source", "fault"), [
    ("{{ 1 // n }}", "ZeroDivisionError: integer division or modulo by zero"),
    ("{{ 'a' + n }}", "TypeError: can only concatenate str"),
    ("{{ (1, 2) < n }}", "TypeError: '<' not supported"),
])
def test_a_template_whose_arithmetic_fails_is_a_composer_error(source, fault):
    """Jinja2 lets a division by zero or a type clash through as a Python exception; it is the
    template's fault, named with the template, never a traceback."""
    with pytest.raises(ComposerError, match=f"cannot render .*{re.escape(fault)}"):
        TemplateCache().render(source, {"n": 0})
    with pytest.raises(ComposerError, match=re.escape(fault)):
        TemplateCache().evaluate(source[3:-3], {"n": 0})
