"""Caches for the action tests: the demo account (no server) and a cache filled by a real sync
from the test Dovecot, with a Config naming that account (password through `cat file`)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from tests.servers.dovecot import MailUser
from tests.support.accounts import server_account
from tests.ui.conftest import NOW, plain_message
from tui_mail.config import Config, UISettings
from tui_mail.model import Account
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

    def make() -> TuiMailApp:
        return TuiMailApp(None, path, demo=True, clock=lambda: NOW,
                          themes_dir=tmp_path / "no-user-themes")

    return make


@dataclass
class Synced:
    """A mailbox on the test servers, its cache (after a real sync) and an app factory."""

    servers: object
    user: MailUser
    account: Account
    cache: Path
    config: Config

    def app(self) -> TuiMailApp:
        app = TuiMailApp(self.config, self.cache, clock=lambda: NOW, sync_on_start=False,
                         themes_dir=self.cache.parent / "no-user-themes")
        app.replay_delay = None  # the tests replay when they choose
        return app

    def store(self) -> Store:
        return Store.open(self.cache)


SUBJECTS = [f"Report {n}" for n in range(1, 6)]


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
    config = Config(path=tmp_path / "config.toml", accounts=(account,),
                    ui=UISettings(attachments_dir=tmp_path / "attachments"))
    return Synced(mail_servers, user, account, cache, config)


@pytest.fixture
def two_accounts_app(tmp_path: Path) -> Callable[[], TuiMailApp]:
    """The tests/ui cache: `work` (every special folder) and `home` (INBOX only), no config."""
    from tests.ui.conftest import fill_cache

    path = tmp_path / "two.sqlite3"
    fill_cache(path, inbox_size=6, hostile=False).close()

    def make() -> TuiMailApp:
        return TuiMailApp(None, path, clock=lambda: NOW, themes_dir=tmp_path / "no-user-themes")

    return make
