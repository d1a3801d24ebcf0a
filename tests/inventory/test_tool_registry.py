"""The tool registry: entry points of ``twinchat.tools``, read once, in a fixed order, and each
way a plugin can be wrong said as one line naming the distribution and the entry point.

Plugins here are real distributions: a ``.dist-info`` folder and a module written into
``tmp_path``, read by ``importlib.metadata`` as an installed plugin is.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from importlib.metadata import EntryPoint, distribution, distributions
from pathlib import Path

import pytest

from twinchat.inventory.errors import ToolPluginError
from twinchat.inventory.tools import TOOLS, Tool, tools
from twinchat.inventory.tools.registry import BUILTIN_ORDER, GROUP, collect

_TOOL_MODULE = '''
from pydantic import BaseModel
from twinchat.inventory.tools import Tool

class Args(BaseModel):
    """No arguments."""

def _run(ctx, args):
    return {{"ok": True}}

{assignments}
'''


def _plugin(root: Path, dist: str, module: str, source: str, eps: dict[str, str]) -> list[EntryPoint]:
    """Install distribution ``dist`` (module ``module`` of ``source``, entry points ``eps`` of
    GROUP) into ``root`` and return its entry points as importlib.metadata reads them."""
    info = root / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n", encoding="utf-8")
    lines = "".join(f"{name} = {value}\n" for name, value in eps.items())
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n{lines}", encoding="utf-8")
    (root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    [found] = [d for d in distributions(path=[str(root)]) if d.name == dist]
    return list(found.entry_points.select(group=GROUP))


def _tools_module(assignments: str) -> str:
    return _TOOL_MODULE.format(assignments=assignments)


def _builtins() -> list[EntryPoint]:
    """twinchat's own entry points (the test plugins' folders are on sys.path too)."""
    return list(distribution("twinchat").entry_points.select(group=GROUP))


def test_builtins_are_listed_in_their_fixed_order():
    assert tuple(tools()) == BUILTIN_ORDER
    assert tuple(TOOLS) == BUILTIN_ORDER
    assert all(isinstance(t, Tool) and t.name == name for name, t in tools().items())


def test_every_builtin_comes_through_twinchats_own_entry_points():
    assert {ep.name for ep in _builtins()} == set(BUILTIN_ORDER)


def test_plugin_tools_follow_the_builtins_sorted_by_name(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    source = _tools_module('ZETA = Tool("zeta_tool", "z", Args, _run)\nALPHA = Tool("alpha_tool", "a", Args, _run)')
    eps = _plugin(tmp_path, "order-plugin", "order_plugin_tools",
                  source, {"zeta_tool": "order_plugin_tools:ZETA", "alpha_tool": "order_plugin_tools:ALPHA"})
    found = collect([*eps, *_builtins()])
    assert list(found) == [*BUILTIN_ORDER, "alpha_tool", "zeta_tool"]
    assert found["alpha_tool"].description == "a"


def test_the_registry_is_read_only():
    with pytest.raises(TypeError):
        tools()["teleport"] = tools()["check_delivery"]  # type: ignore[index]
    with pytest.raises(TypeError):
        TOOLS["teleport"] = TOOLS["check_delivery"]  # type: ignore[index]


def test_entry_points_are_read_on_first_use_not_on_import():
    code = ("import sys; import twinchat.inventory.tools as t; "
            "before = ('twinchat.inventory.tools.delivery' in sys.modules, t.tools.cache_info().currsize); "
            "names = list(t.TOOLS); "
            "after = ('twinchat.inventory.tools.delivery' in sys.modules, t.tools.cache_info().currsize); "
            "t.TOOLS['check_delivery']; t.tools(); "
            "print(before, after, t.tools.cache_info().misses, len(names))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["(False,", "0)", "(True,", "1)", "1", str(len(BUILTIN_ORDER))]


def test_a_plugin_that_cannot_be_imported_is_one_located_line(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = _plugin(tmp_path, "broken-plugin", "broken_plugin_tools", 'raise RuntimeError("no database driver\\nhere")\n',
                  {"broken": "broken_plugin_tools:BROKEN"})
    message = ("plugin 'broken-plugin' (entry point twinchat.tools: broken = broken_plugin_tools:BROKEN): "
               "cannot import: RuntimeError: no database driver here")
    with pytest.raises(ToolPluginError, match=f"^{re.escape(message)}$") as caught:
        collect(eps)
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_a_missing_object_cannot_be_imported_either(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = _plugin(tmp_path, "typo-plugin", "typo_plugin_tools", "", {"typo": "typo_plugin_tools:TYPO"})
    with pytest.raises(ToolPluginError, match=re.escape(
            "plugin 'typo-plugin' (entry point twinchat.tools: typo = typo_plugin_tools:TYPO): cannot import: "
            "AttributeError: ")):
        collect(eps)


#: (distribution, module, its source, entry point name, object) → the message after "plugin … (entry point …): "
_BAD_ENTRIES = {
    "not a tool": ("dict-plugin", "dict_plugin_tools", 'COUNT = {"name": "count"}\n', "count", "COUNT",
                   "not a twinchat Tool but dict"),
    "named apart": ("name-plugin", "name_plugin_tools", _tools_module('T = Tool("count_stock", "c", Args, _run)'),
                    "count", "T", "the entry point is named 'count' but its tool 'count_stock'"),
    "refused name": ("space-plugin", "space_plugin_tools", _tools_module('T = Tool("库存", "c", Args, _run)'),
                     "库存", "T", "tool name '库存' is not 1-64 letters, digits, _ or -"),
}


@pytest.mark.parametrize("case", sorted(_BAD_ENTRIES))
def test_a_bad_entry_is_one_located_line(case, tmp_path, monkeypatch):
    dist, module, source, name, obj, problem = _BAD_ENTRIES[case]
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = _plugin(tmp_path, dist, module, source, {name: f"{module}:{obj}"})
    message = f"plugin {dist!r} (entry point twinchat.tools: {name} = {module}:{obj}): {problem}"
    with pytest.raises(ToolPluginError, match=f"^{re.escape(message)}$"):
        collect(eps)


def test_a_name_clash_between_two_distributions_names_both(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = _plugin(tmp_path, "clash-plugin", "clash_plugin_tools",
                  _tools_module('T = Tool("check_delivery", "mine", Args, _run)'), {"check_delivery": "clash_plugin_tools:T"})
    message = ("tool 'check_delivery' is registered twice: by plugin 'twinchat' (entry point twinchat.tools: "
               "check_delivery = twinchat.inventory.tools.delivery:CHECK_DELIVERY) and by plugin 'clash-plugin' "
               "(entry point twinchat.tools: check_delivery = clash_plugin_tools:T)")
    with pytest.raises(ToolPluginError, match=f"^{re.escape(message)}$"):
        collect([*_builtins(), *eps])
