from __future__ import annotations

from typing import Any

import pytest

from tests.store.builders import make_raw
from tests.support.cache import cached_row
from tui_mail.model import Flags, FolderRole, FolderSyncState
from tui_mail.store import NewMessage, Store, View


def add(store: Store, numbers: range, folder: str = "INBOX", **kw: Any) -> list[int]:
    return store.add_messages(
        "work", folder, [NewMessage(uid=n, raw=make_raw(n, **kw)) for n in numbers]
    )


def test_batch_write_stores_rows_bodies_and_search_text(store: Store) -> None:
    ids = add(store, range(1, 1201))
    assert len(set(ids)) == 1200
    folder = store.folder("work", "INBOX")
    assert folder is not None and folder.total == 1200 and folder.unread == 1200
    assert store.raw_message(ids[0]) == make_raw(1)
    assert len(store.listing.search("hello")) == 50


def test_resumed_sync_does_not_duplicate_and_returns_existing_ids(store: Store) -> None:
    first = add(store, range(1, 101))
    again = add(store, range(50, 151))
    assert again[:51] == first[49:]
    assert store.folder("work", "INBOX").total == 150  # type: ignore[union-attr]


def test_row_ids_follow_the_date_even_for_messages_of_the_same_second(store: Store) -> None:
    same = "Mon, 01 Jan 2024 10:00:00 +0000"
    ids = store.add_messages(
        "work",
        "INBOX",
        [NewMessage(uid=n, raw=make_raw(n, date=same, message_id=f"<s{n}@x>")) for n in range(5)],
    )
    older = add(store, range(100, 101), date="Sun, 31 Dec 2023 10:00:00 +0000")
    assert len(set(ids)) == 5
    assert older[0] < min(ids)


def test_headers_only_then_body_fills_search(store: Store) -> None:
    raw = make_raw(1, body="the secret word is zanzibar")
    head = raw.split(b"\r\n\r\n")[0] + b"\r\n\r\n"
    [mid] = store.add_messages(
        "work", "INBOX", [NewMessage(uid=7, raw_headers=head, size=len(raw))]
    )
    assert store.listing.search("zanzibar") == []
    assert store.raw_headers(mid) == head
    assert store.uids_without_body("work", "INBOX", 10_000) == [7]
    store.set_body(mid, raw)
    assert [m.id for m in store.listing.search("zanzibar")] == [mid]
    assert store.raw_message(mid) == raw
    assert store.uids_without_body("work", "INBOX", 10_000) == []


def test_flags_from_the_server_and_local_changes(store: Store) -> None:
    ids = add(store, range(1, 4))
    store.update_flags("work", "INBOX", {1: Flags(seen=True), 2: Flags(flagged=True)})
    assert store.uid_flags("work", "INBOX")[1] == Flags(seen=True)
    store.set_flags_local([ids[2]], seen=True, answered=True)
    store.set_flags_local([ids[0]], seen=False)
    flags = store.uid_flags("work", "INBOX")
    assert flags == {1: Flags(), 2: Flags(flagged=True), 3: Flags(seen=True, answered=True)}
    assert store.folder("work", "INBOX").unread == 2  # type: ignore[union-attr]


def test_move_keeps_the_id_and_updates_both_counters(store: Store) -> None:
    ids = add(store, range(1, 4))
    store.move_local(ids[:2], "work", "Archive")
    assert store.folder("work", "INBOX").total == 1  # type: ignore[union-attr]
    assert store.folder("work", "Archive").total == 2  # type: ignore[union-attr]
    moved = store.message_row(ids[0])
    assert moved is not None and moved.folder == "Archive" and moved.uid is None


def test_expunged_uids_disappear_with_their_body_and_search_text(store: Store) -> None:
    ids = add(store, range(1, 4), body="unique kumquat")
    store.remove_uids("work", "INBOX", [1, 2])
    assert store.message_row(ids[0]) is None
    assert store.raw_message(ids[0]) is None
    assert [m.id for m in store.listing.search("kumquat")] == [ids[2]]


def test_reset_folder_drops_messages_and_sync_state(store: Store) -> None:
    add(store, range(1, 4))
    store.set_sync_state("work", "INBOX", FolderSyncState(42, 4, 100))
    assert store.sync_state("work", "INBOX") == FolderSyncState(42, 4, 100)
    store.reset_folder("work", "INBOX")
    assert store.uid_flags("work", "INBOX") == {}
    assert store.sync_state("work", "INBOX") == FolderSyncState()


def test_folders_keep_their_role_and_delete_removes_messages(store: Store) -> None:
    store.ensure_folder("work", "INBOX", FolderRole.INBOX)
    store.ensure_folder("work", "INBOX")  # no role given: the known role stays
    add(store, range(1, 3), folder="Old")
    assert store.folder("work", "INBOX").role is FolderRole.INBOX  # type: ignore[union-attr]
    store.delete_folder("work", "Old")
    assert store.folder("work", "Old") is None
    assert store.listing.search("hello") == []


def test_replies_join_their_parents_thread_in_either_order(store: Store) -> None:
    reply_first = store.add_messages(
        "work", "INBOX", [NewMessage(uid=2, raw=make_raw(2, in_reply_to="<m1@test.example>"))]
    )
    parent = add(store, range(1, 2))
    child = store.add_messages(
        "work", "INBOX", [NewMessage(uid=3, raw=make_raw(3, in_reply_to="<m2@test.example>"))]
    )
    rows = [store.message_row(i) for i in (*parent, *reply_first, *child)]
    assert len({r.thread_id for r in rows if r}) == 1
    folder = store.folder("work", "INBOX")
    assert folder is not None
    threaded = store.listing.page(View.of(folder, threaded=True), 0, 10)
    assert [(m.id, m.depth) for m in threaded] == [
        (parent[0], 0),
        (reply_first[0], 1),
        (child[0], 2),
    ]


def test_a_reply_without_references_joins_the_thread_of_its_subject_across_folders(
        store: Store) -> None:
    """Some clients drop In-Reply-To and References: "Re: Budget" then joins the thread of the
    newest earlier "Budget" of the account (here in Sent), as mutt does, but a message that is
    no reply, an unrelated subject, or a subject last seen long ago starts its own thread."""
    store.ensure_folder("work", "Sent", FolderRole.SENT)
    [original] = store.add_messages("work", "Sent", [NewMessage(uid=1, raw=make_raw(
        1, subject="Budget 2024", date="Mon, 01 Jan 2024 10:00:00 +0000"))])
    [reply] = store.add_messages("work", "INBOX", [NewMessage(uid=2, raw=make_raw(
        2, subject="RE: Re: budget  2024", date="Tue, 02 Jan 2024 10:00:00 +0000"))])
    [same_words] = store.add_messages("work", "INBOX", [NewMessage(uid=3, raw=make_raw(
        3, subject="Budget 2024", date="Wed, 03 Jan 2024 10:00:00 +0000"))])
    [other] = store.add_messages("work", "INBOX", [NewMessage(uid=4, raw=make_raw(
        4, subject="Re: Lunch", date="Wed, 03 Jan 2024 11:00:00 +0000"))])
    [late] = store.add_messages("work", "INBOX", [NewMessage(uid=5, raw=make_raw(
        5, subject="Re: Budget 2024", date="Mon, 01 Jul 2024 10:00:00 +0000"))])
    thread = {i: cached_row(store, i).thread_id for i in (original, reply, same_words, other,
                                                           late)}
    assert thread[reply] == thread[original]
    assert thread[same_words] != thread[original]  # not a reply: a new conversation
    assert thread[other] not in (thread[original], thread[same_words])
    assert thread[late] == late  # the last "Budget 2024" is six months older: its own thread


@pytest.mark.parametrize("prefix", ["ali", "Alice", "ALICE@"])
def test_address_completion_by_name_or_address(store: Store, prefix: str) -> None:
    add(store, range(1, 4))
    add(store, range(4, 5), sender="Carol <carol@example.net>")
    assert [a.email for a in store.listing.addresses(prefix)] == ["alice@example.com"]


@pytest.mark.parametrize(("to", "first"), [
    ('"Doe, John" <john@example.org>, Bob <bob@example.org>', "Doe, John"),
    ("ann@example.org, Bob <bob@example.org>", "ann@example.org"),
    ("=?utf-8?q?J=C3=BCrgen?= <j@example.org>", "Jürgen"),
    ('"Ann \\"the boss\\" Lee" <ann@example.org>', 'Ann "the boss" Lee'),
    ("undisclosed-recipients:;", ""),  # no one: the list shows the sender instead
])
def test_the_first_recipient_is_read_back_from_the_cache_whatever_the_to_header(
        store: Store, to: str, first: str) -> None:
    store.ensure_folder("acct", "Sent", FolderRole.SENT)
    store.add_messages("acct", "Sent", [NewMessage(uid=1, flags=Flags(), raw=make_raw(1, to=to))])
    (row,) = store.listing.search("hello", account="acct")
    assert row.first_recipient == first
