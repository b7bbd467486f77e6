"""`sync --bodies` of a folder with much new mail fetches it whole in one pass
(`sync.whole_fetch`), instead of a header pass and then a body download: the cache it builds
must be the one the two passes build, row for row, thread for thread, against the suite's
Dovecot."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from benchmarks.gen_messages import generate
from tests.support.cache import cache_file, sql
from tui_mail.errors import ConnectError
from tui_mail.remote.backend import FlagUpdate, RemoteMessage
from tui_mail.remote.imap import ImapBackend
from tui_mail.store.blobs import text_of, unpack
from tui_mail.sync.account_sync import sync_account
from tui_mail.sync.bodies import download_bodies
from tui_mail.sync.events import SyncProgress
from tui_mail.sync.whole_fetch import FETCH_UIDS, WHOLE_FROM

pytestmark = pytest.mark.servers

CAP = 20_000  # bytes: the one large message below is over it, the rest under


def _mailbox() -> list[bytes]:
    """Generated mail (threads by In-Reply-To/References, HTML, attachments), a reply that
    comes before its parent, replies that name no parent ('Re: x' only), and one message
    over the body size cap."""
    mail = list(generate(WHOLE_FROM + 60, seed=5))
    mail.append(b"From: a@example.test\r\nSubject: Re: lunch\r\nMessage-ID: <r2@x>\r\n"
                b"In-Reply-To: <p1@x>\r\nDate: Mon, 1 Jan 2024 12:10:00 +0000\r\n\r\nyes\r\n")
    mail.append(b"From: b@example.test\r\nSubject: lunch\r\nMessage-ID: <p1@x>\r\n"
                b"Date: Mon, 1 Jan 2024 12:00:00 +0000\r\n\r\nlunch?\r\n")
    mail.append(b"From: c@example.test\r\nSubject: RE: Lunch\r\nMessage-ID: <r3@x>\r\n"
                b"Date: Mon, 1 Jan 2024 12:20:00 +0000\r\n\r\nme too\r\n")
    mail.append(b"From: d@example.test\r\nSubject: Re: lunch\r\nMessage-ID: <r4@x>\r\n"
                b"Date: Mon, 1 Jan 2024 12:30:00 +0000\r\n\r\nand me\r\n")
    mail.append(b"From: f@example.test\r\nSubject: no date\r\nMessage-ID: <nodate@x>\r\n\r\n"
                b"dated by the server's INTERNALDATE\r\n")
    mail.append(b"From: e@example.test\r\nSubject: big\r\nMessage-ID: <big@x>\r\n"
                b"Date: Mon, 1 Jan 2024 13:00:00 +0000\r\n\r\n" + (b"y" * 76 + b"\r\n") * 400)
    return mail


def _cache(store) -> dict[str, list[tuple]]:  # noqa: ANN001
    """Every row the sync writes, bodies and search text decompressed."""
    with cache_file(store) as c:
        return _rows(c)


def _rows(c: sqlite3.Connection) -> dict[str, list[tuple]]:
    return {
        "messages": c.execute(
            "SELECT m.id, f.name, uid, local_key, message_id, subject, from_name, from_email,"
            " to_text, cc_text, date, flags, size, has_attachment, in_reply_to, refs,"
            " thread_id, parent_id, body_state, preview, sender_sort, subject_sort, gm_msgid"
            " FROM messages m JOIN folders f ON f.id = m.folder_id ORDER BY m.id").fetchall(),
        "bodies": [(i, unpack(raw) if raw else None, unpack(h) if h else None)
                   for i, raw, h in c.execute("SELECT id, raw, headers FROM bodies ORDER BY id")],
        "search": [(*row[:5], text_of(row[5]), row[6]) for row in c.execute(
            "SELECT id, subject, sender, to_addr, cc_addr, body, attachments"
            " FROM search_text ORDER BY id")],
    }


def _deliver(h) -> None:  # noqa: ANN001
    h.server.deliver_many(h.user, _mailbox())
    h.server.deliver_many(h.user, list(generate(20, seed=9)), flags=[r"\Seen", r"\Flagged"])


def test_sync_bodies_fetches_new_mail_whole_and_caches_what_the_header_pass_and_download_cache(
        dovecot, make_harness, tmp_path: Path) -> None:
    two = make_harness(dovecot)
    _deliver(two)
    two.account = dataclasses.replace(two.account, body_size_cap=CAP)
    assert two.sync(["INBOX"]).ok  # the header pass ...
    download_bodies(two.store, two.account, two.connect, tmp_path, everything=True)  # ... bodies

    one = make_harness(dovecot)
    one.user, one.config = two.user, two.config  # the same server mailbox
    one.account = two.account
    events: list[object] = []
    got = sync_account(one.store, one.account, one.creds, events.append, folders=["INBOX"],
                       bodies=True)
    assert got.ok and got.new == len(_mailbox()) + 20
    phases = {e.phase for e in events if isinstance(e, SyncProgress)}
    assert "messages" in phases  # fetched whole ...
    headers = [e for e in events if isinstance(e, SyncProgress) and e.phase == "headers"]
    over = sql(one.store,
        "SELECT count(*) FROM messages WHERE size > ?", (CAP,)).fetchone()[0]
    assert over >= 1 and headers and headers[-1].total == over  # ... but those over the cap

    assert _cache(one.store) == _cache(two.store)
    threads = sql(one.store,
        "SELECT count(DISTINCT thread_id), count(parent_id) FROM messages").fetchone()
    assert threads[0] < len(_mailbox()) + 20 and threads[1] > 0  # the mail has threads
    big = sql(one.store,
        "SELECT body_state FROM messages WHERE message_id LIKE '%big@x%'").fetchone()
    assert big == (1,)  # listed, its body left for when it is opened


class CutAfter:
    """The real backend, whose connection is shut down (as a dropped network does) once
    `after` whole messages have been read from it."""

    def __init__(self, backend: ImapBackend, after: int) -> None:
        self.backend = backend
        self.after = after
        self.read = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.backend, name)

    def fetch_whole(self, folder: str,
                    uids: Sequence[int]) -> Iterator[RemoteMessage | FlagUpdate]:
        for item in self.backend.fetch_whole(folder, uids):
            if isinstance(item, RemoteMessage):  # not a FlagUpdate
                self.read += 1
                if self.read == self.after:
                    self.backend.abort()
            yield item


def test_a_whole_fetch_cut_off_keeps_what_it_read_and_the_next_sync_fetches_only_the_rest(
        dovecot, make_harness) -> None:
    h = make_harness(dovecot)
    count = WHOLE_FROM + FETCH_UIDS  # two FETCHes, the newest UIDs in the first
    h.server.deliver_many(h.user, list(generate(count, seed=3)))
    cut = CutAfter(h.connect(), after=350)
    engine = h.engine(connect=lambda: cut, retries=0)
    engine.whole_cap = h.account.body_size_cap
    result = engine.sync(["INBOX"])
    engine.close()
    assert isinstance(result.stopped_by, ConnectError)
    kept = sql(h.store,
        "SELECT count(*), min(uid), max(uid), count(*) FILTER (WHERE body_state = 2)"
        " FROM messages").fetchone()
    assert kept[0] >= 350 and kept[1] > count - FETCH_UIDS  # every one read is kept
    assert kept[3] == kept[0]  # with its body
    assert result.new == kept[0]

    events: list[object] = []
    again = sync_account(h.store, h.account, h.creds, events.append, folders=["INBOX"],
                         bodies=True)
    assert again.ok and again.new == again.bodies == count - kept[0]
    assert h.store.missing_bodies(h.account.name) == (0, 0)
    assert h.cached_uids() == list(range(1, count + 1))


def test_news_the_server_slips_into_a_whole_fetch_are_kept_and_the_connection_stays_in_step(
        dovecot, make_harness, message) -> None:
    h = make_harness(dovecot)
    dovecot.deliver_many(h.user, [message(i) for i in range(10)])
    backend = h.connect()
    try:
        assert [m.uid for m in backend.fetch_whole("INBOX", [1])] == [1]  # INBOX selected
        dovecot.deliver_many(h.user, [message(10)])  # new mail and a flag change, seen by
        other = h.other_client()  # another client first: told to this one in its next answer
        other.set_flags("INBOX", [7], [r"\Flagged"], True)
        other.close()
        answer = list(backend.fetch_whole("INBOX", [1, 2, 3]))
        got = [m for m in answer if isinstance(m, RemoteMessage)]
        assert sorted(m.uid for m in got) == [1, 2, 3]
        assert all(m.raw.endswith(f"body of message {m.uid - 1}\r\n".encode()) for m in got)
        assert not any(m.flags.flagged for m in got)
        # the flag change is handed on, for the caller's cache (the engine applies it)
        updates = [(m.uid, m.flags.flagged) for m in answer if isinstance(m, FlagUpdate)]
        assert updates == [(7, True)]
        # the connection reads on in step: the next FETCH gets the new message and the flag
        later = {m.uid: m for m in backend.fetch_whole("INBOX", [7, 11])
                 if isinstance(m, RemoteMessage)}
        assert sorted(later) == [7, 11] and later[7].flags.flagged
        assert b"message 10" in later[11].raw
    finally:
        backend.close()
