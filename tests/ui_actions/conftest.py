"""Caches for the action tests: the demo account (no server) and a cache filled by a real sync
from the test Dovecot, with a Config naming that account (password through `cat file`)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.accounts import server_account
from tests.support.app import config_in, make_app
from tests.support.cache import NOW, fill_cache, plain_message
from tests.support.synced import SUBJECTS, Synced
from tui_mail.store.db import Store
from tui_mail.sync.credentials import provider
from tui_mail.sync.engine import SyncEngine, connector
from tui_mail.ui.app import TuiMailApp


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tui_mail.demo.builder import build_demo_cache

    return build_demo_cache(tmp_path_factory.mktemp("demo") / "demo.sqlite3")


@pytest.fixture
def demo_app(demo_template: Path, tmp_path: Path) -> Callable[[], TuiMailApp]:
    """The demo account: every change goes straight into the cache."""
    path = tmp_path / "demo.sqlite3"
    shutil.copyfile(demo_template, path)
    return lambda: make_app(path, demo=True)


@pytest.fixture
def synced(mail_servers, tmp_path: Path) -> Synced:
    user = mail_servers.new_user()
    for i, subject in enumerate(SUBJECTS):
        mail_servers.deliver(user, plain_message(
            subject, "Alice Archer <alice@example.com>", NOW - timedelta(hours=len(SUBJECTS) - i),
            f"Body of {subject}.", to=user.address))
    secret = tmp_path / "password"
    secret.write_text(user.password)
    account = server_account(mail_servers, "test", user.login, user.address,
                             display_name="Tester", password_command=f"cat {secret}")
    cache = tmp_path / "cache.sqlite3"
    with Store.open(cache) as store:
        engine = SyncEngine(account, store, connector(account, provider(account, "incoming")))
        try:
            assert engine.sync().ok
        finally:
            engine.close()
    return Synced(mail_servers, user, account, cache, config_in(tmp_path, (account,)))


@pytest.fixture
def two_accounts_app(tmp_path: Path) -> Callable[[], TuiMailApp]:
    """The tests/ui cache: `work` (every special folder) and `home` (INBOX only), no config."""
    path = tmp_path / "two.sqlite3"
    fill_cache(path, inbox_size=6, hostile=False).close()
    return lambda: make_app(path)
