"""A keyring backend for tests: a JSON file named by $TUI_MAIL_TEST_KEYRING.

Selected with PYTHON_KEYRING_BACKEND=tests.support.filekeyring.FileKeyring so that a `tui-mail`
subprocess and the test share it, instead of relying on whatever keyring the machine has.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.compat import properties


class FileKeyring(KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:
        """Viable only while a test names its file: keyring picks the highest-priority
        backend among every subclass imported, so without this a test that asked for no
        keyring got this one, and a KeyError from a worker that outlived its test."""
        if "TUI_MAIL_TEST_KEYRING" not in os.environ:
            raise RuntimeError("TUI_MAIL_TEST_KEYRING is not set")
        return 1

    @property
    def _path(self) -> Path:
        return Path(os.environ["TUI_MAIL_TEST_KEYRING"])

    def _load(self) -> dict[str, str]:
        try:
            return json.loads(self._path.read_text())
        except FileNotFoundError:
            return {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\0{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\0{username}"] = password
        self._path.write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        data.pop(f"{service}\0{username}", None)
        self._path.write_text(json.dumps(data))
