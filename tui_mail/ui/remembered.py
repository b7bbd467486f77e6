"""What the interface remembers between runs without touching the user's config file.

The theme picked from the palette is kept in `$XDG_STATE_HOME/tui-mail/ui-state.json`, with the
config's `theme` as it was at that moment: when the user later edits `theme` in the config, the
config wins again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

STATE_FILE = "ui-state.json"


def _read(state_dir: Path) -> dict[str, str]:
    try:
        data = json.loads((state_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def remembered_theme(state_dir: Path, config_theme: str) -> str | None:
    """The theme chosen last time, unless the config's theme changed since."""
    data = _read(state_dir)
    if data.get("config_theme") != config_theme:
        return None
    theme = data.get("theme")
    return theme if isinstance(theme, str) else None


def remember_theme(state_dir: Path, theme: str, config_theme: str) -> None:
    """Record the theme the user switched to (written atomically; failures are ignored:
    forgetting a theme is not worth an error)."""
    data = _read(state_dir)
    data.update(theme=theme, config_theme=config_theme)
    try:
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp = state_dir / f".{STATE_FILE}.{os.getpid()}"
        temp.write_text(json.dumps(data), encoding="utf-8")
        temp.replace(state_dir / STATE_FILE)
    except OSError:
        pass
