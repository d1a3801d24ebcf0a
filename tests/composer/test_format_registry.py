"""The export-format registry: built-ins and plugins through the same entry points, read once per
process; each way a plugin can be wrong is one located error.

Plugins here are real distributions: a ``.dist-info`` folder (METADATA, entry_points.txt) and a
module in a folder put on ``sys.path``, found by ``importlib.metadata`` as an installed one is.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from twinchat.composer.export.formats import ExportError, Format, FormatRegistryError, RuleViolation, \
    format_names, formats, get_converter, get_format
from twinchat.composer.export.formats.plain import PlainConverter, check_plain

BUILTINS = ("alpaca", "openai", "plain", "react", "sharegpt")

_PLUGIN = '''
from twinchat.composer.export.formats import Format
from twinchat.composer.export.formats.plain import PlainConverter, check_plain

TSV = Format(name="tsv", converter=PlainConverter, check=check_plain, calls=False, loading="tab separated")
OPENAI = Format(name="openai", converter=PlainConverter, check=check_plain, loading="a second openai")
NOT_A_FORMAT = {"name": "tsv"}
'''


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """``install(distribution, {entry name: value})``: a distribution whose module ``<distribution>_fmt``
    holds the formats of ``_PLUGIN``; the registry is read afresh after each install and after the test."""
    monkeypatch.syspath_prepend(str(tmp_path))
    modules: list[str] = []

    def install_(dist: str, entries: dict[str, str]) -> str:
        module = f"{dist.replace('-', '_')}_fmt"
        (tmp_path / f"{module}.py").write_text(_PLUGIN, encoding="utf-8")
        info = tmp_path / f"{dist.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n", encoding="utf-8")
        lines = [f"{name} = {value.format(module=module)}" for name, value in entries.items()]
        (info / "entry_points.txt").write_text("[twinchat.formats]\n" + "\n".join(lines) + "\n", encoding="utf-8")
        modules.append(module)
        formats.cache_clear()
        return module

    yield install_
    formats.cache_clear()
    for module in modules:
        sys.modules.pop(module, None)


def test_the_builtins_are_registered_by_name_each_whole():
    assert format_names() == BUILTINS
    loading = set()
    for name, spec in formats().items():
        assert spec.name == name and spec.loading not in loading
        loading.add(spec.loading)
        with pytest.raises(RuleViolation):
            spec.check({})
    assert [n for n, f in formats().items() if f.calls] == ["openai", "react", "sharegpt"]
    assert [n for n, f in formats().items() if f.files] == ["alpaca", "openai", "sharegpt"]  # openai: as Parquet
    assert formats()["openai"].files(["train"], "x", "jsonl") == {}
    assert [n for n, f in formats().items() if f.render] == list(BUILTINS)
    assert [n for n, f in formats().items() if f.columns] == ["openai"]
    assert [n for n, f in formats().items() if f.from_sample] == ["alpaca", "openai", "sharegpt"]


def test_the_registry_is_read_once_per_process(install):
    first = formats()
    assert formats() is first
    with pytest.raises(TypeError):
        first["tsv"] = first["plain"]  # read-only: the cache is shared


def test_a_plugin_format_comes_after_the_builtins_and_works_as_they_do(install):
    install("zz-plugin", {"tsv": "{module}:TSV"})
    install("aa-plugin", {})
    assert format_names() == (*BUILTINS, "tsv")
    converter = get_converter("tsv")
    assert type(converter) is PlainConverter and converter.check is check_plain
    assert get_format("tsv").loading == "tab separated"


def test_a_plugin_that_cannot_be_imported_is_named(install):
    install("broken-plugin", {"tsv": "no_such_module_of_twinchat:TSV"})
    with pytest.raises(FormatRegistryError, match=(
            r"^broken-plugin 1\.0: entry point tsv = no_such_module_of_twinchat:TSV \(twinchat\.formats\): "
            r"cannot be loaded \(ModuleNotFoundError: No module named 'no_such_module_of_twinchat'\)$")):
        formats()


def test_a_plugin_giving_something_else_than_a_format_is_named(install):
    module = install("odd-plugin", {"tsv": "{module}:NOT_A_FORMAT"})
    with pytest.raises(FormatRegistryError, match=(
            rf"^odd-plugin 1\.0: entry point tsv = {module}:NOT_A_FORMAT \(twinchat\.formats\): gives a dict, "
            r"not a twinchat Format$")):
        format_names()


def test_an_entry_point_named_otherwise_than_its_format_is_named(install):
    module = install("misnamed-plugin", {"csv": "{module}:TSV"})
    with pytest.raises(FormatRegistryError, match=(
            rf"^misnamed-plugin 1\.0: entry point csv = {module}:TSV \(twinchat\.formats\): the entry point is "
            r"named 'csv' but its format 'tsv'$")):
        formats()


def test_a_plugin_taking_a_builtin_name_is_named_with_the_first_owner(install):
    module = install("greedy-plugin", {"openai": "{module}:OPENAI"})
    with pytest.raises(FormatRegistryError, match=(
            rf"^greedy-plugin 1\.0: entry point openai = {module}:OPENAI \(twinchat\.formats\): format name "
            r"'openai' is taken already by twinchat \S+: entry point openai = "
            r"twinchat\.composer\.export\.formats\.openai:FORMAT \(twinchat\.formats\)$")):
        formats()


def test_an_unknown_format_lists_the_known_ones():
    with pytest.raises(ExportError, match=r"^unknown format 'csv' \(formats: alpaca, openai, plain, react, "
                                          r"sharegpt\)$"):
        get_format("csv")


def test_a_format_entry_is_checked_when_made():
    with pytest.raises(TypeError, match=r"^format name 'qa pairs' is not a name \(letters, digits, _\)$"):
        Format(name="qa pairs", converter=PlainConverter, check=check_plain, loading="")
    with pytest.raises(TypeError, match=r"^format 'qa': converter <class 'dict'> is not a Converter subclass$"):
        Format(name="qa", converter=dict, check=check_plain, loading="")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^format 'qa': check 'rules' is not callable$"):
        Format(name="qa", converter=PlainConverter, check="rules", loading="")  # type: ignore[arg-type]
