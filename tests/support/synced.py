"""A mailbox on the test servers whose cache was filled by a real sync, and apps over it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.servers.dovecot import MailUser
from tests.support.app import make_app
from tui_mail.config import Config
from tui_mail.model import Account
from tui_mail.store.db import Store
from tui_mail.ui.app import TuiMailApp

SUBJECTS = [f"Report {n}" for n in range(1, 6)]
"""The messages in the mailbox, oldest first, an hour apart."""


@dataclass
class Synced:
    """A mailbox on the test servers, its cache (after a real sync) and an app factory."""

    servers: object
    user: MailUser
    account: Account
    cache: Path
    config: Config

    def app(self) -> TuiMailApp:
        # the tests replay when they choose
        return make_app(self.cache, self.config, sync_on_start=False, replays=False)

    def store(self) -> Store:
        return Store.open(self.cache)
