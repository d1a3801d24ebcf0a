"""A built-in unit for ``generate`` (``units_for``) is made of cached models, without pydantic:
they read as the real models, equal them, and answer everything else as the real model does."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys

import pytest

from twinchat.units import spec
from twinchat.units.builtin_cache import encode
from twinchat.units.cached_models import CachedModel, is_model, real
from twinchat.units.loader import BUILTIN, UnitSource, _load, builtin_paths, units_for


def _pairs():
    for path in builtin_paths():
        full = _load(path, BUILTIN + path.name, cached=False)
        if isinstance(full, UnitSource):
            yield path, full.unit, _load(path, BUILTIN + path.name, lite=True).unit


def _fields_equal(cached, model) -> None:
    """Every field of ``model`` reads the same from ``cached``, at every depth."""
    if isinstance(model, list):
        assert type(cached) is list and len(cached) == len(model)
        for c, m in zip(cached, model):
            _fields_equal(c, m)
    elif isinstance(model, dict):
        assert type(cached) is dict and list(cached) == list(model)
        for k in model:
            _fields_equal(cached[k], model[k])
    elif hasattr(type(model), "model_fields"):
        if isinstance(cached, CachedModel):
            assert type(cached).__name__ == type(model).__name__
        for name in type(model).model_fields:
            _fields_equal(getattr(cached, name), getattr(model, name))
    else:
        assert cached == model and type(cached) is type(model)


def test_cached_units_read_as_the_validated_ones():
    count = 0
    for path, full, cached in _pairs():
        assert isinstance(cached, CachedModel), path.name
        _fields_equal(cached, full)
        assert cached == full and full == real(cached) and repr(cached) == repr(full)
        assert encode(cached) == encode(full)
        assert cached.model_fields_set == full.model_fields_set  # from the real model
        assert [cached.case_outcomes(c) for c in cached.cases] == [full.case_outcomes(c) for c in full.cases]
        count += 1
    assert count >= 30


def _no_cached_model(value) -> None:
    assert not isinstance(value, CachedModel)
    if isinstance(value, (list, tuple)):
        for v in value:
            _no_cached_model(v)
    elif isinstance(value, dict):
        for v in value.values():
            _no_cached_model(v)
    elif hasattr(type(value), "model_fields"):
        for name in type(value).model_fields:
            _no_cached_model(getattr(value, name))


def test_other_readers_get_real_models_from_the_cache_made_directly(monkeypatch):
    """compose, paraphrase and load_units read the cache as real models, each made once with
    model_construct: no cached model is made first and then turned real."""
    made = []
    monkeypatch.setattr(CachedModel, "__init__", lambda self, *a: made.append(a))
    count = 0
    for path, full, _ in _real_pairs():
        cached = _load(path, BUILTIN + path.name).unit
        assert type(cached) is type(full) and cached == full and repr(cached) == repr(full), path.name
        assert cached.model_fields_set == full.model_fields_set
        _no_cached_model(cached)
        count += 1
    assert count >= 30 and made == []


def _real_pairs():
    for path in builtin_paths():
        full = _load(path, BUILTIN + path.name, cached=False)
        if isinstance(full, UnitSource):
            yield path, full.unit, None


def test_what_is_not_a_field_is_the_real_models():
    cached = units_for("address_extraction")["address_extraction"].unit
    full = _load(next(p for p in builtin_paths() if p.stem == "address_extraction"), cached=False).unit
    copied = cached.model_copy(update={"title": "x"})
    assert isinstance(copied, spec.Unit) and copied.title == "x" and copied.id == full.id
    assert cached.model_dump(mode="json") == full.model_dump(mode="json")
    assert pickle.loads(pickle.dumps(cached)) == full
    assert copy.deepcopy(cached) == full and copy.copy(cached) == full
    with pytest.raises(Exception, match="frozen"):
        cached.title = "y"


def test_is_model_asks_isinstance_of_either_form():
    for _, full, cached in _pairs():
        for name in ("ReferenceSlot", "ChoiceSlot", "FakerSlot"):
            for slot, real_slot in zip(cached.slots.values(), full.slots.values()):
                assert is_model(slot, name) == is_model(real_slot, name) == isinstance(real_slot, getattr(spec, name))


def test_generate_of_a_builtin_unit_imports_no_pydantic(tmp_path):
    code = ("import sys; from twinchat.units.loader import units_for; "
            "from twinchat.composer.engine.generate import UnitGenerator; "
            "u = units_for('address_extraction'); "
            "print(sorted(m for m in sys.modules if m.startswith(('pydantic', 'twinchat.units.spec'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == "[]"
