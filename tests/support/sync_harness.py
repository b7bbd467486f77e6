"""A fresh user on a test Dovecot, with an IMAP account for it, a cache and sync engines over
both: what the sync tests drive. The Dovecot is the suite's or one of its variants
(tests/servers/mailservers.py), reached as the harness says: its host, its CA."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.servers.dovecot import Dovecot, MailUser
from tests.servers.mailservers import MailServers
from tui_mail.model import Account, Address, Protocol, Security, ServerConfig
from tui_mail.remote.backend import FetchBackend
from tui_mail.remote.connection import Credentials
from tui_mail.remote.imap import ImapBackend
from tui_mail.store import Store
from tui_mail.sync.engine import SyncEngine
from tui_mail.sync.events import EventSink


class Harness:
    """One fresh user on a Dovecot of `servers` (its own or a variant), an account for it, a
    cache, and helpers."""

    def __init__(self, server: Dovecot, servers: MailServers, cache: Path) -> None:
        self.server = server
        self.user: MailUser = server.new_user()
        assert server.ports.imap_tls is not None, "the sync tests speak IMAP over TLS"
        self.config = ServerConfig(
            Protocol.IMAP, servers.host, server.ports.imap_tls, Security.TLS,
            self.user.login, ca_file=servers.ca_file, timeout=10.0,
        )
        self.account = Account(
            name="test", address=Address("", self.user.address), incoming=self.config, smtp=None
        )
        self.store = Store.open(cache)
        self.events: list[object] = []

    def creds(self) -> Credentials:
        return Credentials(self.user.login, password=self.user.password)

    def connect(self) -> ImapBackend:
        return ImapBackend.open(self.config, self.creds())

    def engine(self, *, on_event: EventSink | None = None,
               connect: Callable[[], FetchBackend] | None = None,
               **kwargs: object) -> SyncEngine:
        """An engine over this user's mailbox; its events go to `self.events` unless
        `on_event` takes them, and it connects as `self.connect` unless `connect` is given."""
        return SyncEngine(self.account, self.store, connect or self.connect,
                          on_event or self.events.append, backoff=0.05,
                          **kwargs)  # type: ignore[arg-type]

    def sync(self, folders: list[str] | None = None, **kwargs: object):  # noqa: ANN201
        engine = self.engine()
        try:
            return engine.sync(folders, **kwargs)
        finally:
            engine.close()

    def cached_uids(self, folder: str = "INBOX") -> list[int]:
        return sorted(self.store.uid_flags(self.account.name, folder))

    def other_client(self) -> ImapBackend:
        """A second, independent client (another mail program)."""
        return self.connect()
