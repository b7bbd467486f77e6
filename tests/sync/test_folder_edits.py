"""Folder changes in the cache, before any server: names typed as paths inside the personal
namespace, what tui-mail refuses, rename with subfolders, and what queued changes mean for a
LIST that comes before their replay."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_mail.model import Account, Address, FolderRole, Protocol, Security, ServerConfig
from tui_mail.store.db import Store
from tui_mail.store.types import Action
from tui_mail.sync.folder_actions import (
    FolderEdits,
    FolderRefused,
    pending_folder_changes,
    server_name,
)


@pytest.mark.parametrize(("typed", "prefix", "delimiter", "name"), [
    ("Projects/2025", "", "/", "Projects/2025"),
    ("Projects/2025", "INBOX.", ".", "INBOX.Projects.2025"),
    (" Réunions / Équipe ", "INBOX.", ".", "INBOX.Réunions.Équipe"),
    ("INBOX.Projects", "INBOX.", ".", "INBOX.Projects"),  # already inside: as it is
    ("inbox", "INBOX.", ".", "inbox"),
    ("Work", "", "", "Work"),  # no NAMESPACE known yet
])
def test_a_typed_name_is_a_path_inside_the_personal_namespace(typed, prefix, delimiter,
                                                              name) -> None:
    assert server_name(typed, prefix, delimiter) == name


@pytest.mark.parametrize("typed", ["", "  ", "a//b", "/a", "a/", "bad\x1b[2Jname", "x*", "50%",
                                   "Invoices v1.2"])
def test_names_a_server_cannot_take_are_refused(typed) -> None:
    with pytest.raises(FolderRefused):
        server_name(typed, "INBOX.", ".")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "cache.sqlite3")
    store.ensure_folder("work", "INBOX", FolderRole.INBOX, ".")
    store.ensure_folder("work", "INBOX.Trash", FolderRole.TRASH, ".")
    store.set_personal_namespace("work", "INBOX.", ".")
    return store


def imap_account() -> Account:
    server = ServerConfig(Protocol.IMAP, "imap.example.test", 993, Security.TLS, "me")
    return Account("work", Address("Me", "me@example.test"), server, None)


def test_changes_of_an_imap_account_are_queued_and_role_folders_refused(store) -> None:
    edits = FolderEdits(store, {"work": imap_account()}, "work")
    made = edits.create("Clients/Acme")
    assert made.folder == "INBOX.Clients.Acme" and made.queued
    edits.create("Clients")
    renamed = edits.rename("INBOX.Clients", "Customers")
    assert renamed.renamed == {"INBOX.Clients": "INBOX.Customers",
                               "INBOX.Clients.Acme": "INBOX.Customers.Acme"}
    assert {f.name for f in store.folders("work")} == {
        "INBOX", "INBOX.Trash", "INBOX.Customers", "INBOX.Customers.Acme"}
    with pytest.raises(FolderRefused, match="holds 1 folder"):
        edits.delete("INBOX.Customers")
    with pytest.raises(FolderRefused, match="Trash: it cannot be deleted"):
        edits.delete("INBOX.Trash")
    with pytest.raises(FolderRefused, match="inbox: it cannot be renamed"):
        edits.rename("INBOX", "Post")
    with pytest.raises(FolderRefused, match="already"):
        edits.create("Customers")
    with pytest.raises(FolderRefused, match="inside itself"):
        edits.rename("INBOX.Customers", "Customers/Acme/Deeper")
    assert [a.kind for a in store.queues.pending_actions("work")] == [
        "folder_create", "folder_create", "folder_rename"]


def test_a_folder_with_moves_into_it_not_sent_yet_is_not_deleted(store) -> None:
    """Deleting it would drop the moved rows: an undo or a refused move could not put the
    messages back where the server still has them."""
    edits = FolderEdits(store, {"work": imap_account()}, "work")
    edits.create("Receipts")
    store.queues.enqueue_action("work", "move", {"folder": "INBOX", "target": "INBOX.Receipts",
                                          "uids": [1]})
    with pytest.raises(FolderRefused, match="have not reached the server yet"):
        edits.delete("INBOX.Receipts")
    assert store.folder("work", "INBOX.Receipts") is not None


def test_a_cache_without_a_server_is_changed_alone(store) -> None:
    outcome = FolderEdits(store, {}, "work").create("Notes")
    assert not outcome.queued and store.queues.pending_actions("work") == []
    assert store.folder("work", "INBOX.Notes") is not None


def test_queued_changes_hide_what_the_user_deleted_or_renamed_and_keep_subscriptions() -> None:
    def action(kind: str, **payload: object) -> Action:
        return Action(0, "work", kind, payload, "pending", None, None)  # type: ignore[arg-type]

    pending = pending_folder_changes([
        action("folder_create", folder="New", target="New"),
        action("folder_rename", folder="Old", target="Renamed"),
        action("folder_delete", folder="Gone"),
        action("folder_subscribe", folder="Lists", subscribe=False),
        action("move", folder="INBOX", target="Old"),
    ])
    assert pending.hides("Old", "/") and pending.hides("Old/Sub", "/")
    assert pending.hides("Gone", "/") and not pending.hides("Oldies", "/")
    assert not pending.hides("New", "/") and not pending.hides("Renamed", "/")
    assert pending.subscribed == {"New": True, "Lists": False}
