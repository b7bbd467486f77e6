"""The Courier-IMAP test server behaves like a Courier the client will meet, checked with stdlib
clients and imapclient: TLS both ways, userdb logins, Courier's namespace, POP3, restarts."""

from __future__ import annotations

import imaplib
import poplib
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import imapclient
import pytest

from tests.servers.courier import NAMESPACE, SPECIAL_FOLDERS, Courier, start_courier
from tests.servers.dovecot import MailUser
from tests.servers.imapserver import ImapServer, Namespace, other_client
from tests.servers.mailservers import MailServers
from tests.servers.netutil import ServerStartError

if TYPE_CHECKING:  # imported by name, pytest would try to collect the class as tests
    from tests.servers.certs import TestCertificates

pytestmark = pytest.mark.servers


@pytest.fixture(scope="module")
def certs(mail_servers_session: MailServers) -> TestCertificates:
    """The harness's certificates, which the shared Courier's were made from."""
    return mail_servers_session.certs


@pytest.fixture(scope="module")
def courier_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("courier")


@pytest.fixture
def courier(imap_servers: Callable[[str], ImapServer]) -> Courier:
    """The suite's harness's Courier (the matrix and the journeys use the same), started again
    if an earlier test left it stopped."""
    server = imap_servers("courier")
    assert isinstance(server, Courier)
    return server


def tls_context(server: Courier) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(server.ca_file))


def imap_login(server: Courier, user: MailUser, implicit_tls: bool = True) -> imaplib.IMAP4:
    client: imaplib.IMAP4
    if implicit_tls:
        client = imaplib.IMAP4_SSL(server.host, server.imap_tls_port,
                                   ssl_context=tls_context(server), timeout=10)
    else:
        client = imaplib.IMAP4(server.host, server.imap_starttls_port, timeout=10)
        client.starttls(ssl_context=tls_context(server))
    client.login(user.login, user.password)
    return client


def capabilities(client: imaplib.IMAP4) -> set[str]:
    typ, data = client.capability()
    assert typ == "OK"
    return set(data[0].decode().split())


def listed(client: imaplib.IMAP4, command: str = "LIST") -> dict[str, set[str]]:
    """Folder name -> LIST flags."""
    typ, data = client.list() if command == "LIST" else client.lsub()
    assert typ == "OK"
    out = {}
    for line in data:
        flags, _delimiter, name = imapclient.response_parser.parse_response([line])
        out[name.decode() if isinstance(name, bytes) else str(name)] = {
            f.decode() if isinstance(f, bytes) else str(f) for f in flags}
    return out


def test_courier_is_an_imap_server(courier: Courier) -> None:
    assert isinstance(courier, ImapServer)
    assert courier.label == "courier"
    assert courier.namespace == Namespace("INBOX.", ".")
    assert courier.running


def test_implicit_tls_login_verifies_the_certificate(courier: Courier) -> None:
    client = imap_login(courier, courier.users["alice"])
    try:
        assert isinstance(client.sock, ssl.SSLSocket)
        assert client.sock.version() in ("TLSv1.2", "TLSv1.3")
        caps = capabilities(client)
        assert {"IMAP4REV1", "IDLE", "UIDPLUS", "NAMESPACE", "CHILDREN"} <= {c.upper() for c in caps}
    finally:
        client.logout()


def test_certificate_from_another_ca_is_refused(courier: Courier, certs: TestCertificates) -> None:
    context = ssl.create_default_context(cafile=str(certs.wrong_ca_file))
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL(courier.host, courier.imap_tls_port, ssl_context=context, timeout=10)


def test_starttls_port_requires_tls_before_login(courier: Courier) -> None:
    client = imaplib.IMAP4(courier.host, courier.imap_starttls_port, timeout=10)
    before = capabilities(client)
    assert {"STARTTLS", "LOGINDISABLED"} <= before
    client.starttls(ssl_context=tls_context(courier))
    after = capabilities(client)
    assert "STARTTLS" not in after and "LOGINDISABLED" not in after
    alice = courier.users["alice"]
    assert client.login(alice.login, alice.password)[0] == "OK"
    client.logout()


@pytest.mark.slow  # Courier waits five seconds before it answers a failed login
def test_wrong_password_is_refused(courier: Courier) -> None:
    alice = courier.users["alice"]
    client = imaplib.IMAP4_SSL(courier.host, courier.imap_tls_port,
                               ssl_context=tls_context(courier), timeout=20)
    with pytest.raises(imaplib.IMAP4.error, match="Login failed"):
        client.login(alice.login, alice.password + "x")
    client.shutdown()


def test_namespace_command_answers_the_declared_namespace(courier: Courier) -> None:
    client = imapclient.IMAPClient(courier.host, courier.imap_tls_port, ssl=True,
                                   ssl_context=tls_context(courier), timeout=10)
    try:
        alice = courier.users["alice"]
        client.login(alice.login, alice.password)
        personal = client.namespace().personal
        assert [(prefix, delimiter) for prefix, delimiter in personal] == [
            (NAMESPACE.prefix, NAMESPACE.delimiter)]
    finally:
        client.logout()


def test_new_user_has_the_special_folders_subscribed(courier: Courier) -> None:
    user = courier.new_user()
    client = imap_login(courier, user)
    try:
        folders = listed(client)
        expected = {NAMESPACE.folder(name) for name in SPECIAL_FOLDERS}
        assert set(folders) == {"INBOX", *expected}
        # No SPECIAL-USE: Courier marks none of them, a client must go by the names.
        assert all(not flags & {"\\Sent", "\\Drafts", "\\Trash", "\\Junk", "\\Archive"}
                   for flags in folders.values())
        assert expected <= set(listed(client, "LSUB"))
        client.select(NAMESPACE.folder("Sent"))
    finally:
        client.logout()


def test_new_user_without_special_folders_has_only_inbox(courier: Courier) -> None:
    user = courier.new_user(special_folders=False)
    client = imap_login(courier, user)
    try:
        assert set(listed(client)) == {"INBOX"}
        assert client.create(NAMESPACE.folder("Sent"))[0] == "OK"
        assert NAMESPACE.folder("Sent") in listed(client)
    finally:
        client.logout()


def test_new_users_are_distinct_and_log_in_at_once(courier: Courier) -> None:
    first, second = courier.new_user(), courier.new_user()
    assert first.login != second.login and first.password != second.password
    for user in (first, second):
        imap_login(courier, user).logout()


def test_users_added_when_the_spares_run_out_can_log_in(courier: Courier) -> None:
    courier._spare_users.clear()  # the next new_user() writes a new batch into the userdb
    user = courier.new_user()
    imap_login(courier, user).logout()


def test_append_fetch_round_trip(courier: Courier) -> None:
    user = courier.new_user()
    raw = b"From: a@example.test\r\nSubject: round trip\r\n\r\nbody \xc3\xa9\r\n"
    with other_client(courier, user) as other:
        uid = other.deliver(raw, flags=["\\Flagged"])
        assert other.uids() == [uid]
        assert "\\Flagged" in other.flags("INBOX", uid)
        other.client.select_folder("INBOX", readonly=True)
        assert other.client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"] == raw


def test_fetch_answers_header_fields_with_quoted_names(courier: Courier) -> None:
    """Courier quotes the field names in the FETCH answer: BODY[HEADER.FIELDS ("SUBJECT")].

    Legal IMAP (they are astrings), but a client that looks the answer up by the exact text
    it asked for finds nothing.
    """
    user = courier.new_user()
    with other_client(courier, user) as other:
        uid = other.deliver(b"Subject: quoted\r\n\r\nx\r\n")
        other.client.select_folder("INBOX", readonly=True)
        answer = other.client.fetch([uid], ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])[uid]
    assert set(answer) - {b"SEQ"} == {b'BODY[HEADER.FIELDS ("SUBJECT")]'}


def test_create_folder_under_inbox(courier: Courier) -> None:
    user = courier.new_user()
    with other_client(courier, user) as other:
        other.create(other.folder("Work"))
        other.create(other.folder("Work", "2024"))
        uid = other.deliver(b"Subject: filed\r\n\r\nx\r\n", folder=other.folder("Work", "2024"))
        assert other.uids("INBOX.Work.2024") == [uid]
        assert {"INBOX.Work", "INBOX.Work.2024"} <= set(other.folders())
        # Every personal folder lives under INBOX.
        with pytest.raises(imapclient.exceptions.IMAPClientError):
            other.create("Toplevel")
    assert (courier.maildir_of(user, "INBOX.Work.2024") / "cur").is_dir()


def test_stop_and_start_keep_the_messages(courier: Courier) -> None:
    user = courier.new_user()
    with other_client(courier, user) as other:
        uid = other.deliver(b"Subject: kept\r\n\r\nx\r\n", folder=other.folder("Sent"))
    ports = (courier.imap_tls_port, courier.imap_starttls_port, courier.pop3_tls_port)
    courier.stop()
    assert not courier.running
    with pytest.raises(OSError):
        socket.create_connection((courier.host, courier.imap_tls_port), timeout=2).close()
    courier.start()
    assert (courier.imap_tls_port, courier.imap_starttls_port, courier.pop3_tls_port) == ports
    with other_client(courier, user) as other:
        assert other.uids(other.folder("Sent")) == [uid]
        other.client.select_folder(other.folder("Sent"), readonly=True)
        assert other.client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"] == (
            b"Subject: kept\r\n\r\nx\r\n")


def test_stop_closes_connected_clients(courier: Courier) -> None:
    client = imap_login(courier, courier.users["bob"])
    client.select("INBOX")
    courier.stop()
    with pytest.raises((imaplib.IMAP4.abort, OSError)):
        client.noop()
        client.noop()
    courier.start()


def test_pop3_over_tls_retrieves_a_message(courier: Courier) -> None:
    user = courier.new_user()
    raw = b"Subject: by pop\r\n\r\nline one\r\n"
    with other_client(courier, user) as other:
        other.deliver(raw)
    client = poplib.POP3_SSL(courier.host, courier.pop3_tls_port, context=tls_context(courier),
                             timeout=10)
    try:
        client.user(user.login)
        client.pass_(user.password)
        assert client.stat()[0] == 1
        _response, lines, _size = client.retr(1)
        assert lines == [b"Subject: by pop", b"", b"line one"]
        assert len(client.uidl()[1]) == 1
    finally:
        client.quit()


def test_idle_reports_a_new_message_at_once(courier: Courier) -> None:
    user = courier.new_user()
    client = imap_login(courier, user)
    try:
        client.select("INBOX")
        tag = client._new_tag()
        client.send(tag + b" IDLE\r\n")
        assert client.readline().startswith(b"+ entering ENHANCED idle mode")

        def deliver() -> None:
            with other_client(courier, user) as other:
                other.deliver(b"Subject: while idle\r\n\r\nx\r\n")

        started = time.monotonic()
        threading.Thread(target=deliver).start()
        client.sock.settimeout(15)
        line = client.readline()
        assert line == b"* 1 EXISTS\r\n"
        assert time.monotonic() - started < 10
        client.send(b"DONE\r\n")
        while not client.readline().startswith(tag):
            pass
    finally:
        client.logout()


def test_two_instances_run_at_once(courier_root: Path, certs: TestCertificates,
                                   courier: Courier) -> None:
    other = start_courier(courier_root, certs)
    try:
        assert {other.imap_tls_port, other.imap_starttls_port, other.pop3_tls_port}.isdisjoint(
            {courier.imap_tls_port, courier.imap_starttls_port, courier.pop3_tls_port})
        theirs, ours = other.new_user(), courier.new_user()
        with other_client(other, theirs) as client:
            client.deliver(b"Subject: theirs\r\n\r\nx\r\n")
        with other_client(courier, ours) as client:
            assert client.uids() == []
        # Each instance has its own authdaemond and userdb: alice's password differs.
        assert other.users["alice"].password != courier.users["alice"].password
        imap_login(other, other.users["alice"]).logout()
        imap_login(courier, courier.users["alice"]).logout()
    finally:
        other.stop()
    assert courier.running


def test_a_taken_port_is_a_start_error_with_the_log(courier_root: Path,
                                                    certs: TestCertificates) -> None:
    server = Courier(courier_root / "taken-port", certs)
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind((server.host, server.pop3_tls_port))
        squatter.listen()
        with pytest.raises(ServerStartError, match="(?s)pop3s.*Address already in use"):
            server.start()
    assert not server.running


_ORPHAN_SCRIPT = """
import sys, time
from pathlib import Path
from tests.servers.certs import write_certificates
from tests.servers.courier import start_courier
root = Path(sys.argv[1])
server = start_courier(root, write_certificates(root / "tls"))
print(" ".join(str(p.pid) for _name, p in server._processes), flush=True)
time.sleep(60)
"""


def test_daemons_die_with_the_test_process(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", _ORPHAN_SCRIPT, str(tmp_path)],
                             stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2])
    try:
        assert child.stdout is not None
        pids = [int(pid) for pid in child.stdout.readline().split()]
        assert len(pids) == 4
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    deadline = time.monotonic() + 10
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [pid for pid in pids if _alive(pid)]
    assert alive == []


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"
