"""Plugin distributions, installed for real: each built by pip from a folder of ``tests/plugins``
into a folder of its own, and put on ``PYTHONPATH`` of the ``twinchat`` processes a test starts.
Their entry points are then read by ``importlib.metadata`` exactly as an installed plugin's are;
the test session's own interpreter never sees them.

* ``demo`` (``twinchat-demo-plugin``): a tool, an export format, a slot source, and units using them;
* ``broken`` (``twinchat-broken-plugin``): a tool module that raises when imported;
* ``broken_format`` (``twinchat-broken-format``): a format entry point naming a missing object.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

HERE = Path(__file__).parent
DEMO = HERE / "demo"
Run = Callable[..., "subprocess.CompletedProcess[str]"]


def _install(project: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding ``tests/plugins/<project>`` installed (its packages and its ``.dist-info``).
    pip builds in the source folder, so it builds from a clean copy and the tree stays untouched."""
    source = tmp_path_factory.mktemp(f"{project}-src") / project
    shutil.copytree(HERE / project, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = tmp_path_factory.mktemp(f"{project}-site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), str(source)], check=True)
    assert list(target.glob("*.dist-info")), f"{project} did not install"
    return target


def _runner(site: Path, cwd: Path, *, check: bool) -> Run:
    """``run(*args)``: the ``twinchat`` command with ``site`` on PYTHONPATH, in ``cwd``; with ``check``,
    a non-zero exit fails the test (``run(..., check=False)`` returns it instead)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    exe = Path(sys.executable).with_name("twinchat")

    def run(*args: str, check: bool = check) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(exe), *args], cwd=cwd, env=env, capture_output=True, text=True)
        if check and done.returncode:
            raise AssertionError(f"twinchat {' '.join(args)} exited {done.returncode}: {done.stderr}")
        return done
    return run


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory) -> Path:
    """The demo distribution, installed."""
    return _install("demo", tmp_path_factory)


@pytest.fixture(scope="session")
def broken_plugin_site(tmp_path_factory) -> Path:
    """The broken-tool distribution, installed."""
    return _install("broken", tmp_path_factory)


@pytest.fixture(scope="session")
def broken_format_site(tmp_path_factory) -> Path:
    """The broken-format distribution, installed."""
    return _install("broken_format", tmp_path_factory)


@pytest.fixture
def run_twinchat(plugin_site, tmp_path) -> Run:
    """``twinchat`` with the demo plugin installed, in ``tmp_path``; a failing command fails the test."""
    return _runner(plugin_site, tmp_path, check=True)


@pytest.fixture
def run_broken_twinchat(broken_plugin_site, tmp_path) -> Run:
    """``twinchat`` with the broken-tool plugin installed, in ``tmp_path``; returns whatever it did."""
    return _runner(broken_plugin_site, tmp_path, check=False)


@pytest.fixture
def run_twinchat_broken_format(broken_format_site, tmp_path) -> Run:
    """``twinchat`` with the broken-format plugin installed, in ``tmp_path``; returns whatever it did."""
    return _runner(broken_format_site, tmp_path, check=False)
