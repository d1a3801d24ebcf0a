"""The slot-source registry: twinchat's own sources come through the entry-point door as a plugin's
do; one entry holds config, drawer, forms and checks; a plugin that cannot be used is one line
naming its distribution and entry point; ``units/`` reaches the engine only through that door."""

from __future__ import annotations

import ast
import random
import typing
from datetime import datetime
from importlib import metadata
from pathlib import Path

import pytest

from twinchat.composer.engine.sources import SlotSource, form_picker, registry, slot_source
from twinchat.units.slot_sources import GROUP, SlotSourceError, _config_of, collect, config_model, source_names
from twinchat.units.spec import ChoiceSlot, ContextSlot, InventorySlot, Unit

BUILTIN = ["choice", "composite", "context", "faker", "inventory", "place", "reference", "time"]
UNITS = Path(__file__).parents[2] / "units"


def test_the_builtin_sources_register_through_the_entry_point_group():
    declared = {ep.name: ep for ep in metadata.entry_points(group=GROUP)
                if ep.value.startswith("twinchat.composer.engine.sources.")}
    assert sorted(declared) == BUILTIN
    assert source_names() == BUILTIN
    for name, entry in registry().items():
        assert isinstance(entry, SlotSource) and entry.name == name
        assert typing.get_args(config_model(entry).model_fields["source"].annotation) == (name,)
        # twinchat's own are checked here, not when loaded: as a plugin's are (a config model named
        # by its place, "module:Name", is imported only when a unit is validated)
        ep = next(e for e in metadata.entry_points(group=GROUP) if e.name == name)
        assert _config_of(ep, entry) is config_model(entry)


def test_a_unit_validates_each_slot_into_its_source_config():
    unit = Unit.model_validate({"id": "u", "title": "t", "templates": [{"id": "t1", "text": "{{ a }}{{ b }}"}],
                                "slots": {"a": {"source": "choice", "values": ["x"]},
                                          "b": {"source": "context", "key": "customer", "fallback": "a"}}})
    assert isinstance(unit.slots["a"], ChoiceSlot) and isinstance(unit.slots["b"], ContextSlot)
    assert slot_source(unit.slots["b"]).uses_of(unit.slots["b"]) == {"a"}


def test_a_source_checks_its_slot_and_its_forms():
    slot = InventorySlot(source="inventory", kind="product", category="memroy", forms=["model", "nickname"])
    assert slot_source(slot).problems(slot, "p", {"p"}) == [
        "unknown category 'memroy' (did you mean 'memory'?); categories: charger, charging_pile, laptop, memory, "
        "phone, ssd",
        "unknown form 'nickname' (did you mean 'name'?); forms: short_name, model, name",
    ]


def test_the_form_picker_draws_once_with_forms_and_never_without():
    weighted = ChoiceSlot(source="choice", values=[1], forms=["a", "b"], form_weights=[0.0, 1.0])
    rng, twin = random.Random(3), random.Random(3)
    assert form_picker(weighted)(rng) == "b"
    twin.random()
    assert rng.getstate() == twin.getstate()
    bare, rng = ChoiceSlot(source="choice", values=[1]), random.Random(3)
    assert form_picker(bare)(rng) is None and rng.getstate() == random.Random(3).getstate()


def test_a_compiled_drawer_and_a_single_draw_consume_the_same_draws():
    """draw() makes the drawer for one draw: value and RNG state match the compiled drawer's."""
    from twinchat.composer.engine.render import TemplateCache
    from twinchat.composer.engine.slots import SlotSampler

    sampler = SlotSampler(None, TemplateCache(), None)  # type: ignore[arg-type] - these sources read no world
    now = datetime(2025, 3, 4, 10, 0)
    slots = {"c": ChoiceSlot(source="choice", values=["x", "y", "z"], weights=[1, 2, 3]),
             "k": ContextSlot(source="context", key="customer", forms=["a", "b"])}
    for name, slot in slots.items():
        drawer = sampler.compile(name, slot)
        for seed in range(20):
            a, b = random.Random(seed), random.Random(seed)
            assert drawer(a, {}, now, {"customer": "王伟"}) == sampler.draw(name, slot, b, {}, now, {"customer": "王伟"})
            assert a.getstate() == b.getstate()


@pytest.mark.parametrize("slot", [
    InventorySlot(source="inventory", kind="service_address", forms=["full", "no_province", "spaced"]),
    InventorySlot(source="inventory", kind="service_address"),
    InventorySlot(source="inventory", kind="fault", category="laptop"),
    InventorySlot(source="inventory", kind="fault"),
], ids=["address-forms", "address", "fault-laptop", "fault"])
def test_service_address_and_fault_drawers_draw_what_the_row_drawer_draws(world, slot):
    """The hot-path drawers of service addresses and faults give the records _draw_row gives, with the
    same draws."""
    from twinchat.composer.engine.sources import inventory
    from twinchat.composer.engine.sources.base import form_picker as picker
    from twinchat.composer.engine.slots import WorldCache

    cache = WorldCache(world)
    drawer = inventory._service_drawer(slot, cache)
    now = datetime(2026, 11, 20, 10, 0)
    for seed in range(60):
        a, b = random.Random(seed), random.Random(seed)
        got = drawer(a, {}, now, {})
        expected = inventory._draw_row("s", slot, cache, b, {}, picker(slot)(b) or inventory.FORMS[slot.kind][0])
        assert (got.kind, got.data, got.text) == (expected.kind, expected.data, expected.text)
        assert a.getstate() == b.getstate()


def _ep(name: str, value: str) -> metadata.EntryPoint:
    return metadata.EntryPoint(name=name, value=value, group=GROUP)


def test_a_clashing_name_is_one_line_naming_both_entries():
    faker = _ep("faker", "twinchat.composer.engine.sources.faker:FAKER")
    with pytest.raises(SlotSourceError, match=r"^slot source 'faker' \(twinchat\.composer\.engine\.sources\.choice:"
                       r"CHOICE\) of an unknown distribution: the name is taken by slot source 'faker' "
                       r"\(twinchat\.composer\.engine\.sources\.faker:FAKER\) of an unknown distribution$"):
        collect([faker, _ep("faker", "twinchat.composer.engine.sources.choice:CHOICE")])


def test_a_config_whose_source_is_not_the_entry_name_is_refused():
    with pytest.raises(SlotSourceError, match=r"^slot source 'dice' \(.*:CHOICE\) of an unknown distribution: "
                       r"its config ChoiceSlot must declare `source: Literal\['dice'\]`$"):
        collect([_ep("dice", "twinchat.composer.engine.sources.choice:CHOICE")])


def test_an_entry_without_a_config_model_is_refused():
    with pytest.raises(SlotSourceError, match=r"^slot source 'odd' \(twinchat\.units\.spec:Unit\) of an unknown "
                       r"distribution: its `config` must be a subclass of SlotConfig$"):
        collect([_ep("odd", "twinchat.units.spec:Unit")])


def test_an_entry_that_fails_to_import_is_refused_with_the_cause():
    with pytest.raises(SlotSourceError, match=r"^slot source 'gone' \(no_such_module_here:X\) of an unknown "
                       r"distribution: cannot be loaded: ModuleNotFoundError: No module named "
                       r"'no_such_module_here'$"):
        collect([_ep("gone", "no_such_module_here:X")])


def test_no_registered_source_at_all_says_how_to_fix_it():
    with pytest.raises(SlotSourceError, match=r"^no slot sources are registered in the entry-point group "
                       r"twinchat\.slot_sources: install twinchat \(pip install -e \.\) so that its own sources "
                       r"register$"):
        collect([])


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_units_imports_no_other_twinchat_package():
    """Every import statement of units/, function-level ones too: only twinchat.units itself."""
    found = {(path.name, name) for path in UNITS.glob("*.py") for name in _imports(path)
             if name.startswith("twinchat") and not name.startswith("twinchat.units")}
    assert found == set()
    assert "twinchat.units.slot_sources" in _imports(UNITS / "spec.py")
