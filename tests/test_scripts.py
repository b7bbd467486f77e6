"""The developer scripts start: they import from tests/ and tui_mail/, which move under them
(scripts/dev_servers.py once kept importing a helper two commits after it had moved)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("script", ["scripts/dev_servers.py", "scripts/screenshots"])
def test_a_developer_script_loads_and_shows_its_help(script: str) -> None:
    done = subprocess.run([sys.executable, str(REPO / script), "--help"], capture_output=True,
                          text=True, cwd=REPO, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("usage:")
