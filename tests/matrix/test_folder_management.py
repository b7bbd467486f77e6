"""Folders the user manages, on every server of the matrix: created (nested, non-ASCII) inside
the personal namespace and subscribed, renamed with their messages and subfolders, deleted with
their messages, subscribed and unsubscribed; offline too (queued, sent when the server is back,
and not undone by a sync that comes first); a refusal is said with the server's words and the
cache put back; the `tui-mail folders` command does the same."""

from __future__ import annotations

import pytest

from tests.support.cli import TuiMail
from tests.support.matrix import Mailbox, raw_message
from tui_mail.model import FolderRole
from tui_mail.store.db import Store
from tui_mail.sync.account_sync import sync_account
from tui_mail.sync.credentials import provider

pytestmark = pytest.mark.servers


def _subscribed(box: Mailbox) -> set[str]:
    with box.other() as other:
        return {name for _flags, _delimiter, name in other.client.list_sub_folders()}


def _actions(box: Mailbox, state: str) -> list:
    with Store.open(box.cache, readonly=True) as store:
        return store.queues.actions(box.account.name, (state,))


def _sync_before_the_replay(box: Mailbox) -> None:
    """What the app's sync does while the newest actions wait out their undo moment."""
    sync_account(box.service.store, box.account, provider(box.account, "incoming"),
                 replay=False)


def test_a_nested_and_a_non_ascii_folder_are_made_in_the_namespace_and_subscribed(
        imap_server, make_mailbox) -> None:
    box = make_mailbox(imap_server)
    assert box.sync().ok
    ns = imap_server.namespace
    nested, accented = ns.folder("Projects", "2025"), ns.folder("Réunions d'équipe")
    made = box.service.create_folder(box.account.name, "Projects/2025")
    assert made.folder == nested
    assert box.service.create_folder(box.account.name, "Réunions d'équipe").folder == accented
    assert {nested, accented} <= set(box.folders())  # shown at once, before the server has it
    result = box.sync()
    assert result.ok, result.errors
    with box.other() as other:
        assert {nested, accented} <= set(other.folders())
        other.deliver(raw_message("Into the new folder"), nested)
    assert {nested, accented} <= _subscribed(box)
    assert box.sync().ok
    folders = box.folders()
    assert folders[nested].subscribed and folders[accented].subscribed
    assert set(box.rows(nested)) == {"Into the new folder"}
    assert _actions(box, "pending") == [] and _actions(box, "failed") == []


def test_a_renamed_folder_keeps_its_messages_and_its_subfolders(imap_server,
                                                              make_mailbox) -> None:
    box = make_mailbox(imap_server)
    ns = imap_server.namespace
    clients, acme = ns.folder("Clients"), ns.folder("Clients", "Acme")
    with box.other() as other:
        other.create(clients)
        other.create(acme)
        other.client.subscribe_folder(clients)
        other.deliver(raw_message("Contract"), clients)
        other.deliver(raw_message("Invoice"), clients)
        other.deliver(raw_message("Acme order"), acme)
    assert box.sync().ok
    kept = {row.subject: row.id for row in box.rows(clients).values()}
    outcome = box.service.rename_folder(box.account.name, clients, "Customers")
    customers, customers_acme = ns.folder("Customers"), ns.folder("Customers", "Acme")
    assert outcome.folder == customers
    # At once in the cache: the same rows under the new names, the subfolder with them.
    assert {row.subject: row.id for row in box.rows(customers).values()} == kept
    assert set(box.rows(customers_acme)) == {"Acme order"}
    assert clients not in box.folders() and acme not in box.folders()
    result = box.sync()
    assert result.ok, result.errors
    with box.other() as other:
        names = set(other.folders())
        assert {customers, customers_acme} <= names and not {clients, acme} & names
        assert sorted(other.subjects(customers)) == ["Contract", "Invoice"]
        assert other.subjects(customers_acme) == ["Acme order"]
    assert customers in _subscribed(box) and clients not in _subscribed(box)
    assert set(box.rows(customers)) == {"Contract", "Invoice"}
    assert set(box.rows(customers_acme)) == {"Acme order"}
    assert clients not in box.folders()


def test_a_deleted_folder_goes_with_its_messages(imap_server, make_mailbox) -> None:
    box = make_mailbox(imap_server)
    old = imap_server.namespace.folder("Old stuff")
    with box.other() as other:
        other.create(old)
        other.client.subscribe_folder(old)
        other.deliver(raw_message("Ancient history"), old)
    assert box.sync().ok
    assert box.folders()[old].total == 1
    outcome = box.service.delete_folder(box.account.name, old)
    assert outcome.message == "Folder Old stuff and its 1 message deleted."  # as the tree says
    assert old not in box.folders()
    result = box.sync()
    assert result.ok, result.errors
    with box.other() as other:
        assert old not in other.folders()
    assert old not in _subscribed(box)
    assert old not in box.folders()


def test_subscribing_and_unsubscribing_reach_the_server_and_only_subscribed_hides(
        imap_server, make_mailbox) -> None:
    box = make_mailbox(imap_server, only_subscribed=True)
    lists = imap_server.namespace.folder("Lists")
    with box.other() as other:
        other.create(lists)
        other.client.unsubscribe_folder(lists)
        other.deliver(raw_message("Weekly digest"), lists)
    assert box.sync().ok
    assert not box.folders()[lists].subscribed
    assert box.rows(lists) == {}  # not subscribed: not synced
    box.service.subscribe_folder(box.account.name, lists, True)
    assert box.sync().ok
    assert lists in _subscribed(box)
    assert box.folders()[lists].subscribed
    assert set(box.rows(lists)) == {"Weekly digest"}
    box.service.subscribe_folder(box.account.name, lists, False)
    assert not box.folders()[lists].subscribed
    assert box.sync().ok
    assert lists not in _subscribed(box)
    assert not box.folders()[lists].subscribed


def test_folder_changes_made_offline_reach_the_server_when_it_is_back(imap_server,
                                                                     make_mailbox) -> None:
    box = make_mailbox(imap_server)
    ns = imap_server.namespace
    drafts_old, doomed, lists = ns.folder("Notes"), ns.folder("Doomed"), ns.folder("Lists")
    with box.other() as other:
        for name in (drafts_old, doomed, lists):
            other.create(name)
            other.client.unsubscribe_folder(name)
        other.deliver(raw_message("A note"), drafts_old)
    assert box.sync().ok
    service, account = box.service, box.account.name
    imap_server.stop()
    try:
        service.create_folder(account, "Trips/Lisbon")
        service.rename_folder(account, drafts_old, "Jottings")
        service.delete_folder(account, doomed)
        service.subscribe_folder(account, lists, True)
        offline = box.sync()
        assert not offline.ok
        folders = box.folders()
        assert ns.folder("Trips", "Lisbon") in folders and ns.folder("Jottings") in folders
        assert doomed not in folders and drafts_old not in folders
        assert folders[lists].subscribed
        assert len(_actions(box, "pending")) == 4
    finally:
        imap_server.start()
    # A sync before the replay (the app's undo moment) undoes none of it.
    _sync_before_the_replay(box)
    folders = box.folders()
    assert ns.folder("Trips", "Lisbon") in folders and ns.folder("Jottings") in folders
    assert doomed not in folders and drafts_old not in folders and folders[lists].subscribed
    assert set(box.rows(ns.folder("Jottings"))) == {"A note"}
    result = box.sync()
    assert result.ok, result.errors
    with box.other() as other:
        names = set(other.folders())
        assert {ns.folder("Trips", "Lisbon"), ns.folder("Jottings"), lists} <= names
        assert not {doomed, drafts_old} & names
        assert other.subjects(ns.folder("Jottings")) == ["A note"]
    assert lists in _subscribed(box)
    assert _actions(box, "pending") == [] and _actions(box, "failed") == []
    assert set(box.rows(ns.folder("Jottings"))) == {"A note"}


def test_a_rename_the_server_refuses_is_said_and_the_folder_keeps_its_name(
        imap_server, make_mailbox) -> None:
    box = make_mailbox(imap_server)
    ns = imap_server.namespace
    mine, taken = ns.folder("Mine"), ns.folder("Taken")
    with box.other() as other:
        other.create(mine)
        other.deliver(raw_message("Keep me"), mine)
    assert box.sync().ok
    box.service.rename_folder(box.account.name, mine, "Taken")
    with box.other() as other:  # another client takes the name before the replay
        other.create(taken)
    result = box.sync()
    assert not result.ok
    [failed] = _actions(box, "failed")
    assert "RENAME" in failed.error and "called " + mine in failed.error
    assert any("RENAME" in error for error in result.errors)
    assert set(box.rows(mine)) == {"Keep me"}
    with box.other() as other:
        assert other.subjects(mine) == ["Keep me"]


KEEP_THEIR_TRASH = {"cyrus": "SPECIAL-USE flag conflict",
                    "cyrus-altns-slash": "SPECIAL-USE flag conflict",
                    "courier": "Cannot delete this folder"}
"""Servers that refuse to delete the Trash folder, and what they say."""


def test_a_delete_the_server_refuses_is_said_and_the_folder_comes_back_with_its_messages(
        imap_server, make_mailbox) -> None:
    ns = imap_server.namespace
    trash = ns.folder("Trash")
    # Named elsewhere in the config, the server's Trash is an ordinary folder to tui-mail.
    box = make_mailbox(imap_server, folders={FolderRole.TRASH: ns.folder("Bin")})
    with box.other() as other:
        other.deliver(raw_message("Thrown away"), trash)
    assert box.sync().ok
    box.service.delete_folder(box.account.name, trash)
    assert trash not in box.folders()
    result = box.sync()
    refusal = KEEP_THEIR_TRASH.get(imap_server.label)
    with box.other() as other:
        on_server = trash in other.folders()
    if refusal is None:
        assert result.ok, result.errors
        assert not on_server and trash not in box.folders()
        return
    [failed] = _actions(box, "failed")
    assert f"DELETE {trash!r} refused: {refusal}" in failed.error
    assert "the folder is kept" in failed.error
    assert any(refusal in error for error in result.errors)
    assert on_server
    assert set(box.rows(trash)) == {"Thrown away"}  # back, with its message


# -- the command line -------------------------------------------------------------------------

def _cli(box: Mailbox, home) -> TuiMail:
    home.mkdir()
    tool = TuiMail(home)
    incoming = box.account.incoming
    tool.config.write_text(f"""
[accounts.work]
address = "me@example.test"

[accounts.work.incoming]
protocol = "imap"
host = "{incoming.host}"
port = {incoming.port}
security = "tls"
username = "{incoming.username}"
ca_file = "{incoming.ca_file}"
password_command = "printf '%s' '{box.user.password}'"
timeout = 20
""")
    return tool


def test_the_folders_command_lists_creates_renames_subscribes_and_deletes(
        imap_server, make_mailbox, tmp_path) -> None:
    box = make_mailbox(imap_server)
    ns = imap_server.namespace
    cli = _cli(box, tmp_path / "home")
    assert cli("sync").returncode == 0
    made = cli("folders", "create", "Receipts/2025")
    assert made.returncode == 0, made.output
    receipts = ns.folder("Receipts", "2025")
    listed = cli("folders")
    assert listed.returncode == 0, listed.output
    assert receipts in listed.stdout and "INBOX" in listed.stdout
    renamed = cli("folders", "rename", "Receipts/2025", "Receipts/Old")
    assert renamed.returncode == 0, renamed.output
    off = cli("folders", "unsubscribe", "Receipts/Old")
    assert off.returncode == 0, off.output
    gone = cli("folders", "delete", "--account", "work", "Receipts/Old")  # not a terminal
    assert gone.returncode == 0, gone.output
    with box.other() as other:
        assert not {receipts, ns.folder("Receipts", "Old")} & set(other.folders())
    trash = ns.folder("Trash")
    refused = cli("folders", "delete", trash)
    assert refused.returncode == 2 and "Trash" in refused.stderr
    missing = cli("folders", "rename", "Nowhere", "Somewhere")
    assert missing.returncode == 2 and "no folder 'Nowhere'" in missing.stderr
