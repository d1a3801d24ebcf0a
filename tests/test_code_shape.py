"""The code keeps a shape a maintainer can hold: modules under 400 lines, functions under 60.

Data tables (modules named ``*_data.py``) are exempt; everything else that ships is counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGES = ("units", "inventory", "composer", "tui")
MAX_MODULE, MAX_FUNCTION = 400, 60


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if not p.name.endswith("_data.py"))


def test_the_packages_are_there():
    assert len(_modules()) > 60


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_and_function_sizes(path):
    text = path.read_text(encoding="utf-8")
    lines = len(text.splitlines())
    long = [f"{node.name} (line {node.lineno}): {node.end_lineno - node.lineno + 1} lines"
            for node in ast.walk(ast.parse(text))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION]
    assert lines <= MAX_MODULE and not long, f"{lines} lines; functions over {MAX_FUNCTION}: {long}"
