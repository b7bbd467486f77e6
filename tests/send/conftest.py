"""Fixtures of the sending tests: fresh mailboxes on the real servers, an empty cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.mail_users import User, make_user


@pytest.fixture
def fresh(mail_servers) -> Any:
    """`fresh("alice")`: a new, empty mailbox on the servers; "alice" names its account."""

    def make(prefix: str, **kw: Any) -> User:
        login, password, address = mail_servers.new_user()
        return make_user(mail_servers, prefix, login, password, address, **kw)

    return make


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    from tui_mail.store import Store

    with Store.open(tmp_path / "cache.sqlite3") as s:
        yield s
