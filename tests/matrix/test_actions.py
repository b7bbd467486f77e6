"""Actions on every server of the matrix: online, queued while the server is down and sent when
it is back, into role folders the account does not have yet (made inside the namespace), and
through IDLE the new mail of another client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.matrix import WAIT, Mailbox, raw_message, wait_until
from tui_mail.model import Account
from tui_mail.store.db import Store
from tui_mail.store.types import View
from tui_mail.sync.service import MailService, ServiceSettings

pytestmark = pytest.mark.servers


def _four(box: Mailbox) -> None:
    with box.other() as other:
        for n, subject in enumerate(["To read", "To flag", "To delete", "To archive"]):
            other.deliver(raw_message(subject, minutes_ago=n))
    assert box.sync().ok


def _server_view(box: Mailbox) -> dict[str, object]:
    ns = box.server.namespace
    with box.other() as other:
        inbox = dict(zip(other.subjects("INBOX"), other.uids("INBOX"), strict=True))
        return {
            "inbox": set(inbox),
            "read": "\\Seen" in other.flags("INBOX", inbox["To read"]),
            "flagged": "\\Flagged" in other.flags("INBOX", inbox["To flag"]),
            "trash": other.subjects(ns.folder("Trash")),
            "archive": other.subjects(ns.folder("Archive")),
        }


EXPECTED = {"inbox": {"To read", "To flag"}, "read": True, "flagged": True,
            "trash": ["To delete"], "archive": ["To archive"]}


def test_read_flag_delete_and_archive_reach_the_server(imap_server, make_mailbox) -> None:
    box = make_mailbox(imap_server)
    _four(box)
    box.act("read", ["To read"])
    box.act("flag", ["To flag"])
    box.act("delete", ["To delete"])
    box.act("archive", ["To archive"])
    result = box.sync()
    assert result.ok, result.errors
    assert _server_view(box) == EXPECTED
    assert set(box.rows()) == {"To read", "To flag"}
    assert set(box.rows(imap_server.namespace.folder("Trash"))) == {"To delete"}


def test_actions_taken_while_the_server_is_down_reach_it_when_it_is_back(
        imap_server, make_mailbox) -> None:
    box = make_mailbox(imap_server)
    _four(box)
    imap_server.stop()
    try:
        box.act("read", ["To read"])
        box.act("flag", ["To flag"])
        box.act("delete", ["To delete"])
        box.act("archive", ["To archive"])
        offline = box.sync()
        assert not offline.ok and offline.stopped_by is not None
        assert set(box.rows()) == {"To read", "To flag"}  # shown done at once, offline
    finally:
        imap_server.start()
    result = box.sync()
    assert result.ok, result.errors
    assert _server_view(box) == EXPECTED


def test_delete_and_archive_make_trash_and_archive_inside_the_users_namespace(
        imap_server, make_mailbox) -> None:
    box = make_mailbox(imap_server, special_folders=False)
    _four(box)
    box.act("delete", ["To delete"])
    box.act("archive", ["To archive"])
    result = box.sync()
    assert result.ok, result.errors
    ns = imap_server.namespace
    with box.other() as other:
        assert {ns.folder("Trash"), ns.folder("Archive")} <= set(other.folders())
        assert other.subjects(ns.folder("Trash")) == ["To delete"]
        assert other.subjects(ns.folder("Archive")) == ["To archive"]
    assert set(box.rows()) == {"To read", "To flag"}


@pytest.fixture
def running_services() -> Iterator[list[MailService]]:
    made: list[MailService] = []
    yield made
    for service in made:
        service.stop(timeout=5)


def _cached_subjects(cache, account: Account) -> set[str]:
    with Store.open(cache, readonly=True) as store:
        folder = store.folder(account.name, "INBOX")
        return {r.subject for r in store.listing.page(View.of(folder), 0, 100)} if folder else set()


def test_mail_another_client_delivers_arrives_through_idle(imap_server, make_mailbox,
                                                           running_services) -> None:
    box = make_mailbox(imap_server)
    with box.other() as other:
        other.deliver(raw_message("Before"))
    # No timer: after the first sync only IDLE can bring new mail.
    service = MailService([box.account], box.cache,
                          settings=ServiceSettings(sync_every_minutes=0, idle=True))
    running_services.append(service)
    service.start()
    wait_until(lambda: _cached_subjects(box.cache, box.account) == {"Before"}, what="first sync")
    assert service.wait_quiet(WAIT)
    with box.other() as other:
        other.deliver(raw_message("Pushed"))
    wait_until(lambda: "Pushed" in _cached_subjects(box.cache, box.account),
               what="the new message through IDLE")
