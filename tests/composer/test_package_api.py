"""twinchat.composer and twinchat.composer.time name their public API; the composer loads it on first use."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime

import pytest

import twinchat.composer
import twinchat.composer.time
from twinchat.composer.time import pool, windows
from twinchat.composer.time.resolve import find as find_in_sentence
from twinchat.composer.time.resolve import resolve as resolve_phrase


def _modules_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return set(out.split())


def test_importing_the_composer_loads_neither_dateparser_nor_the_time_grammar() -> None:
    loaded = _modules_after("import twinchat.composer")
    assert "dateparser" not in loaded
    assert "twinchat.composer.time.grammar" not in loaded
    assert "twinchat.composer.time.pool" not in loaded


@pytest.mark.parametrize("package", [twinchat.composer, twinchat.composer.time])
def test_every_public_name_loads_and_is_listed_by_dir(package: object) -> None:
    for name in package.__all__:  # type: ignore[attr-defined]
        assert getattr(package, name) is not None, name
        assert name in dir(package)


def test_the_public_names_are_the_modules_own() -> None:
    from twinchat.composer import TimePhrase, TimeWindow, find, phrases, sample
    from twinchat.composer import resolve as resolve_function

    assert (TimePhrase, TimeWindow) == (windows.TimePhrase, windows.TimeWindow)
    assert (find, resolve_function) == (find_in_sentence, resolve_phrase)
    assert (phrases, sample) == (pool.phrases, pool.sample)
    assert twinchat.composer.time.sample_where is pool.sample_where
    assert resolve_function("明天", datetime(2026, 11, 20, 9, 0)).end == datetime(2026, 11, 21, 23, 59, 59)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'twinchat.composer' has no attribute 'nothing'"):
        twinchat.composer.nothing  # noqa: B018
    with pytest.raises(AttributeError, match="module 'twinchat.composer.time' has no attribute 'nothing'"):
        twinchat.composer.time.nothing  # noqa: B018
