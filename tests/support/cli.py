"""Run the real `tui-mail` command in a subprocess with an isolated home."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class TuiMail:
    """Runs `python -m tui_mail` with an isolated HOME, XDG dirs and a file keyring."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.config = home / "config.toml"
        self.outputs: list[str] = []

    @classmethod
    def without_accounts(cls, home: Path) -> TuiMail:
        """With an empty config: the cache commands and `show` need no account."""
        tool = cls(home)
        tool.config.write_text("")
        return tool

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "TUI_MAIL"))}
        env.update(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / "config"),
            XDG_DATA_HOME=str(self.home / "data"),
            XDG_STATE_HOME=str(self.home / "state"),
            PYTHONPATH=str(REPO),
            PYTHON_KEYRING_BACKEND="tests.support.filekeyring.FileKeyring",
            TUI_MAIL_TEST_KEYRING=str(self.home / "keyring.json"),
        )
        return env

    def __call__(self, *args: str, stdin: str = "") -> Run:
        done = subprocess.run(
            [sys.executable, "-m", "tui_mail", "--config", str(self.config), *args],
            input=stdin, capture_output=True, text=True, env=self.env(), timeout=120, check=False,
        )
        self.outputs.append(done.stdout + done.stderr)
        return Run(done.returncode, done.stdout, done.stderr)
