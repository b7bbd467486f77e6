"""Where tui-mail keeps its files (XDG base directories): the config, the cache, the log.

Apart from the config module so that a command that reads none of the config (`search`,
`show`, `--version`) finds its folders without loading the TOML parser and the config's types.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "tui-mail"


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / fallback


def config_dir() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") / APP_NAME


def default_config_path() -> Path:
    """`TUI_MAIL_CONFIG` if set, else `$XDG_CONFIG_HOME/tui-mail/config.toml`."""
    override = os.environ.get("TUI_MAIL_CONFIG")
    return Path(override) if override else config_dir() / "config.toml"


def default_data_dir() -> Path:
    return _xdg("XDG_DATA_HOME", ".local/share") / APP_NAME


def default_state_dir() -> Path:
    return _xdg("XDG_STATE_HOME", ".local/state") / APP_NAME
