"""The server matrix: tests that describe what an IMAP server does, run against each server.

A test takes `imap_server` (every server of `MATRIX`) or `namespace_server` (also the other
Cyrus combinations), makes a `Mailbox` for a fresh user and drives tui-mail's mail service the
way the app and the CLI do; `Mailbox.other()` is another client changing the mailbox, over
plain IMAP. Servers start on first use and stay up for the session (per xdist worker).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest

from tests.matrix.servers import MATRIX, NAMESPACE_MATRIX, close_server, start_server
from tests.servers.certs import TestCertificates
from tests.servers.dovecot import MailUser
from tests.servers.imapserver import ImapServer, OtherClient
from tests.servers.mailservers import MailServers
from tui_mail.model import (
    Account,
    Address,
    Folder,
    MessageSummary,
    Protocol,
    Security,
    ServerConfig,
)
from tui_mail.store.db import Store
from tui_mail.store.types import View
from tui_mail.sync.account_sync import AccountSyncResult
from tui_mail.sync.events import Notice
from tui_mail.sync.service import MailService, ServiceSettings

pytestmark = pytest.mark.servers

TIMEOUT = 20.0  # seconds for one IMAP exchange: local servers, but two workers on two cores
WAIT = 30.0  # the bound for what happens in the background (not a timing)


@pytest.fixture(scope="session")
def matrix_certs(mail_servers_session: MailServers) -> TestCertificates:
    """The suite's certificates: one CA trusts Postfix (sending) and every matrix server."""
    return mail_servers_session.certs


@pytest.fixture(scope="session")
def matrix_servers(matrix_certs: TestCertificates) -> Iterator[Callable[[str], ImapServer]]:
    started: dict[str, ImapServer] = {}

    def get(label: str) -> ImapServer:
        if label not in started:
            started[label] = start_server(label, matrix_certs)
        server = started[label]
        if not server.running:  # an earlier test stopped it and failed before starting it
            server.start()
        return server

    yield get
    for server in started.values():
        close_server(server)


@pytest.fixture(params=MATRIX)
def imap_server(request: pytest.FixtureRequest,
                matrix_servers: Callable[[str], ImapServer]) -> ImapServer:
    return matrix_servers(request.param)


@pytest.fixture(params=NAMESPACE_MATRIX)
def namespace_server(request: pytest.FixtureRequest,
                     matrix_servers: Callable[[str], ImapServer]) -> ImapServer:
    return matrix_servers(request.param)


def raw_message(subject: str, body: str = "Hello.\n", *, sender: str = "Ann <ann@example.test>",
                to: str = "me@example.test", minutes_ago: int = 0,
                message_id: str | None = None) -> bytes:
    """A message as a mail server would get it: headers in ASCII (RFC 2047; Cyrus turns 8-bit
    header bytes into X), the body in UTF-8."""
    date = format_datetime(datetime.now(UTC) - timedelta(minutes=minutes_ago))
    subject = Header(subject, "utf-8").encode() if not subject.isascii() else subject
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: {message_id or make_msgid(domain='example.test')}\r\n"
            f"Date: {date}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Transfer-Encoding: 8bit\r\n\r\n{body}").encode()


def wait_until(condition: Callable[[], object], timeout: float = WAIT, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what or condition}"
        time.sleep(0.05)


@dataclass
class Mailbox:
    """One user's account on one matrix server, with tui-mail's cache and mail service."""

    server: ImapServer
    user: MailUser
    account: Account
    cache: Path
    service: MailService
    events: list[object] = field(default_factory=list)

    def other(self) -> OtherClient:
        """Another client logged in as the same user (use with `with`)."""
        return OtherClient(self.server, self.user)

    def sync(self, *, bodies: bool = False) -> AccountSyncResult:
        """What `tui-mail sync` does: queued actions first, then every folder."""
        return self.service.sync_once(self.account, self.events.append, bodies=bodies)

    def folders(self) -> dict[str, Folder]:
        with Store.open(self.cache, readonly=True) as store:
            return {f.name: f for f in store.folders(self.account.name)}

    def rows(self, folder: str = "INBOX") -> dict[str, MessageSummary]:
        """The cached folder as the interface lists it, by subject."""
        with Store.open(self.cache, readonly=True) as store:
            cached = store.folder(self.account.name, folder)
            if cached is None:
                return {}
            return {row.subject: row for row in store.page(View.of(cached), 0, 1000)}

    def body(self, row: MessageSummary) -> bytes:
        """The message as opening it in the app gets it (from the server if not cached)."""
        return self.service.fetch_body(row).result(timeout=WAIT)

    def act(self, kind: str, subjects: list[str], folder: str = "INBOX",
            target: str | None = None) -> None:
        rows = self.rows(folder)
        self.service.act(kind, [rows[s] for s in subjects], target)

    def notices(self) -> list[str]:
        return [e.message for e in self.events if isinstance(e, Notice)]


@pytest.fixture
def make_mailbox(tmp_path: Path, mail_servers_session: MailServers,
                 ) -> Iterator[Callable[..., Mailbox]]:
    """`make_mailbox(server, special_folders=True, user=None, incoming=None, **options)`: an
    account for a fresh user (or `user`) on `server`, reading over IMAP (or `incoming`),
    sending through the suite's Postfix."""
    made: list[Mailbox] = []

    def make(server: ImapServer, *, special_folders: bool = True, user: MailUser | None = None,
             incoming: ServerConfig | None = None, **options: object) -> Mailbox:
        user = user or server.new_user(special_folders=special_folders)  # type: ignore[call-arg]
        sender = mail_servers_session.new_user()  # Postfix only accepts its Dovecot's users
        password = f"printf '%s' '{user.password}'"
        incoming = incoming or ServerConfig(
            Protocol.IMAP, server.host, server.imap_tls_port, Security.TLS, user.login,
            ca_file=server.ca_file, timeout=TIMEOUT, password_command=password)
        smtp = ServerConfig(Protocol.SMTP, mail_servers_session.host,
                            mail_servers_session.smtp_starttls_port, Security.STARTTLS,
                            sender.login, ca_file=mail_servers_session.ca_file, timeout=TIMEOUT,
                            password_command=f"printf '%s' '{sender.password}'")
        account = Account(name="work", address=Address("Me", sender.address), incoming=incoming,
                          smtp=smtp, **options)  # type: ignore[arg-type]
        cache = tmp_path / f"cache-{len(made)}.sqlite3"
        service = MailService([account], cache, settings=ServiceSettings(background=False))
        mailbox = Mailbox(server, user, account, cache, service)
        made.append(mailbox)
        return mailbox

    yield make
    for mailbox in made:
        mailbox.service.stop(timeout=5)
