"""The POP3 adapter against the real Dovecot: security modes, login and TLS errors, commands."""

from __future__ import annotations

import dataclasses

import pytest

from tui_mail.errors import AuthError, ServerRefused, TLSError
from tui_mail.model import Security
from tui_mail.remote.connection import Credentials
from tui_mail.remote.pop3 import Pop3Session
from tui_mail.remote.pop3 import probe as pop3_probe

from .env import Pop3Env, message

pytestmark = pytest.mark.servers
MODES = [Security.TLS, Security.STARTTLS]


@pytest.mark.parametrize("security", MODES)
def test_probe_lists_uidl_and_top(pop3: Pop3Env, security: Security) -> None:
    caps = pop3_probe(pop3.server(security), pop3.creds)
    assert "UIDL" in caps and "TOP" in caps


@pytest.mark.parametrize("security", MODES)
def test_wrong_password_names_the_server_words(pop3: Pop3Env, security: Security) -> None:
    with pytest.raises(AuthError) as raised:
        Pop3Session.open(pop3.server(security), Credentials(pop3.username, "wrong password"))
    text = str(raised.value)
    assert "pop3://127.0.0.1" in text and "Authentication failed" in text


@pytest.mark.parametrize("security", MODES)
def test_untrusted_certificate_is_refused_and_names_the_fix(
    pop3: Pop3Env, security: Security
) -> None:
    server = pop3.server(security, ca_file=pop3.servers.wrong_ca_file)
    with pytest.raises(TLSError) as raised:
        Pop3Session.open(server, pop3.creds)
    assert "not trusted" in str(raised.value) and "ca_file" in str(raised.value)


def test_implicit_tls_on_the_starttls_port_says_the_server_does_not_speak_tls(
    pop3: Pop3Env,
) -> None:
    server = dataclasses.replace(pop3.server(Security.STARTTLS), security=Security.TLS)
    with pytest.raises(TLSError, match="does not speak TLS on this port"):
        Pop3Session.open(server, pop3.creds)


def test_commands_return_listing_headers_and_whole_messages(pop3: Pop3Env) -> None:
    pop3.deliver_many([message(1), message(2)])
    with Pop3Session.open(pop3.server(), pop3.creds) as session:
        listing = session.listing()
        count, total = session.stat()
        header = session.top(listing[0].number, 0)
        raw = session.retr(listing[0].number)
        with pytest.raises(ServerRefused, match="RETR 99 refused"):
            session.retr(99)
    assert count == 2 and total == sum(item.size for item in listing)
    assert len({item.uidl for item in listing}) == 2
    assert header.startswith(b"From: ") and b"Body of" not in header
    assert raw.startswith(header) and b"\r\n.a line that starts with a dot\r\n" in raw
    assert len(raw) == listing[0].size


def test_dele_applies_only_at_quit(pop3: Pop3Env) -> None:
    pop3.deliver_many([message(1), message(2)])
    with Pop3Session.open(pop3.server(), pop3.creds) as session:
        session.dele(1)
    assert pop3.on_server() == 2  # dropped without QUIT: nothing deleted
    with Pop3Session.open(pop3.server(), pop3.creds) as session:
        session.dele(1)
        session.quit()
    assert pop3.on_server() == 1


