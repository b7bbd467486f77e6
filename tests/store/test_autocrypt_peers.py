"""The cache learns each correspondent's Autocrypt state from their mail as it is cached: the
key and preference their header carries, and when their mail was last seen, per account."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.support.cache import sql
from tui_mail.mail.autocrypt import Peer, autocrypt_header
from tui_mail.model import FolderRole
from tui_mail.store import NewMessage, Store

KEY = b"\x99\x01binary key of bob" * 4
NOV_2 = "Mon, 02 Nov 2026 09:00:00 +0000"
NOV_9 = "Mon, 09 Nov 2026 09:00:00 +0000"


def mail(n: int, date: str, *, sender: str = "bob@example.net", key: bytes | None = KEY,
         mutual: bool = True, extra: str = "") -> NewMessage:
    autocrypt = "" if key is None else \
        f"Autocrypt: {autocrypt_header(sender, key, mutual)}\r\n"
    raw = (f"From: Bob <{sender}>\r\nTo: alice@example.org\r\nSubject: m{n}\r\n"
           f"Date: {date}\r\nMessage-ID: <m{n}@x>\r\n{autocrypt}{extra}\r\nHello\r\n").encode()
    return NewMessage(uid=n, raw=raw)


def seconds(date: str) -> datetime:
    from email.utils import parsedate_to_datetime

    return parsedate_to_datetime(date).astimezone(UTC)


def test_a_message_with_a_header_makes_its_sender_a_peer(store: Store) -> None:
    store.ensure_folder("work", "INBOX", FolderRole.INBOX)
    store.add_messages("work", "INBOX", [mail(1, NOV_2)])
    assert store.autocrypt_peer("work", "Bob@Example.net") == Peer(
        "bob@example.net", seconds(NOV_2), seconds(NOV_2), KEY, True)
    assert store.autocrypt_peer("home", "bob@example.net") is None  # per account


def test_a_later_message_without_a_header_keeps_the_key_and_moves_last_seen(
        store: Store) -> None:
    store.ensure_folder("work", "INBOX", FolderRole.INBOX)
    store.add_messages("work", "INBOX", [mail(1, NOV_2)])
    store.add_messages("work", "INBOX", [mail(2, NOV_9, key=None)])
    peer = store.autocrypt_peer("work", "bob@example.net")
    assert peer is not None and peer.public_key == KEY
    assert (peer.last_seen, peer.autocrypt_timestamp) == (seconds(NOV_9), seconds(NOV_2))


def test_an_older_message_found_later_does_not_undo_a_newer_header(store: Store) -> None:
    store.ensure_folder("work", "INBOX", FolderRole.INBOX)
    store.ensure_folder("work", "Archive", FolderRole.ARCHIVE)
    store.add_messages("work", "INBOX", [mail(1, NOV_9)])
    store.add_messages("work", "Archive", [mail(2, NOV_2, key=b"old key", mutual=False)])
    peer = store.autocrypt_peer("work", "bob@example.net")
    assert peer is not None and peer.public_key == KEY and peer.mutual


def test_strangers_without_a_header_and_automatic_mail_leave_no_peer(store: Store) -> None:
    store.ensure_folder("work", "INBOX", FolderRole.INBOX)
    store.add_messages("work", "INBOX", [
        mail(1, NOV_2, sender="carol@example.com", key=None),
        mail(2, NOV_2, sender="vacation@example.com", extra="Auto-Submitted: auto-replied\r\n"),
    ])
    assert sql(store, "SELECT count(*) FROM autocrypt_peers") == [(0,)]


def test_a_whole_fetch_learns_peers_as_a_header_pass_does(store: Store) -> None:
    """Whole fetches prepare rows in the text processes (marshalled back): the header travels."""
    import marshal

    from tui_mail.store.prepare import Prepared, prepare_fetched

    item = mail(1, NOV_2)
    assert item.raw is not None
    packed = marshal.loads(marshal.dumps(prepare_fetched(item.raw, None, 0)))
    store.ensure_folder("work", "INBOX", FolderRole.INBOX)
    store.add_prepared("work", "INBOX", [Prepared.unpack(item, packed)])
    peer = store.autocrypt_peer("work", "bob@example.net")
    assert peer is not None and peer.public_key == KEY


def test_gossip_makes_a_peer_whose_own_header_later_takes_precedence(store: Store) -> None:
    store.ensure_folder("work", "INBOX", FolderRole.INBOX)
    store.note_gossip("work", int(seconds(NOV_2).timestamp()), {"bob@example.net": b"gossip"})
    peer = store.autocrypt_peer("work", "bob@example.net")
    assert peer is not None and peer.key == b"gossip" and peer.public_key is None
    assert [(name, p.address) for name, p in store.autocrypt_peers()] == [
        ("work", "bob@example.net")]
    store.add_messages("work", "INBOX", [mail(1, NOV_9)])
    peer = store.autocrypt_peer("work", "bob@example.net")
    assert peer is not None and peer.key == KEY and peer.gossip_key == b"gossip"
    assert peer.last_seen == seconds(NOV_9)


def test_the_users_own_mail_in_sent_and_drafts_makes_no_peer(store: Store) -> None:
    store.ensure_folder("work", "Sent", FolderRole.SENT)
    store.ensure_folder("work", "Drafts", FolderRole.DRAFTS)
    store.add_messages("work", "Sent", [mail(1, NOV_2, sender="alice@example.org")])
    store.add_messages("work", "Drafts", [mail(2, NOV_2, sender="alice@example.org")])
    assert store.autocrypt_peer("work", "alice@example.org") is None
    assert store.autocrypt_peers("work") == []


def test_mail_in_junk_makes_no_peer(store: Store) -> None:
    store.ensure_folder("work", "Junk", FolderRole.JUNK)
    store.add_messages("work", "Junk", [mail(1, NOV_2, sender="ceo@example.com")])
    assert store.autocrypt_peer("work", "ceo@example.com") is None
