"""Fixtures of the POP3 tests: a fresh user on the session's Dovecot, an empty cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.mail_users import wait_until_known
from tui_mail.store.db import Store

from .env import Pop3Env


@pytest.fixture
def pop3(mail_servers: Any) -> Pop3Env:
    user = mail_servers.new_user()
    wait_until_known(mail_servers, user.login)
    return Pop3Env(mail_servers, user)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "cache.sqlite3") as opened:
        yield opened
