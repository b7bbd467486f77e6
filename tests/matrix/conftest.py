"""The server matrix: tests that describe what an IMAP server does, run against each server.

A test takes `imap_server` (every server of `MATRIX`) or `namespace_server` (also the other
Cyrus combinations), makes a `Mailbox` for a fresh user and drives tui-mail's mail service the
way the app and the CLI do; `Mailbox.other()` is another client changing the mailbox, over
plain IMAP. Servers start on first use and stay up for the session (per xdist worker): the
suite's harness holds them (`imap_servers`), so the journeys on Cyrus or Courier use the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.servers.certs import TestCertificates
from tests.servers.dovecot import MailUser
from tests.servers.imap_matrix import MATRIX, NAMESPACE_MATRIX
from tests.servers.imapserver import ImapServer
from tests.servers.mailservers import MailServers
from tests.support.matrix import TIMEOUT, Mailbox
from tui_mail.model import Account, Address, Protocol, Security, ServerConfig
from tui_mail.sync.service import MailService, ServiceSettings

pytestmark = pytest.mark.servers


@pytest.fixture(scope="session")
def matrix_certs(mail_servers_session: MailServers) -> TestCertificates:
    """The suite's certificates: one CA trusts Postfix (sending) and every matrix server."""
    return mail_servers_session.certs


@pytest.fixture(params=MATRIX)
def imap_server(request: pytest.FixtureRequest,
                imap_servers: Callable[[str], ImapServer]) -> ImapServer:
    return imap_servers(request.param)


@pytest.fixture(params=NAMESPACE_MATRIX)
def namespace_server(request: pytest.FixtureRequest,
                     imap_servers: Callable[[str], ImapServer]) -> ImapServer:
    return imap_servers(request.param)


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
