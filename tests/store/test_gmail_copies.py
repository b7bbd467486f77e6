"""A Gmail message is cached once per label it carries (INBOX, All Mail, a user's label): a
search beyond one folder shows it once, by X-GM-MSGID when Gmail gave it, else by Message-ID.
A folder's own list and search show the folder's own messages; other accounts are unchanged."""

from __future__ import annotations

from tests.store.builders import make_raw
from tui_mail.model import FolderRole
from tui_mail.store import NewMessage, Store, View
from tui_mail.store.listing import inbox_view

ALL_MAIL = "[Gmail]/All Mail"


def _gmail(store: Store, account: str = "gmail") -> None:
    store.ensure_folder(account, "INBOX", FolderRole.INBOX)
    store.ensure_folder(account, ALL_MAIL, FolderRole.ARCHIVE)
    store.ensure_folder(account, "[Gmail]/Trash", FolderRole.TRASH)
    store.ensure_folder(account, "Work")
    store.set_gmail(account, True)


def _put(store: Store, account: str, folder: str, n: int, *, uid: int,
         gm_msgid: int | None = None, **fields: str) -> int:
    [row] = store.add_messages(account, folder, [NewMessage(
        uid=uid, raw=make_raw(n, body=fields.pop("body", f"report number {n}"), **fields),
        gm_msgid=gm_msgid)])
    return row


def _labelled(store: Store, n: int, folders: tuple[str, ...], account: str = "gmail",
              gm_msgid: int | None = None, **fields: str) -> dict[str, int]:
    return {folder: _put(store, account, folder, n, uid=n, gm_msgid=gm_msgid, **fields)
            for folder in folders}


def where(rows) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(r.subject, r.folder) for r in rows]


def test_the_account_is_remembered_as_gmail(store: Store) -> None:
    store.ensure_folder("plain", "INBOX")
    _gmail(store)
    assert store.is_gmail("gmail") and not store.is_gmail("plain")
    assert not store.is_gmail("unknown")
    store.set_gmail("gmail", False)
    assert not store.is_gmail("gmail")


def test_a_message_in_inbox_and_all_mail_is_one_result_shown_in_the_inbox(store: Store) -> None:
    _gmail(store)
    _labelled(store, 1, ("INBOX", ALL_MAIL))
    _labelled(store, 2, (ALL_MAIL,))  # archived: All Mail only
    _labelled(store, 3, ("Work", ALL_MAIL))
    for query in ("report", "", "from:alice"):
        assert where(store.listing.search(query, account="gmail")) == [
            ("message 3", "Work"), ("message 2", ALL_MAIL), ("message 1", "INBOX")], query
        assert len(store.listing.search(query)) == 3  # every account
    # A folder's own search and list show its own messages.
    assert where(store.listing.search("report", account="gmail", folder=ALL_MAIL)) == [
        ("message 3", ALL_MAIL), ("message 2", ALL_MAIL), ("message 1", ALL_MAIL)]
    all_mail = store.folder("gmail", ALL_MAIL)
    assert all_mail is not None and store.listing.count(View.of(all_mail)) == 3
    assert [r.subject for r in store.listing.page(inbox_view(), 0, 10)] == ["message 1"]


def test_the_copy_shown_is_one_that_matches(store: Store) -> None:
    """The All Mail copy has its body, the inbox copy only headers: a word of the body finds
    the message, once, in All Mail; a word of the subject finds it in the inbox."""
    _gmail(store)
    inbox = store.add_messages("gmail", "INBOX", [NewMessage(
        uid=1, raw_headers=make_raw(1).split(b"\r\n\r\n")[0] + b"\r\n\r\n")])[0]
    _put(store, "gmail", ALL_MAIL, 1, uid=1, body="only the body says zebra")
    assert where(store.listing.search("zebra", account="gmail")) == [("message 1", ALL_MAIL)]
    assert where(store.listing.search("subject:message", account="gmail")) == [("message 1", "INBOX")]
    assert store.listing.search("is:unread subject:message", account="gmail")[0].id == inbox
    assert where(store.listing.search("folder:INBOX", account="gmail")) == [("message 1", "INBOX")]
    assert where(store.listing.search(f'folder:"{ALL_MAIL}"', account="gmail")) == [
        ("message 1", ALL_MAIL)]


def test_paging_shows_every_message_once(store: Store) -> None:
    _gmail(store)
    for n in range(1, 31):
        labels = ("INBOX", ALL_MAIL) if n % 3 else ("Work", "INBOX", ALL_MAIL)
        _labelled(store, n, labels if n % 5 else (ALL_MAIL,))
    for size in (1, 2, 7, 50):
        seen: list[str] = []
        page = store.listing.search("report", account="gmail", limit=size)
        while page:
            seen += [r.subject for r in page]
            page = store.listing.search("report", account="gmail", limit=size, before_key=page[-1].id)
        assert seen == [f"message {n}" for n in range(30, 0, -1)], size


def test_gmail_message_ids_decide_before_message_ids(store: Store) -> None:
    """Two messages can share a Message-ID (a copy received back from a list, say): with
    X-GM-MSGID Gmail tells them apart. Without it on either row, the Message-ID decides."""
    _gmail(store)
    _labelled(store, 1, ("INBOX",), gm_msgid=111)
    _labelled(store, 1, (ALL_MAIL,), gm_msgid=111)
    _put(store, "gmail", "Work", 1, uid=9, gm_msgid=222)  # same Message-ID, another message
    _labelled(store, 2, ("INBOX",), gm_msgid=333, message_id="<x@test.example>")
    _labelled(store, 2, (ALL_MAIL,), gm_msgid=333, message_id="<y@test.example>")
    _labelled(store, 3, ("INBOX",), gm_msgid=444)
    _labelled(store, 3, (ALL_MAIL,))  # fetched before X-GM-MSGID was known
    assert sorted(where(store.listing.search("report", account="gmail"))) == [
        ("message 1", "INBOX"), ("message 1", "Work"), ("message 2", "INBOX"),
        ("message 3", "INBOX")]


def test_a_copy_in_trash_is_the_one_shown(store: Store) -> None:
    """Gmail takes a trashed message out of every label: a copy elsewhere is stale."""
    _gmail(store)
    _labelled(store, 1, ("[Gmail]/Trash", ALL_MAIL, "Work"))
    assert where(store.listing.search("report", account="gmail")) == [("message 1", "[Gmail]/Trash")]


def test_other_accounts_keep_every_copy(store: Store) -> None:
    _gmail(store)
    store.ensure_folder("plain", "INBOX", FolderRole.INBOX)
    store.ensure_folder("plain", "Archive", FolderRole.ARCHIVE)
    _labelled(store, 1, ("INBOX", "Archive"), account="plain")
    _labelled(store, 1, ("INBOX", ALL_MAIL))  # the same message in the Gmail account too
    assert sorted(where(store.listing.search("report"))) == [
        ("message 1", "Archive"), ("message 1", "INBOX"), ("message 1", "INBOX")]
    assert len(store.listing.search("report", account="plain")) == 2
