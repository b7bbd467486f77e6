"""Fixtures of the POP3 tests: a fresh user on the session's Dovecot, an empty cache."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tui_mail.store.db import Store

from .env import Pop3Env


def _wait_until_known(mail_servers: Any, login: str) -> None:
    """Dovecot may need a moment to re-read its user file after `new_user()`."""
    for _ in range(100):
        if mail_servers.doveadm("user", login, check=False).returncode == 0:
            return
        time.sleep(0.05)
    raise RuntimeError(f"Dovecot does not know the new user {login}")


@pytest.fixture
def pop3(mail_servers: Any) -> Pop3Env:
    user = mail_servers.new_user()
    _wait_until_known(mail_servers, user.login)
    return Pop3Env(mail_servers, user)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "cache.sqlite3") as opened:
        yield opened
