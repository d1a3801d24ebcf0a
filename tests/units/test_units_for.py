"""units_for: the units generate looks its unit up in — the unit's own built-in file alone when
no --units are given, every unit otherwise (and for an id no built-in file is named after)."""

from __future__ import annotations

from pathlib import Path

import pytest

from twinchat.units.errors import UnitError
from twinchat.units.loader import builtin_path, builtin_paths, load_units, units_for


def test_a_builtin_unit_is_read_from_its_own_file_alone():
    found = units_for("address_extraction")
    assert list(found) == ["address_extraction"]
    src = found["address_extraction"]
    assert src.path == "<builtin>/address_extraction.yaml"
    assert src.unit == load_units()["address_extraction"].unit


def test_an_unknown_id_or_a_flow_gets_every_unit():
    every = load_units()
    assert set(units_for("no_such_unit")) == set(every)
    assert set(units_for("memory_upgrade")) == set(every)  # a flow's file, not a unit's


def test_with_units_every_file_is_read_and_duplicates_are_refused(tmp_path):
    text = Path(load_units()["address_extraction"].path.replace("<builtin>", str(
        Path(__file__).parents[2] / "units" / "builtin"))).read_text(encoding="utf-8")
    (tmp_path / "mine.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(UnitError, match=r"mine\.yaml:\d+: unit 'address_extraction' is already defined in "
                                        r"<builtin>/address_extraction\.yaml"):
        units_for("address_extraction", [str(tmp_path)])


@pytest.mark.parametrize("name", ["", ".", "..", "../builtin/address_extraction", "address_extraction/", " address_extraction",
                                  "address_extraction ", "address_*", "address_extraction.yaml", "ADDRESS_EXTRACTION",
                                  "no_such_unit", "a\0b", "[a]ddress_extraction", ".address_extraction"])
def test_a_builtin_file_is_found_by_name_as_the_listing_finds_it(name):
    listed = next((p for p in builtin_paths() if p.stem == name), None)
    assert builtin_path(name) == listed


def test_every_builtin_file_is_found_by_its_name():
    for path in builtin_paths():
        assert builtin_path(path.stem) == path
