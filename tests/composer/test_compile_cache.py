"""The compile cache: a second run reads the code the first compiled and gives the same output;
an entry that is corrupted, another's or from elsewhere is ignored; templates read from it still
run under the sandbox's rules."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from twinchat.composer.engine import compile_cache
from twinchat.composer.engine.compile_cache import ENV_VAR, cache_dir
from twinchat.composer.engine.render import TemplateCache
from twinchat.composer.errors import ComposerError

#: a fast-path template (its code reads constants, one of twinchat's filters, a sort key and the
#: environment by reference), one only Jinja2 renders (``*``), a fast expression and a Jinja2-only one
TEMPLATE = ("{% for o in orders | sort(attribute='id', reverse=true) %}{{ loop.index }}. {{ o.id }} "
            "{{ o.n | cn_number }}{% if not loop.last %}, {% endif %}{% endfor %}"
            "{% for g in orders | groupby('paid') %}[{{ g.grouper }}]{% endfor %}")
JINJA_TEMPLATE = "{{ '-' * width }}{{ orders | map(attribute='id') | join('/') }}"
EXPRESSION = "orders | selectattr('paid') | list | length > 0 and 'ok' in status"
JINJA_EXPRESSION = "orders | map(attribute='id') | list"
CONTEXT = {"orders": [{"id": "A1", "paid": True, "n": 12}, {"id": "B2", "paid": False, "n": 3}], "width": 3,
           "status": "ok now"}
#: what the four give, compiled afresh (no cache)
OUTPUTS = ["1. B2 三, 2. A1 十二[False][True]", "---A1/B2", True, ["A1", "B2"]]


def _outputs(cache: TemplateCache) -> list[object]:
    return [cache.render(TEMPLATE, CONTEXT), cache.render(JINJA_TEMPLATE, CONTEXT),
            cache.evaluate(EXPRESSION, CONTEXT), cache.evaluate(JINJA_EXPRESSION, CONTEXT)]


@pytest.fixture()
def kept(tmp_path, monkeypatch):
    """A fresh compile cache directory for this test: the directory of this version's entries."""
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "cache"))
    return cache_dir()


def _entries(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_a_second_cache_reads_what_the_first_compiled_and_renders_the_same(kept):
    assert TemplateCache()._fast(TEMPLATE, expression=False) is not None  # the fast path, not Jinja2's
    assert TemplateCache()._fast(JINJA_TEMPLATE, expression=False) is None
    for entry in kept.iterdir():
        entry.unlink()
    first = TemplateCache()
    out = _outputs(first)
    assert out == OUTPUTS
    # the fast template, the Jinja2 template, the fast expression and the Jinja2 expression (and
    # their "no fast path" marks)
    assert first._cache().written == 6 and first._cache().read == 0
    before = _entries(kept)
    second = TemplateCache()
    assert _outputs(second) == out
    assert second._cache().read == 6 and second._cache().written == 0
    assert _entries(kept) == before


@pytest.mark.parametrize("damage", ["truncated", "flipped", "another's", "empty"])
def test_a_damaged_or_misplaced_entry_is_ignored_and_written_again(kept, damage):
    out = _outputs(TemplateCache())
    entries = sorted(kept.iterdir())
    for path in entries:
        data = path.read_bytes()
        if damage == "truncated":
            path.write_bytes(data[:len(data) // 2])
        elif damage == "flipped":
            path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
        elif damage == "another's":  # an entry whose checksum holds, for another template
            path.write_bytes(entries[(entries.index(path) + 1) % len(entries)].read_bytes())
        else:
            path.write_bytes(b"")
    again = TemplateCache()
    assert _outputs(again) == out
    assert again._cache().read == 0 and again._cache().written == 6
    assert _outputs(TemplateCache()) == out  # written again, whole


def test_an_entry_of_an_environment_with_other_settings_is_not_read(kept):
    from twinchat.composer.engine.render import make_env

    out = _outputs(TemplateCache())
    env = make_env()
    env.filters["upper"] = str.lower  # a filter of the same name that does something else
    other = TemplateCache(env)
    assert other.render("{{ 'Ab' | upper }}", {}) == "ab"
    assert other._cache().read == 0
    assert _outputs(TemplateCache()) == out


def test_templates_read_from_the_cache_still_run_in_the_sandbox(kept):
    source = "{{ value.__class__ }}"
    for _ in range(2):  # compiled, then read from the cache
        cache = TemplateCache()
        with pytest.raises(ComposerError, match="unsafe|__class__"):
            cache.render(source, {"value": "text"})
        with pytest.raises(ComposerError, match="limit"):
            cache.render("{{ 'a' * 10**9 }}", {})
    assert cache._cache().read > 0


def test_the_cache_turned_off_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "off")
    assert cache_dir() is None
    cache = TemplateCache()
    assert _outputs(cache) == OUTPUTS
    assert cache._cache().written == 0


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners and modes")
def test_a_directory_others_may_write_is_not_used(kept):
    kept.mkdir(parents=True)
    kept.chmod(0o777)
    cache = TemplateCache()
    _outputs(cache)
    assert cache._cache().written == 0 and not any(kept.iterdir())


def test_a_full_directory_takes_no_more_entries_and_templates_still_render(kept, monkeypatch):
    monkeypatch.setattr(compile_cache, "MAX_ENTRIES", 3)
    monkeypatch.setattr(compile_cache, "_ROOM", {})
    cache = TemplateCache()
    assert _outputs(cache) == OUTPUTS
    assert cache._cache().written == 3 and len(list(kept.glob("*.bin"))) == 3
    again = TemplateCache()  # a new process's count starts from what the directory holds
    monkeypatch.setattr(compile_cache, "_ROOM", {})
    assert _outputs(again) == OUTPUTS and again._cache().written == 0


def test_a_new_version_removes_other_versions_directories_unused_for_a_month(kept, monkeypatch):
    monkeypatch.setattr(compile_cache, "_ROOM", {})
    base = kept.parent
    stale, recent, other = base / "templates-0123456789abcdef", base / "templates-fedcba9876543210", base / "mine"
    for d in (stale, recent, other):
        d.mkdir(parents=True)
        (d / "x.bin").write_bytes(b"x")
    month_ago = time.time() - (compile_cache.STALE_DAYS + 1) * 86_400
    for d in (stale, other):
        os.utime(d, (month_ago, month_ago))
    assert _outputs(TemplateCache()) == OUTPUTS
    assert not stale.exists() and recent.exists() and other.exists()  # only this module's names, only stale ones


def _sessions(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT flow, seed, idx, turns, steps, extra, outcome, templates, user_text, status, "
                            "reasons FROM sessions ORDER BY flow, seed, idx").fetchall()
    finally:
        conn.close()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_a_second_compose_run_reads_the_compiled_code_and_stores_the_same_sessions(world_path, tmp_path):
    twinchat = Path(sys.executable).parent / "twinchat"  # the command the user runs
    env = {**os.environ, ENV_VAR: str(tmp_path / "cache")}
    found = []
    for run in ("cold", "warm", "off"):
        db = tmp_path / f"{run}.db"
        shutil.copyfile(world_path, db)
        before = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*.bin")}
        done = subprocess.run([str(twinchat), "compose", "-n", "12", "--db", str(db)], capture_output=True, text=True,
                              env={**env, ENV_VAR: "off"} if run == "off" else env)
        assert done.returncode == 0, done.stderr
        after = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*.bin")}
        if run == "cold":
            assert len(after) > 50  # the built-in units' templates and expressions
        else:
            assert after == before  # nothing compiled and written again
        found.append(_sessions(db))
    assert found[0] == found[1] == found[2]


def test_the_variables_of_a_text_are_read_from_the_cache_as_they_were_found(kept):
    from twinchat.composer.engine.render import checks_cache, make_env, variables_of

    texts = [("{% for o in orders %}{{ o.id | upper }}{{ extra }}{% endfor %}{% set n = 1 %}{{ n }}", False),
             ("orders | nosuchfilter", True), ("result.ok and label.kind in kinds", True)]
    found = [variables_of(make_env(), text, expression=expression) for text, expression in texts]
    assert found == [({"orders", "extra"}, {"upper"}), (set(), {"nosuchfilter"}), ({"result", "label", "kinds"}, set())]
    env = make_env()
    assert [variables_of(env, text, expression=expression) for text, expression in texts] == found
    assert checks_cache(env).read == 3
    with pytest.raises(Exception, match="unexpected"):  # a syntax error is never kept: raised each time
        variables_of(env, "{{ a + }}")


def test_a_unit_check_compiles_a_text_once_and_never_keeps_a_failure(kept):
    import jinja2

    from twinchat.composer.engine.render import checks_cache, make_env
    from twinchat.composer.engine.unit_checks import _compiles

    text = "{% for x in xs %}{{ x }}{% endfor %}"
    first = make_env()
    _compiles(first, text, False)
    assert checks_cache(first).written == 1
    again = make_env()  # another generator's checks (or another process's)
    _compiles(again, text, False)
    assert checks_cache(again).read == 1 and checks_cache(again).written == 0
    twice = "{% block a %}{% endblock %}{% block a %}{% endblock %}"  # refused only when compiled
    for _ in range(2):
        with pytest.raises(jinja2.TemplateAssertionError, match="defined twice"):
            _compiles(again, twice, False)
    assert checks_cache(again).written == 0


def test_a_default_cache_reads_its_entries_without_making_the_environment(kept):
    """A TemplateCache of make_env's settings keys its entries without an environment: one whose
    templates all compiled to code reads that code and renders without making the sandbox; one of
    another environment (the same settings, passed in) keys them apart."""
    from twinchat.composer.engine.filters import FILTERS
    from twinchat.composer.engine.render import make_env

    expression = "orders | selectattr('paid') | list | length"
    assert TemplateCache().evaluate(expression, CONTEXT) == 1  # compiled and kept
    again = TemplateCache()
    assert again.evaluate(expression, CONTEXT) == 1
    assert again._env is None and again._cache().read == 1  # read from the cache, no sandbox made
    assert TemplateCache(make_env())._cache().signature != again._cache().signature
    plugin = {**FILTERS, "loud": str.upper}  # a filter a plugin adds is part of the key
    assert compile_cache.default_signature(plugin) != compile_cache.default_signature(FILTERS)
