"""Answers a server may give that Dovecot does not give on demand, from a server that
misbehaves on purpose (`tests.servers.hostile`): one message's FETCH data split across two
FETCH responses (RFC 3501 7.4.2), a flag change slipped into a whole fetch for a message
already handed on, and a UID SEARCH of a large folder answered in one line longer than the
usual line limit (with ESEARCH, RFC 4731, answered in ranges instead)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from tests.servers import hostile as h
from tests.servers.certs import write_certificates
from tui_mail.errors import ProtocolViolation
from tui_mail.model import (
    Account,
    Address,
    FolderSyncState,
    Protocol,
    Security,
    ServerConfig,
)
from tui_mail.remote.backend import FlagUpdate, RemoteMessage
from tui_mail.remote.connection import Credentials
from tui_mail.remote.imap import ImapBackend, parse_uid_set
from tui_mail.remote.wire import LINE_LIMIT
from tui_mail.store import Store
from tui_mail.sync.engine import SyncEngine
from tui_mail.sync.whole_fetch import WHOLE_FROM

DATE = b'"02-Dec-2026 10:00:00 +0000"'


def raw(uid: int) -> bytes:
    return (b"Date: Mon, 01 Jan 2024 10:00:00 +0000\r\nFrom: a@example.com\r\n"
            b"Subject: m%d\r\nMessage-ID: <m%d@example.com>\r\n\r\nbody %d\r\n" % (uid, uid, uid))


def literal(data: bytes) -> bytes:
    return b"{%d}\r\n" % len(data) + data


@dataclass
class Folder(h.ImapScript):
    """An INBOX of `count` messages (UIDs 1..count); `fetch` answers a whole FETCH for the
    UIDs asked, `search` a UID SEARCH line. Every command line is kept in `lines`."""

    count: int = 2
    capabilities: bytes = b"IMAP4rev1 UIDPLUS"
    fetch: object = None
    search: object = None
    lines: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.greeting = lambda peer: peer.send(
            b"* OK [CAPABILITY " + self.capabilities + b"] ready\r\n")

    def _CAPABILITY(self, peer: h.Peer, tag: bytes, line: bytes) -> None:  # noqa: N802
        peer.send(b"* CAPABILITY " + self.capabilities + b"\r\n" + tag + b" OK done\r\n")

    def _EXAMINE(self, peer: h.Peer, tag: bytes, line: bytes) -> None:  # noqa: N802
        peer.send(b"* %d EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 7] ok\r\n"
                  b"* OK [UIDNEXT %d] ok\r\n" % (self.count, self.count + 1)
                  + tag + b" OK [READ-ONLY] done\r\n")

    _SELECT = _EXAMINE

    def _UID_SEARCH(self, peer: h.Peer, tag: bytes, line: bytes) -> None:  # noqa: N802
        self.lines.append(line)
        if b"LARGER" in line.upper():
            peer.send(b"* SEARCH\r\n" + tag + b" OK done\r\n")
        elif callable(self.search):
            peer.send(self.search(line) + tag + b" OK done\r\n")
        else:
            ids = b" ".join(b"%d" % uid for uid in range(1, self.count + 1))
            peer.send(b"* SEARCH " + ids + b"\r\n" + tag + b" OK done\r\n")

    def _UID_FETCH(self, peer: h.Peer, tag: bytes, line: bytes) -> None:  # noqa: N802
        self.lines.append(line)
        uids = parse_uid_set(line.split(b" ")[3].decode().replace("*", str(self.count)))
        assert callable(self.fetch)
        peer.send(self.fetch(uids) + tag + b" OK done\r\n")


def usual(uid: int, flags: bytes = b"\\Seen") -> bytes:
    """A whole message in the shape servers send it (its items in the order asked)."""
    return (b"* %d FETCH (UID %d FLAGS (%s) INTERNALDATE %s RFC822.SIZE %d BODY[] "
            % (uid, uid, flags, DATE, len(raw(uid))) + literal(raw(uid)) + b")\r\n")


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[h.TestCertificates]:
    yield write_certificates(tmp_path_factory.mktemp("split-certs"))


def config(certs: h.TestCertificates, port: int) -> ServerConfig:
    return ServerConfig(Protocol.IMAP, "127.0.0.1", port, Security.TLS, "me",
                        ca_file=certs.ca_file, timeout=10.0)


def connect(certs: h.TestCertificates, port: int) -> ImapBackend:
    return ImapBackend.open(config(certs, port), Credentials("me", password="secret"))


def test_a_message_answered_in_two_fetch_responses_keeps_its_flags_size_and_date(
        certs: h.TestCertificates) -> None:
    def fetch(uids: list[int]) -> bytes:
        one, two = raw(1), raw(2)
        return (  # UID 1: flags, date and size first, then the body
            b"* 1 FETCH (UID 1 FLAGS (\\Seen \\Flagged) INTERNALDATE " + DATE
            + b" RFC822.SIZE %d)\r\n" % len(one)
            + b"* 1 FETCH (UID 1 BODY[] " + literal(one) + b")\r\n"
            # UID 2: the body first, the rest after it
            + b"* 2 FETCH (UID 2 BODY[] " + literal(two) + b")\r\n"
            + b"* 2 FETCH (UID 2 FLAGS (\\Answered) INTERNALDATE " + DATE
            + b" RFC822.SIZE %d)\r\n" % len(two))

    with h.HostileServer(certs, Folder(fetch=fetch)) as server:
        backend = connect(certs, server.port)
        try:
            got = list(backend.fetch_whole("INBOX", [1, 2]))
        finally:
            backend.close()
    assert all(isinstance(m, RemoteMessage) for m in got)
    by_uid = {m.uid: m for m in got if isinstance(m, RemoteMessage)}
    assert sorted(by_uid) == [1, 2]
    when = datetime(2026, 12, 2, 10, 0)
    first, second = by_uid[1], by_uid[2]
    assert first.flags.seen and first.flags.flagged and not first.flags.answered
    assert (first.size, first.internaldate, first.raw) == (len(raw(1)), when, raw(1))
    assert second.flags.answered and not second.flags.seen
    assert (second.size, second.internaldate, second.raw) == (len(raw(2)), when, raw(2))


def test_a_flag_change_slipped_into_a_whole_fetch_reaches_the_cache(
        certs: h.TestCertificates, tmp_path: Path) -> None:
    """The first sync of a folder of WHOLE_FROM messages fetches them whole; in the middle
    of the answer the server tells that the first message handed on (UID 1) is now flagged
    and no longer seen, as a server does when another client changed it meanwhile."""
    count = WHOLE_FROM

    def fetch(uids: list[int]) -> bytes:
        out = b"".join(usual(uid) for uid in sorted(uids))
        if 1 in uids:
            out += b"* 1 FETCH (UID 1 FLAGS (\\Flagged))\r\n"
        return out

    script = Folder(count=count, fetch=fetch)
    with h.HostileServer(certs, script) as server:
        incoming = config(certs, server.port)
        account = Account(name="split", address=Address("", "me@example.com"),
                          incoming=incoming, smtp=None)
        store = Store.open(tmp_path / "cache.sqlite3")
        try:
            engine = SyncEngine(account, store, lambda: connect(certs, server.port),
                                lambda event: None, backoff=0.05)
            engine.whole_cap = 1 << 20
            try:
                result = engine.sync(["INBOX"])
            finally:
                engine.close()
            assert result.ok, result.errors
            assert result.new == result.bodies == count
            assert any(b"BODY.PEEK[]" in line for line in script.lines)  # fetched whole
            flags = store.uid_flags("split", "INBOX")
            assert sorted(flags) == list(range(1, count + 1))
            assert flags[1].flagged and not flags[1].seen  # the change told last
            assert all(flags[uid].seen and not flags[uid].flagged for uid in range(2, count + 1))
            assert result.flag_changes == 1
        finally:
            store.close()


def test_the_backend_hands_on_a_flag_change_for_a_message_it_already_handed_on(
        certs: h.TestCertificates) -> None:
    def fetch(uids: list[int]) -> bytes:
        return (usual(1) + b"* 1 FETCH (UID 1 FLAGS (\\Deleted))\r\n"
                + b"* 5 FETCH (UID 9 FLAGS (\\Flagged))\r\n" + usual(2))

    with h.HostileServer(certs, Folder(fetch=fetch)) as server:
        backend = connect(certs, server.port)
        try:
            got = list(backend.fetch_whole("INBOX", [1, 2]))
        finally:
            backend.close()
    assert [type(m).__name__ for m in got] == [
        "RemoteMessage", "FlagUpdate", "FlagUpdate", "RemoteMessage"]
    updates = [m for m in got if isinstance(m, FlagUpdate)]
    assert [(u.uid, u.flags.deleted, u.flags.flagged) for u in updates] == [
        (1, True, False), (9, False, True)]  # UID 9, not asked, may be cached


class NothingCached:
    def __bool__(self) -> bool:
        return False

    def all(self) -> set[int]:
        return set()

    def subset(self, uids: object) -> set[int]:
        return set()


LARGE = 600_000  # seven-digit UIDs from 1,000,000: a SEARCH line of 4.8 MB, over 4 MiB
FIRST = 1_000_000


def _large_search(line: bytes) -> bytes:
    return (b"* SEARCH " + b" ".join(b"%d" % uid for uid in range(FIRST, FIRST + LARGE))
            + b"\r\n")


def test_the_first_sync_of_a_large_folder_reads_a_search_line_longer_than_the_usual_limit(
        certs: h.TestCertificates) -> None:
    script = Folder(count=LARGE, search=_large_search)
    with h.HostileServer(certs, script) as server:
        backend = connect(certs, server.port)
        try:
            changes = backend.changes_since("INBOX", FolderSyncState(), NothingCached())
            assert changes.new_uids == list(range(FIRST, FIRST + LARGE))
            # the longer line was for that answer only
            assert backend.line_limit == LINE_LIMIT
        finally:
            backend.close()
    assert [line.split(b" ", 1)[1] for line in script.lines] == [b"UID SEARCH ALL"]


def test_a_search_line_longer_than_the_folder_it_lists_is_still_refused(
        certs: h.TestCertificates) -> None:
    script = Folder(count=1000, search=_large_search)  # 1000 messages, 600k UIDs listed
    with h.HostileServer(certs, script) as server:
        backend = connect(certs, server.port)
        try:
            with pytest.raises(ProtocolViolation, match="a line of more than"):
                backend.changes_since("INBOX", FolderSyncState(), NothingCached())
        finally:
            backend.close()


def test_with_esearch_the_uids_of_a_large_folder_come_as_ranges(
        certs: h.TestCertificates) -> None:
    def search(line: bytes) -> bytes:
        if b"RETURN (ALL)" not in line:
            return _large_search(line)
        tag = line.split(b" ", 1)[0]
        return (b'* ESEARCH (TAG "%s") UID ALL %d:%d,%d\r\n'
                % (tag, FIRST, FIRST + LARGE - 2, FIRST + LARGE + 5))

    script = Folder(count=LARGE, search=search,
                    capabilities=b"IMAP4rev1 UIDPLUS ESEARCH")
    with h.HostileServer(certs, script) as server:
        backend = connect(certs, server.port)
        try:
            changes = backend.changes_since("INBOX", FolderSyncState(), NothingCached())
        finally:
            backend.close()
    assert changes.new_uids == [*range(FIRST, FIRST + LARGE - 1), FIRST + LARGE + 5]
    assert [re.sub(rb"^\S+ ", b"", line) for line in script.lines] == [
        b"UID SEARCH RETURN (ALL) ALL"]


@pytest.mark.parametrize("answer", [b"", b"* SEARCH 3 4 9\r\n"])
def test_an_esearch_server_that_answers_without_esearch_is_not_read_as_an_empty_folder(
        answer: bytes, certs: h.TestCertificates) -> None:
    script = Folder(count=3, search=lambda line: answer,
                    capabilities=b"IMAP4rev1 UIDPLUS ESEARCH")
    with h.HostileServer(certs, script) as server:
        backend = connect(certs, server.port)
        try:
            if answer:  # a plain SEARCH answer is read as one
                changes = backend.changes_since("INBOX", FolderSyncState(), NothingCached())
                assert changes.new_uids == [3, 4, 9]
            else:
                with pytest.raises(ProtocolViolation, match="no ESEARCH result"):
                    backend.changes_since("INBOX", FolderSyncState(), NothingCached())
        finally:
            backend.close()
