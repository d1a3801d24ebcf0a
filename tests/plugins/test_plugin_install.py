"""The demo plugin installs as a real distribution whose entry points importlib.metadata reads."""

from __future__ import annotations

import subprocess
import sys


def test_the_demo_distribution_is_visible_to_importlib_metadata(plugin_site):
    code = ("import importlib.metadata as m; d = m.distribution('twinchat-demo-plugin'); "
            "print(d.version, sorted({e.group for e in d.entry_points}))")
    out = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(plugin_site)}, capture_output=True,
                         text=True, check=True).stdout
    assert out.startswith("0.1.0")
