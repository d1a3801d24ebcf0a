"""The demo plugin, installed for real: built by pip from ``tests/plugins/demo`` into a folder of
its own, and put on ``PYTHONPATH`` of the ``twinchat`` processes a test starts. Its entry points
are then read by ``importlib.metadata`` exactly as an installed plugin's are; the test session's
own interpreter never sees it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEMO = Path(__file__).parent / "demo"


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory) -> Path:
    """A folder holding the installed demo distribution (its package and its ``.dist-info``)."""
    target = tmp_path_factory.mktemp("plugin-site")
    source = tmp_path_factory.mktemp("plugin-src") / "demo"
    shutil.copytree(DEMO, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), str(source)], check=True)
    assert list(target.glob("twinchat_demo_plugin-*.dist-info")), "the demo plugin did not install"
    return target


@pytest.fixture
def run_twinchat(plugin_site, tmp_path):
    """``run_twinchat(*args)``: the ``twinchat`` command with the plugin installed, in ``tmp_path``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin_site), os.environ.get("PYTHONPATH", "")])}
    exe = Path(sys.executable).with_name("twinchat")

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(exe), *args], cwd=tmp_path, env=env, capture_output=True, text=True)
        if check and done.returncode:
            raise AssertionError(f"twinchat {' '.join(args)} exited {done.returncode}: {done.stderr}")
        return done
    return run


BROKEN = Path(__file__).parent / "broken"


@pytest.fixture(scope="session")
def broken_plugin_site(tmp_path_factory) -> Path:
    """A folder holding ``tests/plugins/broken`` installed (``twinchat-broken-plugin``: its tool
    module raises when imported), as ``plugin_site`` holds the demo."""
    target = tmp_path_factory.mktemp("broken-plugin-site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), str(_copy(BROKEN, tmp_path_factory))], check=True)
    assert list(target.glob("twinchat_broken_plugin-*.dist-info")), "the broken plugin did not install"

# -- a broken export-format plugin -------------------------------------------------------------------
BROKEN_FORMAT = Path(__file__).parent / "broken_format"


@pytest.fixture(scope="session")
def broken_format_site(tmp_path_factory) -> Path:
    """A folder holding the installed ``twinchat-broken-format`` distribution (its entry point names a
    missing object)."""
    target = tmp_path_factory.mktemp("broken-format-site")
    source = tmp_path_factory.mktemp("broken-format-src") / "broken_format"
    shutil.copytree(BROKEN_FORMAT, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), str(source)], check=True)
    assert list(target.glob("twinchat_broken_format-*.dist-info")), "the broken-format plugin did not install"
    return target


@pytest.fixture
def run_broken_twinchat(broken_plugin_site, tmp_path):
    """``run_broken_twinchat(*args)``: the ``twinchat`` command with the broken plugin installed, in ``tmp_path``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(broken_plugin_site), os.environ.get("PYTHONPATH", "")])}
    exe = Path(sys.executable).with_name("twinchat")
    return lambda *args: subprocess.run([str(exe), *args], cwd=tmp_path, env=env, capture_output=True, text=True)


def _copy(project: Path, tmp_path_factory) -> Path:
    """A clean copy of ``project`` to build from (pip builds in place; the tree stays untouched)."""
    source = tmp_path_factory.mktemp(f"{project.name}-src") / project.name
    shutil.copytree(project, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    return source

def run_twinchat_broken_format(broken_format_site, tmp_path):
    """``run_twinchat_broken_format(*args)``: the ``twinchat`` command with the broken-format plugin installed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(broken_format_site), os.environ.get("PYTHONPATH", "")])}
    exe = Path(sys.executable).with_name("twinchat")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(exe), *args], cwd=tmp_path, env=env, capture_output=True, text=True)
    return run
