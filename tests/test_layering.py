"""The layering holds: which package may import which, no import cycles, and light imports where they matter.

Every import statement that runs counts, function-level ones included (grimp reads them all): an
import moved into a function to hide a cycle is still a cycle here. Imports under
``if TYPE_CHECKING:`` never run and are left out.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOTS = ("twinchat.units", "twinchat.inventory", "twinchat.composer", "twinchat.tui")
PYPROJECT = Path(__file__).parents[1] / "pyproject.toml"


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--config", str(PYPROJECT), "--no-cache"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 kept, 0 broken" in done.stdout


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_there_are_no_import_cycles():
    graph = grimp.build_graph(*ROOTS, cache_dir=None, exclude_type_checking_imports=True)
    assert len(graph.modules) > 50  # the graph really holds the project
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for name in ("a", "a.x", "a.y", "a.z"):
        graph.add_module(name)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.x")
    graph.add_import(importer="a.y", imported="a.z")
    assert _cycles(graph) == [["a.x", "a.y"]]


def _imported_after(code: str) -> set[str]:
    """Top-level names of the modules loaded by running ``code`` in a fresh interpreter."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_the_chat_widget_does_not_import_the_generator():
    loaded = _imported_after("import twinchat.tui.widgets.chat")
    assert "textual" in loaded  # the probe sees what was imported
    assert not {"faker", "jinja2", "dateparser"} & loaded


def test_help_imports_no_generator_no_tui_and_no_pandas():
    loaded = _imported_after("from twinchat.composer.cli import cli\n"
                             "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass")
    assert "click" in loaded
    assert not {"faker", "jinja2", "textual", "pandas", "dateparser"} & loaded


def test_generate_on_an_existing_world_loads_no_pandas_faker_or_tui(world_path, tmp_path):
    """Start-up pays only for what the command uses: sqlite-utils (which imports pandas when it is
    installed) only builds tables, Faker is made only for a slot naming one of its providers, and
    address_extraction names none."""
    loaded = _imported_after(
        "from twinchat.composer.cli import cli\n"
        f"args = ['generate', 'address_extraction', '-n', '2', '--db', {str(world_path)!r}, "
        f"'-o', {str(tmp_path / 'x.jsonl')!r}]\n"
        "try:\n    cli(args)\nexcept SystemExit as stop:\n    assert stop.code == 0, stop.code")
    assert "sqlite3" in loaded and (tmp_path / "x.jsonl").stat().st_size > 0  # the command really ran
    assert not {"pandas", "sqlite_utils", "faker", "textual"} & loaded
