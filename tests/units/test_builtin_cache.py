"""The cache of the built-in units' validated form (units/builtin_units.jsonl): it is what the
YAML files give, its units equal those validation makes, and a file that no longer has the text
it was made from (or models that no longer have its fields) is loaded and validated in full."""

from __future__ import annotations

import json
import shutil
import sys
from importlib import resources

import pytest

from twinchat.units import builtin_cache
from twinchat.units.builtin_cache import CACHE_FILE, StaleCache, cached_unit, decode, encode
from twinchat.units.errors import UnitError
from twinchat.units.loader import BUILTIN, UnitSource, _load, builtin_cache_text, builtin_paths, units_for


def test_the_shipped_cache_is_what_the_builtin_files_give():
    shipped = (resources.files("twinchat.units") / CACHE_FILE).read_text(encoding="utf-8")
    assert shipped == builtin_cache_text(), (
        "a built-in unit file or the unit models changed: run `python -c 'from twinchat.units.loader import "
        "write_builtin_cache; write_builtin_cache()'` and commit units/builtin_units.jsonl")


def test_every_builtin_unit_is_cached_and_equals_the_validated_one():
    cached = 0
    for path in builtin_paths():
        full = _load(path, BUILTIN + path.name, cached=False)
        if not isinstance(full, UnitSource):
            continue  # a flow: loaded in full
        src = _load(path, BUILTIN + path.name)
        assert cached_unit(path) is not None, path.name
        assert src.node is None and src.file == path
        assert src.unit == full.unit
        assert encode(src.unit) == encode(full.unit)  # the fields set too, at every depth
        assert repr(src.unit) == repr(full.unit)
        # names the engine looks up in every sample are interned, as validation leaves them
        assert all(sys.intern(k) is k for k in (*src.unit.slots, *src.unit.label, *src.unit.replies))
        cached += 1
    assert cached >= 30


def test_a_cached_unit_names_the_lines_the_file_has():
    path = next(p for p in builtin_paths() if p.stem == "address_extraction")
    src = units_for("address_extraction")["address_extraction"]
    full = _load(path, BUILTIN + path.name, cached=False)
    assert src.node is None  # taken from the cache: its lines are read when first asked
    for loc in (["templates", 2, "text"], ["label", "phone", "value"], ["slots", "addr"], ["no_such_key"]):
        assert src.line_of(loc) == full.line_of(loc) > 1 or loc == ["no_such_key"]
        assert src.text_line(loc) == full.text_line(loc)
    assert src.where(["templates", 1, "text"], "t02") == full.where(["templates", 1, "text"], "t02")


def test_a_changed_builtin_file_is_validated_in_full(tmp_path):
    source = next(p for p in builtin_paths() if p.stem == "address_extraction")
    changed = tmp_path / source.name
    changed.write_text(source.read_text(encoding="utf-8").replace("title: 收货信息解析为JSON", "title: 改过的标题"),
                       encoding="utf-8")
    assert cached_unit(changed) is None
    src = _load(changed, BUILTIN + changed.name)
    assert src.unit.title == "改过的标题"
    assert src.node is not None

    changed.write_text(source.read_text(encoding="utf-8").replace("kind: address", "kind: adress"), encoding="utf-8")
    with pytest.raises(UnitError, match=r"^<builtin>/address_extraction\.yaml:\d+: unit 'address_extraction', "
                                        r"field slots\.addr\.kind: "):
        _load(changed, BUILTIN + changed.name)


def test_an_unchanged_copy_is_taken_from_the_cache(tmp_path):
    source = next(p for p in builtin_paths() if p.stem == "address_extraction")
    shutil.copy(source, tmp_path / source.name)
    assert cached_unit(tmp_path / source.name) is not None


def test_cached_fields_that_are_not_the_models_are_stale(monkeypatch):
    line = builtin_cache._lines()["address_extraction.yaml"]
    unit = json.loads(line)["unit"]
    assert decode(unit) is not None
    unit["fields"]["templates"][0]["__model__"] = "NoSuchModel"
    with pytest.raises(StaleCache):
        decode(unit)
    unit["fields"]["templates"][0]["__model__"] = "Template"
    unit["fields"]["slots"]["addr"]["__slot__"] = "no_such_source"
    with pytest.raises(StaleCache):
        decode(unit)
    # models whose sources changed since the cache was made: every built-in file is loaded in full
    builtin_cache._lines.cache_clear()
    monkeypatch.setattr(builtin_cache, "models_digest", lambda: "0" * 64)
    try:
        assert builtin_cache._lines() == {}
        src = units_for("address_extraction")["address_extraction"]
        assert src.node is not None and type(src.unit).__module__ == "twinchat.units.spec"
    finally:
        monkeypatch.undo()
        builtin_cache._lines.cache_clear()
    assert builtin_cache._lines()


def test_mappings_with_other_keys_than_text_keep_them():
    data = {"__items__": [[11, "a"], [5, {"k": [1, 2.0, None, True]}]]}
    assert decode(encode({11: "a", 5: {"k": [1, 2.0, None, True]}})) == {11: "a", 5: {"k": [1, 2.0, None, True]}}
    assert encode({11: "a", 5: {"k": [1, 2.0, None, True]}}) == data
    with pytest.raises(ValueError):
        encode({"__model__": "Unit"})
    with pytest.raises(ValueError):
        encode({"when": __import__("datetime").date(2024, 1, 1)})


@pytest.mark.parametrize("damage", [lambda line: line[: len(line) // 2],  # cut short
                                    lambda line: line.replace(b'"sha256"', b'"sha"'),  # a key missing
                                    lambda line: line.replace(b'"unit": {', b'"unit": {"__model__": 1, "x": {', 1),
                                    lambda line: line.replace(b'"', b'\xff', 3)])  # not UTF-8
def test_a_damaged_cache_line_loads_the_file_in_full(damage):
    source = next(p for p in builtin_paths() if p.stem == "address_extraction")
    lines = builtin_cache._lines()
    shipped = lines[source.name]
    lines[source.name] = damage(shipped)
    try:
        assert cached_unit(source) is None
        src = _load(source, BUILTIN + source.name)
        assert src.node is not None  # parsed and validated from the YAML
        assert src.unit.id == "address_extraction"
    finally:
        lines[source.name] = shipped
    assert cached_unit(source) is not None
