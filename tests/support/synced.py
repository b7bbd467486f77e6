"""A mailbox on the test servers whose cache was filled by a real sync, and apps over it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import imapclient

from tests.servers.dovecot import MailUser
from tests.servers.mailservers import MailServers
from tests.support.app import make_app
from tui_mail.config import Config
from tui_mail.model import Account
from tui_mail.remote.connection import ssl_context
from tui_mail.store.db import Store
from tui_mail.ui.app import TuiMailApp

SUBJECTS = [f"Report {n}" for n in range(1, 6)]
"""The messages in the mailbox, oldest first, an hour apart."""


@dataclass
class Synced:
    """A mailbox on the test servers, its cache (after a real sync) and an app factory."""

    servers: MailServers
    user: MailUser
    account: Account
    cache: Path
    config: Config

    def app(self) -> TuiMailApp:
        # the tests replay when they choose
        return make_app(self.cache, self.config, sync_on_start=False, replays=False)

    def store(self) -> Store:
        return Store.open(self.cache)


def server_messages(synced: Synced, folder: str) -> dict[str, set[bytes]]:
    """Subject -> flags of every message in a server folder."""
    client = imapclient.IMAPClient("127.0.0.1", port=synced.servers.imap_tls_port, ssl=True,
                                   ssl_context=ssl_context(synced.account.incoming), timeout=20)
    try:
        client.login(synced.user.login, synced.user.password)
        client.select_folder(folder, readonly=True)
        found = client.fetch(client.search("ALL"),
                             ["FLAGS", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
        result = {}
        for data in found.values():
            header = data[b"BODY[HEADER.FIELDS (SUBJECT)]"].decode().strip()
            result[header.removeprefix("Subject: ")] = set(data[b"FLAGS"])
        return result
    finally:
        client.logout()


def pending(synced: Synced) -> list:
    with synced.store() as store:
        return store.queues.pending_actions(synced.account.name)
