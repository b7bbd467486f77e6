"""Gmail's own semantics, against a Dovecot set up to look like Gmail (tests/support/gmail.py):
recognised by X-GM-EXT-1 and remembered in the cache; archive is a MOVE to All Mail (Gmail drops
the label it came from) and never makes an Archive folder; delete goes to [Gmail]/Trash, not to
a label called Trash; a message with two labels is one search result and one inbox row.

Dovecot answers `FETCH X-GM-MSGID` with BAD, so these tests tell copies apart by Message-ID (the
fallback); the X-GM-MSGID path is played by a scripted server at the end of this file.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from tests.servers import hostile as h
from tests.servers.certs import write_certificates
from tests.servers.dovecot import Dovecot, MailUser
from tests.servers.mailservers import MailServers
from tests.support.cache import NOW, plain_message
from tests.support.gmail import (
    ALL_MAIL,
    OLD_TRASH_LABEL,
    TRASH,
    deliver_labelled,
    folders_on_server,
    gmail_account,
    gmail_like,
)
from tui_mail.model import (
    Account,
    Address,
    FolderRole,
    MessageSummary,
    Protocol,
    Security,
    ServerConfig,
)
from tui_mail.remote.connection import Credentials
from tui_mail.remote.imap import ImapBackend
from tui_mail.store import Store
from tui_mail.store.listing import inbox_view
from tui_mail.sync.acting import UserActions, deletes_for_good
from tui_mail.sync.actions import ActionQueue
from tui_mail.sync.engine import SyncEngine

pytestmark = pytest.mark.servers


@pytest.fixture
def gmail_dovecot(mail_servers_session: MailServers) -> Dovecot:
    """The session's Gmail-like Dovecot (each test takes a fresh user)."""
    return gmail_like(mail_servers_session)


@dataclass
class Mailbox:
    """A fresh user on the Gmail-like server, an account for it and a cache."""

    dovecot: Dovecot
    user: MailUser
    account: Account
    store: Store
    engines: list[SyncEngine] = field(default_factory=list)

    def engine(self) -> SyncEngine:
        creds = Credentials(self.user.login, password=self.user.password)
        engine = SyncEngine(self.account, self.store,
                            lambda: ImapBackend.open(self.account.incoming, creds), backoff=0.05)
        self.engines.append(engine)
        return engine

    def sync(self) -> None:
        result = self.engine().sync()
        assert result.ok, result.errors

    def actions(self) -> UserActions:
        return UserActions(self.store, {self.account.name: self.account}, threading.RLock(),
                           lambda _account: threading.Lock())

    def replay(self) -> None:
        result = ActionQueue(self.store, self.account).replay(self.engine())
        assert (result.failed, result.pending) == (0, 0), result.errors

    def deliver(self, subject: str, *labels: str, minutes: int = 0) -> None:
        """A message with these labels (and All Mail); no label: archived."""
        raw = plain_message(subject, "Alice <alice@example.com>", NOW + timedelta(minutes=minutes),
                            f"Body of {subject}.", to=self.user.address)
        if labels:
            deliver_labelled(self.dovecot, self.user, raw, labels)
        else:
            self.dovecot.deliver(self.user, raw, ALL_MAIL)

    def rows(self, folder: str) -> list[MessageSummary]:
        return self.store.listing.search("", account=self.account.name, folder=folder, limit=500)

    def row(self, folder: str, subject: str) -> MessageSummary:
        return next(r for r in self.rows(folder) if r.subject == subject)

    def subjects_on_server(self, folder: str) -> list[str]:
        listing = self.dovecot.doveadm("-f", "tab", "fetch", "-u", self.user.login,
                                       "hdr.subject", "mailbox", folder, "all").stdout
        return sorted(line.strip() for line in listing.splitlines()[1:])


@pytest.fixture
def gmail(gmail_dovecot: Dovecot, mail_servers, tmp_path: Path) -> Iterator[Mailbox]:  # noqa: ANN001
    user = gmail_dovecot.new_user()
    box = Mailbox(gmail_dovecot, user, gmail_account(mail_servers, gmail_dovecot, user),
                  Store.open(tmp_path / "cache.sqlite3"))
    yield box
    for engine in box.engines:
        engine.close()
    box.store.close()


def test_gmail_is_recognised_and_a_message_with_two_labels_is_one_result(
        gmail: Mailbox, mail_servers, tmp_path: Path) -> None:  # noqa: ANN001
    gmail.deliver("In the inbox", "INBOX", minutes=1)
    gmail.deliver("Inbox and Work", "INBOX", "Work", minutes=2)
    gmail.deliver("Archived", minutes=3)
    gmail.sync()
    store, name = gmail.store, gmail.account.name

    assert store.is_gmail(name)
    roles = {f.name: f.role for f in store.folders(name) if f.role is not FolderRole.NONE}
    assert roles == {"INBOX": FolderRole.INBOX, ALL_MAIL: FolderRole.ARCHIVE,
                     TRASH: FolderRole.TRASH, "[Gmail]/Sent Mail": FolderRole.SENT,
                     "[Gmail]/Drafts": FolderRole.DRAFTS, "[Gmail]/Spam": FolderRole.JUNK}
    assert store.folder(name, OLD_TRASH_LABEL) is not None  # a label like any other
    # Every copy is cached (the server refused X-GM-MSGID; the summaries came without it).
    assert (len(gmail.rows("INBOX")), len(gmail.rows("Work")), len(gmail.rows(ALL_MAIL))) == \
        (2, 1, 3)

    found = store.listing.search("from:alice", account=name)
    assert sorted((r.subject, r.folder) for r in found) == [
        ("Archived", ALL_MAIL), ("In the inbox", "INBOX"), ("Inbox and Work", "INBOX")]
    assert len(store.listing.search("from:alice")) == 3  # every account
    assert [r.subject for r in store.listing.page(inbox_view(), 0, 50)] == ["Inbox and Work",
                                                                   "In the inbox"]
    # A folder's own list keeps its own messages.
    assert len(store.listing.search("", account=name, folder=ALL_MAIL)) == 3

    # The suite's ordinary Dovecot is no Gmail, and its searches keep every copy.
    other = mail_servers.new_user()
    raw = plain_message("Twice", "Bob <bob@example.com>", NOW, "Twice.", to=other.address)
    mail_servers.deliver(other, raw)
    mail_servers.deliver(other, raw, "Archive")
    plain = Account("plain", Address("", other.address),
                    ServerConfig(Protocol.IMAP, "127.0.0.1", mail_servers.imap_tls_port,
                                 Security.TLS, other.login, ca_file=mail_servers.ca_file,
                                 timeout=20.0), None)
    engine = SyncEngine(plain, store, lambda: ImapBackend.open(
        plain.incoming, Credentials(other.login, password=other.password)))
    try:
        assert engine.sync().ok
    finally:
        engine.close()
    assert not store.is_gmail("plain")
    assert len(store.listing.search("twice", account="plain")) == 2


def test_archive_moves_to_all_mail_makes_no_folder_and_can_be_undone(gmail: Mailbox) -> None:
    gmail.deliver("Keep", "INBOX", minutes=1)
    gmail.deliver("Done with", "INBOX", minutes=2)
    gmail.deliver("Filed", "Work", minutes=3)
    gmail.sync()
    before = folders_on_server(gmail.dovecot, gmail.user)
    actions = gmail.actions()

    done_with = gmail.row("INBOX", "Done with")
    outcome = actions.act("archive", [done_with])
    assert outcome.errors == [] and outcome.removed == {done_with.id}
    assert [r.subject for r in gmail.rows("INBOX")] == ["Keep"]
    message, undone = actions.undo_last()
    assert undone == [done_with.id], message
    assert gmail.store.queues.pending_actions(gmail.account.name) == []
    assert sorted(r.subject for r in gmail.rows("INBOX")) == ["Done with", "Keep"]

    assert actions.act("archive", [gmail.row("INBOX", "Done with")]).errors == []
    assert actions.act("archive", [gmail.row("Work", "Filed")]).errors == []  # drops the label
    assert {(a.payload["folder"], a.payload["target"])
            for a in gmail.store.queues.pending_actions(gmail.account.name)} == {
        ("INBOX", ALL_MAIL), ("Work", ALL_MAIL)}
    gmail.replay()

    assert gmail.subjects_on_server("INBOX") == ["Keep"]
    assert gmail.subjects_on_server("Work") == []
    assert {"Done with", "Filed"} <= set(gmail.subjects_on_server(ALL_MAIL))
    assert folders_on_server(gmail.dovecot, gmail.user) == before  # no Archive made
    gmail.sync()
    assert gmail.store.folder(gmail.account.name, "Archive") is None
    assert [r.subject for r in gmail.rows("INBOX")] == ["Keep"]
    # Found once, in All Mail (Dovecot keeps the moved copy beside the one it had there, as
    # Gmail would not: one message by its Message-ID all the same).
    assert [(r.subject, r.folder) for r in gmail.store.listing.search("done", account="gmail")] == [
        ("Done with", ALL_MAIL)]


def test_delete_goes_to_gmails_trash_not_to_a_label_called_trash(gmail: Mailbox) -> None:
    gmail.deliver("Unwanted", "INBOX", minutes=1)
    gmail.deliver("Old client's", OLD_TRASH_LABEL, minutes=2)
    gmail.sync()
    store, actions = gmail.store, gmail.actions()
    unwanted = gmail.row("INBOX", "Unwanted")
    labelled = gmail.row(OLD_TRASH_LABEL, "Old client's")
    # In the "Trash" label a delete is a move to Gmail's Trash, not a delete for good.
    assert deletes_for_good(store, {gmail.account.name: gmail.account},
                            [unwanted, labelled]) == []

    outcome = actions.act("delete", [unwanted, labelled])
    assert outcome.errors == [] and outcome.message.startswith("Deleted 2 messages.")
    assert {a.payload["target"] for a in store.queues.pending_actions(gmail.account.name)} == {TRASH}
    gmail.replay()
    assert gmail.subjects_on_server(TRASH) == ["Old client's", "Unwanted"]
    assert gmail.subjects_on_server(OLD_TRASH_LABEL) == []
    assert gmail.subjects_on_server("INBOX") == []

    gmail.sync()
    in_trash = gmail.rows(TRASH)
    assert deletes_for_good(store, {gmail.account.name: gmail.account}, in_trash) == in_trash
    assert [(r.subject, r.folder) for r in store.listing.search("unwanted", account="gmail")] == [
        ("Unwanted", TRASH)]


def test_without_its_all_mail_or_trash_a_gmail_account_makes_no_folder(tmp_path: Path) -> None:
    """All Mail and Trash can be hidden from IMAP in Gmail's settings: a folder made in their
    place would be a label, so archive and delete are refused, saying why, and nothing moves."""
    from tests.store.builders import make_raw
    from tui_mail.store import NewMessage

    account = Account("gmail", Address("", "me@gmail.com"), ServerConfig(
        Protocol.IMAP, "imap.gmail.com", 993, Security.TLS, "me@gmail.com"), None)
    with Store.open(tmp_path / "cache.sqlite3") as store:
        store.ensure_folder("gmail", "INBOX", FolderRole.INBOX)
        store.ensure_folder("gmail", "Trash")  # labels
        store.ensure_folder("gmail", "Archive")
        store.set_gmail("gmail", True)
        [row_id] = store.add_messages("gmail", "INBOX", [NewMessage(uid=1, raw=make_raw(1))])
        row = store.message_row(row_id)
        assert row is not None
        actions = UserActions(store, {"gmail": account}, threading.RLock(),
                              lambda _account: threading.Lock())
        for kind, words in (("archive", "no All Mail folder"), ("delete", "no Trash")):
            outcome = actions.act(kind, [row])
            assert len(outcome.errors) == 1 and words in outcome.errors[0], outcome.errors
            assert "Show in IMAP" in outcome.errors[0]
            assert outcome.removed == set() and not outcome.undoable
        assert deletes_for_good(store, {"gmail": account}, [row]) == []
        assert store.queues.pending_actions("gmail") == []
        assert store.message_row(row_id) == row
        assert sorted(f.name for f in store.folders("gmail")) == ["Archive", "INBOX", "Trash"]


# ---- X-GM-MSGID, which Dovecot does not implement: a scripted server -----------------------

BIG = (1 << 64) - 1  # the largest X-GM-MSGID there can be


def _gmail_capability(peer: h.Peer, tag: bytes, line: bytes) -> None:
    peer.send(b"* CAPABILITY IMAP4rev1 UIDPLUS X-GM-EXT-1\r\n" + tag + b" OK done\r\n")


def _fetch_with_gm_msgid(peer: h.Peer, tag: bytes, line: bytes) -> None:
    if b"X-GM-MSGID" not in line:
        h.ImapScript._UID_FETCH(h.ImapScript(), peer, tag, line)  # noqa: SLF001
        return
    for uid, msgid in ((1, 1278455344230334865), (2, BIG)):
        header = h.HEADER % (uid, uid)
        peer.send(b"* %d FETCH (UID %d X-GM-MSGID %d FLAGS () INTERNALDATE \"01-Jan-2024 "
                  b"10:00:00 +0000\" RFC822.SIZE %d BODY[HEADER.FIELDS (DATE FROM SUBJECT "
                  b"MESSAGE-ID)] {%d}\r\n" % (uid, uid, msgid, len(header) + 10, len(header))
                  + header + b")\r\n")
    peer.send(tag + b" OK done\r\n")


def test_gmail_message_ids_are_fetched_and_kept(tmp_path: Path) -> None:
    certs = write_certificates(tmp_path / "certs")
    script = h.ImapScript(greeting=lambda peer: peer.send(b"* OK Gimap ready\r\n"),
                          answers={"CAPABILITY": _gmail_capability,
                                   "UID FETCH": _fetch_with_gm_msgid})
    with h.HostileServer(certs, script) as server, \
            Store.open(tmp_path / "cache.sqlite3") as store:
        config = ServerConfig(Protocol.IMAP, "127.0.0.1", server.port, Security.TLS, "me",
                              ca_file=certs.ca_file, timeout=10.0)
        account = Account("gmail", Address("", "me@gmail.com"), config, None)
        engine = SyncEngine(account, store, lambda: ImapBackend.open(
            config, Credentials("me", password="secret")))
        try:
            result = engine.sync()
        finally:
            engine.close()
        assert result.ok, result.errors
        assert store.is_gmail("gmail")
    with sqlite3.connect(tmp_path / "cache.sqlite3") as conn:
        kept = dict(conn.execute("SELECT uid, gm_msgid FROM messages"))
    assert kept == {1: 1278455344230334865, 2: BIG - (1 << 64)}  # stored signed, still distinct
