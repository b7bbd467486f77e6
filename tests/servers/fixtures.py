"""Pytest fixtures for the real mail servers; registered in tests/conftest.py.

Under pytest-xdist every worker process starts its own servers (own temp dir and ports).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import pytest

from .dovecot import Dovecot
from .imapserver import ImapServer
from .mailservers import MailServers, start_mail_servers
from .oauth import OAuthServer


@pytest.fixture(scope="session")
def mail_servers_session() -> Iterator[MailServers]:
    """The servers for this session (or xdist worker), as started; for session-scoped fixtures."""
    servers = start_mail_servers()
    try:
        yield servers
    finally:
        servers.close()


@pytest.fixture
def mail_servers(mail_servers_session: MailServers) -> MailServers:
    """The session's servers, restarted first if an earlier test left one stopped, and the
    OAuth2 server back at its default settings: a test that shortened the device code's life
    to 1 s must not expire the next test's code (seen in a shuffled run)."""
    mail_servers_session.ensure_running()
    mail_servers_session.oauth.reset()
    return mail_servers_session


@pytest.fixture
def oauth_server(mail_servers: MailServers) -> OAuthServer:
    """The session's OAuth2 server with default settings, no failure pending and its count of
    token requests at zero (the tokens issued by earlier tests still work)."""
    mail_servers.oauth.reset()
    return mail_servers.oauth


DovecotVariantFactory = Callable[..., Dovecot]


@pytest.fixture
def dovecot_variant(mail_servers_session: MailServers) -> Iterator[DovecotVariantFactory]:
    """Start extra Dovecots: `dovecot_variant(settings={"ssl": "no"}, extra_config="")`.

    Each has its own ports and Maildirs and the same base users; all stop after the test.
    """
    started: list[Dovecot] = []

    def start(settings: Mapping[str, str] | None = None, extra_config: str = "") -> Dovecot:
        instance = mail_servers_session.start_dovecot_variant(settings, extra_config)
        started.append(instance)
        return instance

    yield start
    for instance in started:
        instance.stop()


@pytest.fixture(scope="session")
def imap_servers(mail_servers_session: MailServers) -> Callable[[str], ImapServer]:
    """`imap_servers("courier")`: a server of tests/servers/imap_matrix.py ("cyrus", "courier",
    ...) from the session's harness (`MailServers.imap_server`): started on first use, kept for
    the session, started again if a test left it stopped."""
    return mail_servers_session.imap_server
