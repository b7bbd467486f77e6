"""The test servers behave like the real servers the client will meet, checked with stdlib clients."""

from __future__ import annotations

import imaplib
import poplib
import smtplib
import socket
import ssl
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest

from tests.servers.dovecot import CAPABILITY_WITHOUT_CONDSTORE, SPECIAL_USE_FOLDERS, MailUser
from tests.servers.mailservers import MailServers

pytestmark = pytest.mark.servers


def tls_context(ca_file) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file))


def imap_login(servers: MailServers, user: MailUser, implicit_tls: bool) -> imaplib.IMAP4:
    context = tls_context(servers.ca_file)
    client: imaplib.IMAP4
    if implicit_tls:
        client = imaplib.IMAP4_SSL(servers.host, servers.imap_tls_port, ssl_context=context,
                                   timeout=10)
    else:
        client = imaplib.IMAP4(servers.host, servers.imap_starttls_port, timeout=10)
        client.starttls(ssl_context=context)
    client.login(user.login, user.password)
    return client


def simple_message(sender: str, recipient: str, subject: str, body: str = "hello") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = f"<{subject.replace(' ', '-')}@example.test>"
    message.set_content(body)
    return message.as_bytes()


def wait_for_count(servers: MailServers, user: MailUser, expected: int, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    count = servers.message_count(user)
    while count < expected and time.monotonic() < deadline:
        time.sleep(0.1)
        count = servers.message_count(user)
    return count


def submit(servers: MailServers, sender: MailUser, recipients: list[str], raw: bytes,
           implicit_tls: bool) -> dict:
    context = tls_context(servers.ca_file)
    client: smtplib.SMTP
    if implicit_tls:
        client = smtplib.SMTP_SSL(servers.host, servers.smtp_tls_port, context=context, timeout=10)
    else:
        client = smtplib.SMTP(servers.host, servers.smtp_starttls_port, timeout=10)
        client.starttls(context=context)
    with client:
        client.login(sender.login, sender.password)
        return client.sendmail(sender.address, recipients, raw)


# ----- IMAP -------------------------------------------------------------------------------


@pytest.mark.parametrize("implicit_tls", [True, False], ids=["implicit-tls", "starttls"])
def test_imap_login_works_on_both_ports(mail_servers: MailServers, implicit_tls: bool) -> None:
    client = imap_login(mail_servers, mail_servers.users["alice"], implicit_tls)
    try:
        typ, data = client.select("INBOX")
        assert typ == "OK"
        assert b"CONDSTORE" in client.capability()[1][0]
    finally:
        client.logout()


def test_imap_refuses_a_wrong_password(mail_servers: MailServers) -> None:
    alice = mail_servers.users["alice"]
    wrong = MailUser(alice.login, alice.password + "x", alice.address)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        imap_login(mail_servers, wrong, implicit_tls=True)


def test_special_use_folders_exist_and_are_subscribed(mail_servers: MailServers) -> None:
    client = imap_login(mail_servers, mail_servers.new_user(), implicit_tls=True)
    try:
        _, listed = client.list()
        _, subscribed = client.lsub()
    finally:
        client.logout()
    def by_name(lines: list[Any]) -> dict[str, str]:  # imaplib types its data loosely
        decoded = [line.decode() for line in lines]
        return {line.rsplit(" ", 1)[-1].strip('"'): line for line in decoded}

    listed_by_name, subscribed_by_name = by_name(listed), by_name(subscribed)
    for name, flag in SPECIAL_USE_FOLDERS.items():
        assert flag in listed_by_name[name]
        assert name in subscribed_by_name


def test_wrong_ca_file_fails_certificate_verification(mail_servers: MailServers) -> None:
    context = tls_context(mail_servers.wrong_ca_file)
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL(mail_servers.host, mail_servers.imap_tls_port, ssl_context=context,
                          timeout=10)
    with pytest.raises(ssl.SSLCertVerificationError):
        smtplib.SMTP_SSL(mail_servers.host, mail_servers.smtp_tls_port, context=context,
                         timeout=10)


def test_certificate_is_valid_for_localhost_too(mail_servers: MailServers) -> None:
    context = tls_context(mail_servers.ca_file)
    client = imaplib.IMAP4_SSL("localhost", mail_servers.imap_tls_port, ssl_context=context,
                               timeout=10)
    client.logout()


# ----- POP3 -------------------------------------------------------------------------------


@pytest.mark.parametrize("implicit_tls", [True, False], ids=["implicit-tls", "stls"])
def test_pop3_login_works_on_both_ports(mail_servers: MailServers, implicit_tls: bool) -> None:
    user = mail_servers.new_user()
    mail_servers.deliver(user, simple_message("a@example.test", user.address, "pop me"))
    context = tls_context(mail_servers.ca_file)
    client: poplib.POP3
    if implicit_tls:
        client = poplib.POP3_SSL(mail_servers.host, mail_servers.pop3_tls_port, context=context,
                                 timeout=10)
    else:
        client = poplib.POP3(mail_servers.host, mail_servers.pop3_starttls_port, timeout=10)
        client.stls(context=context)
    try:
        client.user(user.login)
        client.pass_(user.password)
        count, _size = client.stat()
        _, lines, _ = client.retr(1)
    finally:
        client.quit()
    assert count == 1
    assert b"Subject: pop me" in lines


# ----- SMTP -------------------------------------------------------------------------------


def test_submission_port_offers_auth_only_after_starttls(mail_servers: MailServers) -> None:
    with smtplib.SMTP(mail_servers.host, mail_servers.smtp_starttls_port, timeout=10) as client:
        client.ehlo()
        assert not client.has_extn("auth")
        assert client.has_extn("starttls")
        client.starttls(context=tls_context(mail_servers.ca_file))
        client.ehlo()
        assert client.has_extn("auth")


@pytest.mark.parametrize("implicit_tls", [True, False], ids=["implicit-tls", "starttls"])
def test_mail_submitted_by_alice_arrives_in_the_recipients_inbox(
    mail_servers: MailServers, implicit_tls: bool
) -> None:
    alice = mail_servers.users["alice"]
    recipient = mail_servers.new_user()
    raw = simple_message(alice.address, recipient.address, f"via {implicit_tls}")
    refused = submit(mail_servers, alice, [recipient.address], raw, implicit_tls)
    assert refused == {}
    assert wait_for_count(mail_servers, recipient, 1) == 1
    subjects = mail_servers.doveadm("-f", "tab", "fetch", "-u", recipient.login,
                                    "hdr.subject", "mailbox", "INBOX", "all").stdout
    assert f"via {implicit_tls}" in subjects


def test_relaying_without_auth_is_refused(mail_servers: MailServers) -> None:
    bob = mail_servers.users["bob"]
    with smtplib.SMTP(mail_servers.host, mail_servers.smtp_starttls_port, timeout=10) as client:
        client.starttls(context=tls_context(mail_servers.ca_file))
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail("x@elsewhere.test", [bob.address], b"Subject: x\r\n\r\nx\r\n")


def test_a_message_over_the_size_limit_is_refused(mail_servers: MailServers) -> None:
    alice = mail_servers.users["alice"]
    body = b"x" * 76 + b"\r\n"
    raw = b"Subject: big\r\n\r\n" + body * (mail_servers.message_size_limit // len(body) + 10)
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        submit(mail_servers, alice, [mail_servers.users["bob"].address], raw, implicit_tls=True)
    assert refused.value.smtp_code == 552


def test_the_rejected_recipient_is_refused_with_550(mail_servers: MailServers) -> None:
    alice = mail_servers.users["alice"]
    raw = simple_message(alice.address, mail_servers.rejected_recipient, "no")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        submit(mail_servers, alice, [mail_servers.rejected_recipient], raw, implicit_tls=True)
    assert refused.value.recipients[mail_servers.rejected_recipient][0] == 550


# ----- outages ----------------------------------------------------------------------------


def test_dovecot_stops_and_starts_on_the_same_port_with_the_same_mail(
    mail_servers: MailServers,
) -> None:
    user = mail_servers.new_user()
    mail_servers.deliver(user, simple_message("a@example.test", user.address, "kept"))
    port = mail_servers.imap_tls_port
    with mail_servers.dovecot_stopped(), pytest.raises(OSError):
        socket.create_connection((mail_servers.host, port), timeout=2).close()
    assert mail_servers.imap_tls_port == port
    client = imap_login(mail_servers, user, implicit_tls=True)
    try:
        _, data = client.select("INBOX")
    finally:
        client.logout()
    assert data == [b"1"]


def test_postfix_stops_and_starts_again(mail_servers: MailServers) -> None:
    alice = mail_servers.users["alice"]
    recipient = mail_servers.new_user()
    mail_servers.stop_postfix()
    with pytest.raises(OSError):
        smtplib.SMTP(mail_servers.host, mail_servers.smtp_starttls_port, timeout=2)
    mail_servers.start_postfix()
    raw = simple_message(alice.address, recipient.address, "after restart")
    assert submit(mail_servers, alice, [recipient.address], raw, implicit_tls=False) == {}
    assert wait_for_count(mail_servers, recipient, 1) == 1


def test_killing_imap_processes_drops_logged_in_clients(mail_servers: MailServers) -> None:
    client = imap_login(mail_servers, mail_servers.users["carol"], implicit_tls=True)
    client.select("INBOX")
    assert mail_servers.kill_imap_processes() >= 1
    with pytest.raises((imaplib.IMAP4.abort, OSError)):
        client.noop()
    fresh = imap_login(mail_servers, mail_servers.users["carol"], implicit_tls=True)
    fresh.logout()


# ----- delivery helpers -------------------------------------------------------------------


def test_deliver_sets_flags_and_keywords_and_returns_the_uid(mail_servers: MailServers) -> None:
    user = mail_servers.new_user()
    first = mail_servers.deliver(user, simple_message("a@example.test", user.address, "one"))
    second = mail_servers.deliver(user, simple_message("a@example.test", user.address, "two"),
                                  folder="Archive", flags=["\\Seen", "\\Flagged", "$Work"],
                                  received=datetime(2024, 3, 1, 12, 0, tzinfo=UTC))
    third = mail_servers.deliver(user, simple_message("a@example.test", user.address, "three"))
    assert (first, third) == (1, 2)
    client = imap_login(mail_servers, user, implicit_tls=True)
    try:
        client.select("Archive")
        _, data = client.uid("FETCH", str(second), "(FLAGS INTERNALDATE)")
    finally:
        client.logout()
    flags = data[0].decode()
    assert "\\Seen" in flags and "\\Flagged" in flags and "$Work" in flags
    parsed = imaplib.Internaldate2tuple(data[0])
    assert parsed is not None
    internal_date = time.mktime(parsed)
    assert internal_date == datetime(2024, 3, 1, 12, 0, tzinfo=UTC).timestamp()


def test_deliver_many_keeps_the_given_order(mail_servers: MailServers) -> None:
    user = mail_servers.new_user()
    messages = [simple_message("a@example.test", user.address, f"number {i}") for i in range(300)]
    mail_servers.deliver_many(user, messages, folder="Lists/bulk")
    listing = mail_servers.doveadm("-f", "tab", "fetch", "-u", user.login, "uid hdr.subject",
                                   "mailbox", "Lists/bulk", "all").stdout.splitlines()[1:]
    assert [line.split("\t") for line in listing] == [
        [str(i + 1), f"number {i}"] for i in range(300)
    ]


def test_new_user_can_log_in_at_once(mail_servers: MailServers) -> None:
    user = mail_servers.new_user()
    assert user.login.endswith("@example.test") and user.login == user.address
    imap_login(mail_servers, user, implicit_tls=False).logout()


# ----- variants ---------------------------------------------------------------------------


def test_variant_with_ssl_off_offers_no_starttls(mail_servers: MailServers,
                                                 dovecot_variant) -> None:
    plain = dovecot_variant(settings={"ssl": "no", "disable_plaintext_auth": "no"})
    assert plain.ports.imap_tls is None
    client = imaplib.IMAP4(mail_servers.host, plain.ports.imap_starttls, timeout=10)
    try:
        assert "STARTTLS" not in client.capabilities
        with pytest.raises(imaplib.IMAP4.error):
            client.starttls(ssl_context=tls_context(mail_servers.ca_file))
    finally:
        client.shutdown()


def test_variant_without_condstore_hides_it(mail_servers: MailServers, dovecot_variant) -> None:
    variant = dovecot_variant(settings={"imap_capability": CAPABILITY_WITHOUT_CONDSTORE})
    alice = variant.users["alice"]
    assert alice == mail_servers.users["alice"]
    client = imaplib.IMAP4_SSL(mail_servers.host, variant.ports.imap_tls,
                               ssl_context=tls_context(mail_servers.ca_file), timeout=10)
    try:
        client.login(alice.login, alice.password)
        capabilities = client.capability()[1][0].split()
    finally:
        client.logout()
    assert b"CONDSTORE" not in capabilities and b"QRESYNC" not in capabilities
    assert b"IDLE" in capabilities
