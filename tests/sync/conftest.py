"""Dovecot instances for the sync tests, built from tests/servers.

One shared instance per worker (fresh user per test, so tests do not see each other), one
variant without CONDSTORE/QRESYNC, and a dedicated instance for tests that stop the server.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.servers.certs import TestCertificates, write_certificates
from tests.servers.dovecot import (
    CAPABILITY_WITHOUT_CONDSTORE,
    Dovecot,
    DovecotSettings,
    MailUser,
)
from tui_mail.model import Account, Address, Protocol, Security, ServerConfig
from tui_mail.remote.connection import Credentials
from tui_mail.remote.imap import ImapBackend
from tui_mail.store import Store
from tui_mail.sync.engine import SyncEngine

pytestmark = pytest.mark.servers


@pytest.fixture(scope="session")
def sync_certs() -> Iterator[TestCertificates]:
    root = Path(tempfile.mkdtemp(prefix="tuimail-sync-certs-"))
    root.chmod(0o755)
    yield write_certificates(root)
    shutil.rmtree(root, ignore_errors=True)


def _start(tmp_path_factory: pytest.TempPathFactory, certs: TestCertificates, name: str,
           variant: DovecotSettings | None = None) -> Dovecot:
    # Dovecot's service user must reach its files: pytest's temp dirs are mode 0700.
    root = Path(tempfile.mkdtemp(prefix=f"tuimail-{name}-"))
    root.chmod(0o755)
    dovecot = Dovecot(root, certs.cert_file, certs.key_file, variant)
    dovecot.start()
    return dovecot


def _finish(server: Dovecot) -> None:
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory: pytest.TempPathFactory, sync_certs: TestCertificates) -> Iterator[Dovecot]:
    server = _start(tmp_path_factory, sync_certs, "sync-dovecot")
    yield server
    _finish(server)


@pytest.fixture(scope="session")
def plain_dovecot(tmp_path_factory: pytest.TempPathFactory, sync_certs: TestCertificates) -> Iterator[Dovecot]:
    """A Dovecot that announces neither CONDSTORE nor QRESYNC."""
    variant = DovecotSettings(settings={"imap_capability": CAPABILITY_WITHOUT_CONDSTORE})
    server = _start(tmp_path_factory, sync_certs, "sync-dovecot-plain", variant)
    yield server
    _finish(server)


@pytest.fixture
def own_dovecot(tmp_path_factory: pytest.TempPathFactory, sync_certs: TestCertificates) -> Iterator[Dovecot]:
    """A Dovecot for this test alone (it may be stopped and started)."""
    server = _start(tmp_path_factory, sync_certs, "sync-dovecot-own")
    yield server
    _finish(server)


class Harness:
    """One fresh user on a Dovecot, an account for it, a cache, and helpers."""

    def __init__(self, server: Dovecot, ca_file: Path, cache: Path) -> None:
        self.server = server
        self.user: MailUser = server.new_user()
        self.config = ServerConfig(
            Protocol.IMAP, "127.0.0.1", server.ports.imap_tls or 0, Security.TLS,
            self.user.login, ca_file=ca_file, timeout=10.0,
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

    def engine(self, **kwargs: object) -> SyncEngine:
        return SyncEngine(self.account, self.store, self.connect, self.events.append,
                          backoff=0.05, **kwargs)  # type: ignore[arg-type]

    def sync(self, folders: list[str] | None = None, **kwargs: object):  # noqa: ANN201
        engine = self.engine()
        try:
            return engine.sync(folders, **kwargs)  # type: ignore[arg-type]
        finally:
            engine.close()

    def cached_uids(self, folder: str = "INBOX") -> list[int]:
        return sorted(self.store.uid_flags(self.account.name, folder))

    def other_client(self) -> ImapBackend:
        """A second, independent client (another mail program)."""
        return self.connect()


@pytest.fixture
def make_harness(tmp_path: Path, sync_certs: TestCertificates) -> Iterator[Callable[[Dovecot], Harness]]:
    made: list[Harness] = []

    def make(server: Dovecot) -> Harness:
        h = Harness(server, sync_certs.ca_file, tmp_path / f"cache{len(made)}.sqlite3")
        made.append(h)
        return h

    yield make
    for h in made:
        h.store.close()


def message(i: int, subject: str | None = None) -> bytes:
    """A small message with its own Message-ID and a date i minutes after 2024-01-01."""
    date = format_datetime(datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=i))
    return (
        f"From: Sender {i} <s{i}@example.test>\r\nTo: someone@example.test\r\n"
        f"Subject: {subject or f'message {i}'}\r\nMessage-ID: <m{i}@example.test>\r\n"
        f"Date: {date}\r\n\r\nbody of message {i}\r\n"
    ).encode()


@pytest.fixture(name="message")
def message_fixture() -> Callable[..., bytes]:
    return message
