"""Starting the installed `tui-mail` as a user would, in a home and XDG folders of the test's."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def tui_mail_command() -> list[str]:
    """The installed console script next to this Python, else `python -m tui_mail`."""
    script = Path(sys.executable).parent / "tui-mail"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui_mail"]


def isolated_env(home: Path) -> dict[str, str]:
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "TERM": "screen-256color",
        "LANG": "C.UTF-8",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        Path(env[name]).mkdir(parents=True, exist_ok=True)
    return env
