"""Folders that come and go on every server of the matrix: each sync's LIST is the truth.

A folder deleted on the server leaves the cache and search; a renamed one is seen under its new
name (its messages kept where the server gives MAILBOXIDs); a queued move into a folder that
vanished fails with the server's reason and the message stays where it is; archive into a
deleted Archive makes a new one; a server that changes its hierarchy delimiter does not double
the tree."""

from __future__ import annotations

import imapclient.exceptions
import pytest

from tests.servers.imap_matrix import close_server, start_server
from tests.support.matrix import Mailbox, raw_message
from tui_mail.model import FolderRole
from tui_mail.remote.connection import Credentials
from tui_mail.remote.imap import ImapBackend
from tui_mail.store.db import Store

pytestmark = pytest.mark.servers


PROTECT_SPECIAL_USE = {"cyrus", "cyrus-altns-slash"}
"""Servers that refuse to delete a folder carrying a SPECIAL-USE flag."""


def _capabilities(box: Mailbox) -> frozenset[str]:
    backend = ImapBackend.open(box.account.incoming, Credentials(box.user.login,
                                                                 password=box.user.password))
    try:
        return backend.capabilities
    finally:
        backend.close()


def _search(box: Mailbox, words: str) -> list[str]:
    with Store.open(box.cache, readonly=True) as store:
        return [hit.subject for hit in store.listing.search(words, account=box.account.name)]


def test_a_folder_deleted_on_the_server_leaves_the_cache_and_search(imap_server,
                                                                    make_mailbox) -> None:
    box = make_mailbox(imap_server)
    old = imap_server.namespace.folder("Old project")
    with box.other() as other:
        other.create(old)
        other.deliver(raw_message("Plans", "The plutonium supplier called.\n"), old)
    assert box.sync(bodies=True).ok
    assert _search(box, "plutonium") == ["Plans"]
    with box.other() as other:
        other.delete(old)
    assert box.sync().ok
    assert old not in box.folders()
    assert _search(box, "plutonium") == []
    shown = "Old project"  # named as the tree shows it, inside the namespace
    assert any(f"{shown!r} is gone from the server (deleted or renamed there); its 1 message "
               "is no longer kept here" in notice for notice in box.notices()), box.notices()


def test_a_folder_renamed_on_the_server_is_seen_under_its_new_name(imap_server,
                                                                  make_mailbox) -> None:
    box = make_mailbox(imap_server)
    ns = imap_server.namespace
    before, after = ns.folder("Projects"), ns.folder("Ventures")
    with box.other() as other:
        other.create(before)
        other.deliver(raw_message("Kick-off"), before)
    assert box.sync().ok
    [row] = box.rows(before).values()
    with box.other() as other:
        other.rename(before, after)
    assert box.sync().ok
    assert before not in box.folders() and after in box.folders()
    [moved] = box.rows(after).values()
    assert moved.subject == "Kick-off"
    if "OBJECTID" in _capabilities(box):  # the same folder by its MAILBOXID: nothing refetched
        assert moved.id == row.id
        assert "the folder 'Projects' was renamed to 'Ventures' on the server; its mail moved " \
            "with it" in box.notices()


def test_a_queued_move_into_a_folder_deleted_meanwhile_fails_and_the_message_stays(
        imap_server, make_mailbox) -> None:
    box = make_mailbox(imap_server)
    target = imap_server.namespace.folder("Receipts")
    with box.other() as other:
        other.create(target)
        other.deliver(raw_message("Invoice 42"))
    assert box.sync().ok
    box.act("move", ["Invoice 42"], target=target)
    assert set(box.rows(target)) == {"Invoice 42"}  # shown moved at once
    with box.other() as other:
        other.delete(target)
    result = box.sync()
    assert any(target in error for error in result.errors), result.errors
    assert set(box.rows()) == {"Invoice 42"}  # back where the server still has it
    with box.other() as other:
        assert other.subjects("INBOX") == ["Invoice 42"]
    assert box.sync().ok
    assert target not in box.folders()  # gone at the next LIST, the action having been told


def test_archive_after_the_archive_folder_was_deleted_on_the_server_makes_a_new_one(
        imap_server, make_mailbox) -> None:
    box = make_mailbox(imap_server)
    archive = imap_server.namespace.folder("Archive")
    with box.other() as other:
        other.deliver(raw_message("Keep forever"))
    assert box.sync().ok
    assert box.folders()[archive].role is FolderRole.ARCHIVE
    with box.other() as other:
        if imap_server.label in PROTECT_SPECIAL_USE:  # no client can delete it there
            with pytest.raises(imapclient.exceptions.IMAPClientError, match="SPECIAL-USE"):
                other.delete(archive)
            return
        other.delete(archive)
    assert box.sync().ok
    assert archive not in box.folders()
    box.act("archive", ["Keep forever"])
    result = box.sync()
    assert result.ok, result.errors
    with box.other() as other:
        assert other.subjects(archive) == ["Keep forever"]
        assert other.subjects("INBOX") == []


@pytest.fixture
def own_cyrus(matrix_certs):
    """A Cyrus for this test alone: it is restarted with another configuration."""
    server = start_server("cyrus", matrix_certs)
    yield server
    close_server(server)


def test_a_server_that_changes_its_hierarchy_delimiter_does_not_double_the_tree(
        own_cyrus, make_mailbox) -> None:
    box = make_mailbox(own_cyrus)
    ns = own_cyrus.namespace
    with box.other() as other:
        other.create(ns.folder("Work"))
        other.create(ns.folder("Work", "2024"))
        other.deliver(raw_message("Budget"), ns.folder("Work", "2024"))
    assert box.sync().ok
    count = len(box.folders())
    [row] = box.rows(ns.folder("Work", "2024")).values()
    own_cyrus.restart_with(unixhierarchysep=True)
    assert own_cyrus.namespace.delimiter == "/"
    assert box.sync().ok
    folders = box.folders()
    assert len(folders) == count
    assert "INBOX/Work/2024" in folders and "INBOX.Work.2024" not in folders
    assert folders["INBOX/Work/2024"].delimiter == "/"
    [kept] = box.rows("INBOX/Work/2024").values()
    assert kept.id == row.id  # followed by MAILBOXID: the same cached message
