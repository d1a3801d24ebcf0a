"""Hostile input meets limits: one small unit file per case, each refused by ``units check`` with one
located line and exit code 1, run in a subprocess under a memory limit and a timeout (a regression
fails instead of exhausting memory or hanging)."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from twinchat.composer.engine.render import TemplateCache
from twinchat.composer.errors import ComposerError

HERE = Path(__file__).parent
MEMORY = 1 << 30  # 1 GiB of address space: far more than a check needs, far less than the attacks ask
TIMEOUT = 60

_T = "unit '{id}', template 't1': template "
_SLOT = "unit '{id}': slot 'a': "
_FIELD = "Error: {path}:{line}: unit '{id}', field "

# file → (line, the message after "file:line: " — or, for spec errors, the whole line with {path})
CASES = {
    "str_times_huge": (7, _T + "multiplies a str of 1 by 1,000,000,000, past the limit of 10,000"),
    "list_times_huge": (7, _T + "multiplies a list of 1 by 1,000,000,000, past the limit of 10,000"),
    "power_huge": (7, _T + "raises 10 to the power 10,000,000,000, past the limit of 4,096 bits"),
    "format_width_huge": (7, _T + "formats with width 999999999 ('%999999999'), past the limit of 10,000"),
    "range_huge": (7, _T + "makes a range of 99,999 numbers, past the limit of 10,000"),
    "center_huge": (7, _T + "filters with center(1,000,000,000), past the limit of 10,000"),
    "indent_huge": (7, _T + "filters with indent(20,000) over 1 line(s), past the limit of 10,000"),
    "wordwrap_zero": (7, _T + "filters with wordwrap(0), whose width must be a number of 1 or more"),
    "format_filter_huge": (7, _T + "formats with width 999999999 ('%999999999'), past the limit of 10,000"),
    "replace_huge": (7, _T + "filters with replace() making 2 replacement(s) of 9,000 characters, past the limit "
                             "of 10,000"),
    "loops_deep": (7, _T + "nests for-loops past the limit of 2 deep"),
    "include_other": (7, _T + "uses {{% include %}}, which unit templates cannot (each stands alone)"),
    "import_other": (7, _T + "uses {{% import %}}, which unit templates cannot (each stands alone)"),
    "extends_other": (7, _T + "uses {{% extends %}}, which unit templates cannot (each stands alone)"),
    "macro_recursive": (7, _T + "has macro 'm' calling itself, which unit templates cannot"),
    "faker_pystr_huge": (4, _SLOT + "argument 'max_chars' = 300000000 is past the limit (at most 10,000)"),
    "faker_class": (4, _SLOT + "unknown Faker provider '__class__' (providers are Faker's public data methods)"),
    "faker_seed_instance": (4, _SLOT + "unknown Faker provider 'seed_instance' (did you mean 'sentence'?) "
                                       "(providers are Faker's public data methods)"),
    "faker_gives_list": (4, _SLOT + "Faker provider 'words' gives a list, not a text, number or date; use a "
                                    "provider that gives one value"),
    "faker_format_token": (4, _SLOT + "argument 'string_format' names '__class__', which is not a Faker provider"),
}
SPEC_CASES = {
    "alias_bomb": "Error: {path}:4: YAML anchor &l0 is not allowed in unit files (anchors and aliases repeat "
                  "values unseen); write the value out",
    "duplicate_key": "Error: {path}:5: duplicate key 'a' (first at line 4); YAML would keep only the last",
    "time_hour_25": _FIELD.replace("{line}", "4") + "slots.a.hours.0: Input should be less than or equal to 23",
    "weights_zero": _FIELD.replace("{line}", "4") + "slots.a.weights: weights: at least one weight must be above 0",
    "weights_negative": _FIELD.replace("{line}", "4") + "slots.a.weights.1: weights: weight -1.0 must be a finite "
                                                         "number, 0 or more",
    "weights_nan": _FIELD.replace("{line}", "4") + "slots.a.weights.1: weights: weight nan must be a finite number, "
                                                    "0 or more",
    "weights_inf": _FIELD.replace("{line}", "4") + "slots.a.weights.0: weights: weight inf must be a finite number, "
                                                    "0 or more",
    "form_weights_zero": _FIELD.replace("{line}", "4") + "slots.a.form_weights: form_weights: at least one weight "
                                                          "must be above 0",
    "outcome_weights_nan": _FIELD.replace("{line}", "11") + "outcome_weights.ok: outcome_weights: weight of 'ok' "
                                                             "must be a finite number",
}


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _check(path: Path) -> subprocess.CompletedProcess[str]:
    code = "import sys; from twinchat.composer.cli import main; sys.argv[0] = 'twinchat'; main()"
    return subprocess.run([sys.executable, "-c", code, "units", "check", str(path)], capture_output=True, text=True,
                          timeout=TIMEOUT, preexec_fn=_limited, check=False)


def _expected(name: str, path: Path) -> str:
    if name in SPEC_CASES:
        return SPEC_CASES[name].format(path=path, id=name)
    line, rest = CASES[name]
    return f"{path}:{line}: " + rest.format(id=name)


@pytest.mark.parametrize("name", sorted({**CASES, **SPEC_CASES}))
def test_hostile_unit_is_one_located_line_and_exit_1(name):
    path = HERE / f"{name}.yaml"
    result = _check(path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == _expected(name, path)


def test_every_case_file_is_covered():
    assert sorted(p.stem for p in HERE.glob("*.yaml")) == sorted({**CASES, **SPEC_CASES})


@pytest.mark.parametrize(("source", "context", "says"), [
    ("{{ a * n }}", {"a": "x", "n": 10**9}, "multiplies a str of 1 by 1,000,000,000, past the limit of 10,000"),
    ("{{ n ** n }}", {"n": 10**6}, "raises 1000000 to the power 1,000,000, past the limit of 4,096 bits"),
    ("{{ a.center(n) }}", {"a": "x", "n": 10**9}, "calls center() with 1,000,000,000, past the limit of 10,000"),
    ("{{ '{:999999999}'.format(a) }}", {"a": "x"}, "formats with width 999999999"),
    ("{% for i in range(n) %}{% for j in range(n) %}{% endfor %}{% endfor %}", {"n": 9999},
     "makes more than 10,000 items (range() and *) in one rendering"),
    ("{{ f % 1 }}", {"f": "%999999999d"}, "formats with width 999999999 ('%999999999')"),
    ("{{ a|center(n) }}", {"a": "x", "n": 10**9}, "filters with center(1,000,000,000), past the limit of 10,000"),
    ("{{ a|indent(n) }}", {"a": "x\n" * 100, "n": 1000}, "filters with indent(1,000) over 100 line(s)"),
    ("{{ a|wordwrap(1, wrapstring=w) }}", {"a": "x" * 1000, "w": "y" * 100},
     "filters with wordwrap(1) a text of 1,000 characters, past the limit of 10,000"),
    ("{{ f|format(1) }}", {"f": "%999999999d"}, "formats with width 999999999 ('%999999999'), past the limit"),
    ("{{ a|replace('x', y) }}", {"a": "x" * 1000, "y": "y" * 100},
     "filters with replace() making 1,000 replacement(s) of 100 characters, past the limit of 10,000"),
    ("{% for i in a %}{% for j in a %}{% endfor %}{% endfor %}", {"a": list(range(1000))},
     "runs more than 100,000 loop iterations in one rendering"),
    ("{% for i in a %}{{ b }}{% endfor %}", {"a": list(range(200)), "b": "x" * 100},
     "the text has 20,000 characters, past the limit of 10,000"),
])
def test_rendering_refuses_what_is_past_the_limits(source, context, says):
    with pytest.raises(ComposerError, match=r"^cannot render .*" + __import__("re").escape(says)):
        TemplateCache().render(source, context)


@pytest.mark.parametrize(("source", "context", "text"), [
    ("{{ f % 1 }}", {"f": "%5d"}, "    1"),
    ("{{ a|center(5) }}", {"a": "x"}, "  x  "),
    ("{{ a|indent(2) }}", {"a": "x\ny"}, "x\n  y"),
    ("{{ a|wordwrap(3) }}", {"a": "xx yy zz"}, "xx\nyy\nzz"),
    ("{{ f|format(1) }}", {"f": "%3d"}, "  1"),
    ("{{ a|replace('x', 'yy') }}", {"a": "xax"}, "yyayy"),
    ("{% for i in a %}{% for j in a if j == i %}{{ j % 10 }}{% endfor %}{% endfor %}", {"a": list(range(300))},
     "0123456789" * 30),
], ids=["mod", "center", "indent", "wordwrap", "format", "replace", "loops"])
def test_what_stays_within_the_limits_renders_as_jinja2_renders_it(source, context, text):
    assert TemplateCache().render(source, context) == text


def test_the_count_of_items_made_starts_anew_for_each_rendering():
    cache = TemplateCache()
    for _ in range(3):
        assert cache.render("{% for i in range(n) %}.{% endfor %}", {"n": 6000}) == "." * 6000
