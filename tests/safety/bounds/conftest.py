"""The bounds catalogue reuses the canned chat-completions server of tests/composer."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "composer"))
