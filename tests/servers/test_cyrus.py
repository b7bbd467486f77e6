"""The Cyrus IMAP test server (tests/servers/cyrus.py) in each namespace variant, checked with
stdlib and imapclient clients."""

from __future__ import annotations

import imaplib
import os
import poplib
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import imapclient
import pytest

from tests.servers.certs import TestCertificates as Certificates
from tests.servers.certs import write_certificates
from tests.servers.cyrus import BINARIES, VARIANTS, Cyrus, start_cyrus
from tests.servers.dovecot import SPECIAL_USE_FOLDERS, MailUser
from tests.servers.imapserver import ImapServer, Namespace, other_client
from tests.servers.netutil import ServerStartError

pytestmark = pytest.mark.servers



@pytest.fixture(scope="session")
def cyrus_root() -> Iterator[tuple[Path, Certificates]]:
    # Not pytest's tmp_path: the Cyrus processes run as `nobody` and must be able to enter it.
    shm = Path("/dev/shm")
    parent = shm if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None
    root = Path(tempfile.mkdtemp(prefix="tui-mail-cyrus-", dir=parent))
    root.chmod(0o755)
    try:
        yield root, write_certificates(root / "tls")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=list(VARIANTS), ids=list(VARIANTS))
def cyrus(request: pytest.FixtureRequest, imap_servers: Callable[[str], ImapServer]) -> Cyrus:
    """One running Cyrus per variant and xdist worker, shared by the tests: the suite's
    harness's (the matrix and the journeys use the same), started again if a test left it
    stopped."""
    server = imap_servers(request.param)
    assert isinstance(server, Cyrus)
    return server


@pytest.fixture
def own_cyrus(request, cyrus_root) -> Iterator[Cyrus]:
    """A Cyrus for this test alone (default variant; parametrize indirectly with a label)."""
    altnamespace, unixhierarchysep = VARIANTS[getattr(request, "param", "cyrus")]
    root, certs = cyrus_root
    server = start_cyrus(root, certs, altnamespace=altnamespace,
                         unixhierarchysep=unixhierarchysep)
    try:
        yield server
    finally:
        server.remove()


def context(server: ImapServer) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(server.ca_file))


def imap_login(server: ImapServer, user: MailUser, implicit_tls: bool = True) -> imaplib.IMAP4:
    client: imaplib.IMAP4
    if implicit_tls:
        client = imaplib.IMAP4_SSL(server.host, server.imap_tls_port,
                                   ssl_context=context(server), timeout=10)
    else:
        client = imaplib.IMAP4(server.host, server.imap_starttls_port, timeout=10)
        client.starttls(ssl_context=context(server))
    client.login(user.login, user.password)
    return client


def message(subject: str, body: str = "hello") -> bytes:
    mail = EmailMessage()
    mail["From"] = "sender@example.test"
    mail["To"] = "someone@example.test"
    mail["Subject"] = subject
    mail["Message-ID"] = f"<{subject.replace(' ', '-')}@example.test>"
    mail.set_content(body)
    return mail.as_bytes().replace(b"\n", b"\r\n")


def listing(server: ImapServer, user: MailUser) -> dict[str, set[str]]:
    """Folder name -> its LIST flags, as `user` sees them."""
    with imapclient.IMAPClient(server.host, server.imap_tls_port, ssl=True,
                               ssl_context=context(server), timeout=10) as client:
        client.login(user.login, user.password)
        return {name: {flag.decode() for flag in flags}
                for flags, _delimiter, name in client.list_folders()}


# ----- start, TLS, logins ----------------------------------------------------------------


def test_the_binaries_find_all_their_libraries(cyrus: Cyrus) -> None:
    for name in BINARIES:
        done = subprocess.run(["ldd", str(cyrus.binary(name))], env=cyrus.environment(),
                              capture_output=True, text=True, check=True)
        assert "not found" not in done.stdout, f"{name}: {done.stdout}"


def test_is_an_imap_server_with_its_label(cyrus: Cyrus) -> None:
    assert isinstance(cyrus, ImapServer)
    assert cyrus.label == next(k for k, v in VARIANTS.items()
                               if v == (cyrus.altnamespace, cyrus.unixhierarchysep))


@pytest.mark.parametrize("implicit_tls", [True, False], ids=["imaps", "starttls"])
def test_login_with_certificate_verification(cyrus: Cyrus, implicit_tls: bool) -> None:
    client = imap_login(cyrus, cyrus.users["alice"], implicit_tls)
    try:
        assert client.select("INBOX")[0] == "OK"
    finally:
        client.logout()


def test_the_starttls_port_offers_no_login_before_tls(cyrus: Cyrus) -> None:
    client = imaplib.IMAP4(cyrus.host, cyrus.imap_starttls_port, timeout=10)
    try:
        assert "STARTTLS" in client.capabilities
        assert "LOGINDISABLED" in client.capabilities
        assert not any(c.startswith("AUTH=") for c in client.capabilities)
    finally:
        client.shutdown()


def test_the_certificate_is_checked(cyrus: Cyrus) -> None:
    wrong = ssl.create_default_context(cafile=str(cyrus.certs.wrong_ca_file))
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL(cyrus.host, cyrus.imap_tls_port, ssl_context=wrong, timeout=10)


def test_a_wrong_password_is_refused(cyrus: Cyrus) -> None:
    user = cyrus.users["bob"]
    client = imaplib.IMAP4_SSL(cyrus.host, cyrus.imap_tls_port, ssl_context=context(cyrus),
                               timeout=10)
    try:
        with pytest.raises(imaplib.IMAP4.error):
            client.login(user.login, user.password + "x")
        with pytest.raises(imaplib.IMAP4.error):
            client.authenticate("PLAIN", lambda _: f"\0{user.login}\0wrong".encode())
        with pytest.raises(imaplib.IMAP4.error):
            client.login("nobody-here", user.password)
    finally:
        client.shutdown()


def test_authenticate_plain_and_imapclient_login(cyrus: Cyrus) -> None:
    user = cyrus.new_user()
    client = imaplib.IMAP4_SSL(cyrus.host, cyrus.imap_tls_port, ssl_context=context(cyrus),
                               timeout=10)
    try:
        typ, _ = client.authenticate("PLAIN",
                                     lambda _: f"\0{user.login}\0{user.password}".encode())
        assert typ == "OK"
    finally:
        client.logout()
    with imapclient.IMAPClient(cyrus.host, cyrus.imap_tls_port, ssl=True,
                               ssl_context=context(cyrus), timeout=10) as other:
        other.plain_login(user.login, user.password)
        assert other.select_folder("INBOX")[b"EXISTS"] == 0


def test_namespace_is_what_the_server_announces(cyrus: Cyrus) -> None:
    with imapclient.IMAPClient(cyrus.host, cyrus.imap_tls_port, ssl=True,
                               ssl_context=context(cyrus), timeout=10) as client:
        client.login(cyrus.users["carol"].login, cyrus.users["carol"].password)
        answer = client.namespace()
    assert [Namespace(prefix, delimiter) for prefix, delimiter in answer.personal] == [
        cyrus.namespace]
    assert [prefix for prefix, _ in answer.other] == [cyrus.other_users_prefix]
    assert [prefix for prefix, _ in answer.shared] == [cyrus.shared_prefix]
    expected = {(False, False): "INBOX.", (False, True): "INBOX/", (True, False): "",
                (True, True): ""}[(cyrus.altnamespace, cyrus.unixhierarchysep)]
    assert cyrus.namespace.prefix == expected
    assert cyrus.namespace.delimiter == ("/" if cyrus.unixhierarchysep else ".")


# ----- folders and messages --------------------------------------------------------------


def test_a_new_user_has_the_special_use_folders(cyrus: Cyrus) -> None:
    user = cyrus.new_user()
    folders = listing(cyrus, user)
    expected = {"INBOX", *(cyrus.namespace.folder(name) for name in SPECIAL_USE_FOLDERS)}
    assert set(folders) == expected
    for name, flag in SPECIAL_USE_FOLDERS.items():
        assert flag in folders[cyrus.namespace.folder(name)]
    with imapclient.IMAPClient(cyrus.host, cyrus.imap_tls_port, ssl=True,
                               ssl_context=context(cyrus), timeout=10) as client:
        client.login(user.login, user.password)
        subscribed = {name for _flags, _d, name in client.list_sub_folders()}
    assert subscribed >= {cyrus.namespace.folder(name) for name in SPECIAL_USE_FOLDERS}


def test_base_users_have_the_special_use_folders(cyrus: Cyrus) -> None:
    folders = listing(cyrus, cyrus.users["dave"])
    assert "\\Sent" in folders[cyrus.namespace.folder("Sent")]


def test_a_bare_user_has_only_inbox_and_creates_folders_in_the_namespace(cyrus: Cyrus) -> None:
    user = cyrus.new_user(special_folders=False)
    assert set(listing(cyrus, user)) == {"INBOX"}
    with other_client(cyrus, user) as client:
        client.create(client.folder("Sent"))
        client.create(client.folder("Work", "2024"))
    folders = listing(cyrus, user)
    assert set(folders) >= {cyrus.namespace.folder("Sent"), cyrus.namespace.folder("Work", "2024")}
    assert not any(flag.startswith("\\Sent") for flag in folders[cyrus.namespace.folder("Sent")])


def test_append_and_fetch(cyrus: Cyrus) -> None:
    user = cyrus.new_user()
    with other_client(cyrus, user) as client:
        uid = client.deliver(message("round trip"), flags=["\\Seen", "$Label1"])
        sent_uid = client.deliver(message("in sent"), folder=client.folder("Sent"))
        assert client.uids() == [uid]
        assert client.subjects() == ["round trip"]
        assert {"\\Seen", "$Label1"} <= client.flags("INBOX", uid)
        assert client.subjects(client.folder("Sent")) == ["in sent"]
        assert client.uids(client.folder("Sent")) == [sent_uid]
        client.client.select_folder("INBOX")
        body = client.client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
    assert b"Subject: round trip" in body


def test_two_instances_do_not_share_anything(cyrus: Cyrus, own_cyrus: Cyrus) -> None:
    assert not {cyrus.imap_tls_port, cyrus.imap_starttls_port, cyrus.pop3_tls_port} & {
        own_cyrus.imap_tls_port, own_cyrus.imap_starttls_port, own_cyrus.pop3_tls_port}
    assert cyrus.root != own_cyrus.root
    alice_there = cyrus.users["alice"]
    assert alice_there.password != own_cyrus.users["alice"].password
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(own_cyrus, alice_there)
    with other_client(own_cyrus, own_cyrus.users["alice"]) as client:
        client.deliver(message("only here"))
    with other_client(cyrus, alice_there) as client:
        assert "only here" not in client.subjects()


def test_stop_and_start_keep_the_mail(cyrus: Cyrus) -> None:
    user = cyrus.new_user()
    with other_client(cyrus, user) as client:
        client.deliver(message("kept"))
    connected = imap_login(cyrus, user)
    try:
        cyrus.stop()
        assert not cyrus.running
        with pytest.raises((OSError, imaplib.IMAP4.abort)):
            connected.noop()
    finally:
        connected.shutdown()
    with pytest.raises(OSError):
        socket.create_connection((cyrus.host, cyrus.imap_tls_port), timeout=1)
    cyrus.start()
    assert cyrus.running
    with other_client(cyrus, user) as again:
        assert again.subjects() == ["kept"]
        assert set(again.folders()) >= {cyrus.namespace.folder("Trash")}


def test_pop3_over_tls(cyrus: Cyrus) -> None:
    user = cyrus.new_user()
    with other_client(cyrus, user) as client:
        client.deliver(message("by pop"))
    pop = poplib.POP3_SSL(cyrus.host, cyrus.pop3_tls_port, context=context(cyrus), timeout=10)
    try:
        pop.user(user.login)
        pop.pass_(user.password)
        count, _size = pop.stat()
        assert count == 1
        _resp, lines, _octets = pop.retr(1)
        assert b"Subject: by pop" in lines
        assert pop.uidl(1).split()[-1]
    finally:
        pop.quit()
    wrong = poplib.POP3_SSL(cyrus.host, cyrus.pop3_tls_port, context=context(cyrus), timeout=10)
    try:
        wrong.user(user.login)
        with pytest.raises(poplib.error_proto):
            wrong.pass_("not-it")
    finally:
        wrong.close()


def test_idle_reports_a_new_message(cyrus: Cyrus) -> None:
    user = cyrus.new_user()
    with imapclient.IMAPClient(cyrus.host, cyrus.imap_tls_port, ssl=True,
                               ssl_context=context(cyrus), timeout=10) as watcher:
        watcher.login(user.login, user.password)
        watcher.select_folder("INBOX")
        watcher.idle()
        try:
            with other_client(cyrus, user) as client:
                client.deliver(message("while idle"))
            started = time.monotonic()
            responses = watcher.idle_check(timeout=5)
        finally:
            watcher.idle_done()
    assert (1, b"EXISTS") in responses
    assert time.monotonic() - started < 3


# ----- other users' and shared folders ---------------------------------------------------


@pytest.mark.parametrize("folder", ["Trash", "Sent", "Projects"])
def test_a_shared_personal_folder_is_seen_by_the_grantee(cyrus: Cyrus, folder: str) -> None:
    owner, grantee = cyrus.new_user(), cyrus.new_user()
    with other_client(cyrus, owner) as client:
        if folder == "Projects":
            client.create(client.folder(folder))
        client.deliver(message(f"shared {folder}"), folder=client.folder(folder))
    seen_as = cyrus.share_folder(owner, folder, grantee)
    assert seen_as == cyrus.other_users_prefix + cyrus.delimiter.join([owner.login, folder])
    assert seen_as.startswith("Other Users" if cyrus.altnamespace else "user")
    assert seen_as in listing(cyrus, grantee)
    with other_client(cyrus, grantee) as client:
        assert client.subjects(seen_as) == [f"shared {folder}"]
        client.deliver(message("from the grantee"), folder=seen_as)
    with other_client(cyrus, owner) as client:
        assert len(client.uids(client.folder(folder))) == 2
    stranger = cyrus.new_user()
    assert seen_as not in listing(cyrus, stranger)


def test_a_shared_inbox(cyrus: Cyrus) -> None:
    owner, grantee = cyrus.new_user(), cyrus.new_user()
    seen_as = cyrus.share_folder(owner, "INBOX", grantee)
    assert seen_as == cyrus.other_users_prefix + owner.login
    assert seen_as in listing(cyrus, grantee)


def test_a_new_personal_folder_is_created_for_sharing(cyrus: Cyrus) -> None:
    owner, grantee = cyrus.new_user(special_folders=False), cyrus.new_user()
    name = cyrus.delimiter.join(["Team", "Notes"])
    seen_as = cyrus.share_folder(owner, name, grantee)
    assert seen_as in listing(cyrus, grantee)
    assert cyrus.namespace.folder("Team", "Notes") in listing(cyrus, owner)


@pytest.mark.parametrize("name", ["Trash", "Sent", "Announcements"])
def test_a_shared_folder_is_seen_by_the_grantee(cyrus: Cyrus, name: str) -> None:
    grantee = cyrus.new_user()
    unique = f"{name}{grantee.login}" if name == "Announcements" else name
    seen_as = cyrus.create_shared_folder(unique, grantee)
    assert seen_as == (f"Shared Folders{cyrus.delimiter}{unique}" if cyrus.altnamespace
                       else unique)
    folders = listing(cyrus, grantee)
    assert seen_as in folders
    # A shared folder named like a special one is not the user's own special folder.
    assert "\\" + name not in folders[seen_as] or name == "Announcements"
    assert "\\Sent" in folders[cyrus.namespace.folder("Sent")]
    with other_client(cyrus, grantee) as client:
        client.deliver(message(f"to shared {unique}"), folder=seen_as)
        assert f"to shared {unique}" in client.subjects(seen_as)
    assert seen_as not in listing(cyrus, cyrus.new_user())


# ----- the other hierarchy separator -----------------------------------------------------


@pytest.mark.parametrize("own_cyrus", ["cyrus", "cyrus-altns-slash"], indirect=True)
def test_restart_with_the_other_separator_keeps_the_folders(own_cyrus: Cyrus) -> None:
    server = own_cyrus
    user = server.new_user()
    before = server.namespace
    with other_client(server, user) as client:
        client.create(client.folder("Work", "2024"))
        client.deliver(message("deep"), folder=client.folder("Work", "2024"))
        client.deliver(message("sent one"), folder=client.folder("Sent"))
    old_names = set(listing(server, user))

    server.restart_with(unixhierarchysep=not server.unixhierarchysep)

    after = server.namespace
    assert after.delimiter != before.delimiter
    assert after.prefix == before.prefix.replace(before.delimiter, after.delimiter)
    assert server.label.endswith("-slash") == server.unixhierarchysep
    folders = listing(server, user)
    assert set(folders) == {name.replace(before.delimiter, after.delimiter)
                            for name in old_names}
    assert "\\Sent" in folders[after.folder("Sent")]
    with other_client(server, user) as client:
        assert client.subjects(after.folder("Work", "2024")) == ["deep"]
        assert client.subjects(after.folder("Sent")) == ["sent one"]
    with imapclient.IMAPClient(server.host, server.imap_tls_port, ssl=True,
                               ssl_context=context(server), timeout=10) as client:
        client.login(user.login, user.password)
        assert client.namespace().personal[0] == (after.prefix, after.delimiter)


def test_restart_with_altnamespace_moves_the_personal_folders(own_cyrus: Cyrus) -> None:
    user = own_cyrus.new_user()
    own_cyrus.restart_with(altnamespace=True)
    assert own_cyrus.label == "cyrus-altns"
    assert set(listing(own_cyrus, user)) == {"INBOX", *SPECIAL_USE_FOLDERS}


# ----- failures --------------------------------------------------------------------------


def test_a_start_failure_says_what_cyrus_logged(cyrus_root) -> None:
    root, certs = cyrus_root
    server = Cyrus(Path(tempfile.mkdtemp(prefix="broken-", dir=root)), certs)
    (server.config_dir / "server-key.pem").write_text("not a key\n")
    try:
        with pytest.raises(ServerStartError) as failure:
            server.start(timeout=3)
        assert not server.running
        if server.log_text():  # captured when running as root (own /dev/log)
            assert "TLS" in str(failure.value) or "tls" in str(failure.value)
    finally:
        server.remove()


def test_killed_imap_processes_drop_their_connections(cyrus: Cyrus) -> None:
    user = cyrus.users["alice"]
    client = imap_login(cyrus, user)
    try:
        assert cyrus.kill_imap_processes() >= 1
        with pytest.raises((OSError, imaplib.IMAP4.abort)):
            client.noop()
    finally:
        client.shutdown()
    imap_login(cyrus, user).logout()
