"""Folder management from the folder pane (N new, R rename, D delete, s subscribe) and the
move picker's `create "NAME"`, on a cache synced from the test Dovecot: the tree changes at
once, the queue reaches the server when replayed."""

from __future__ import annotations

import imapclient
import pytest

from tests.support.pilot import notifications, screen_text, settle
from tests.support.synced import Synced, pending, server_messages
from tui_mail.remote.connection import ssl_context
from tui_mail.ui.screens.folder_dialogs import FolderNameDialog
from tui_mail.ui.screens.folder_picker import FolderPicker, NewFolder
from tui_mail.ui.widgets.compose_dialogs import ConfirmDelete
from tui_mail.ui.widgets.folder_tree import FolderChoice, FolderTree
from tui_mail.ui.widgets.message_list import MessageList

pytestmark = pytest.mark.servers


def server_folders(synced: Synced) -> tuple[set[str], set[str]]:
    """(every folder, the subscribed ones) on the server."""
    client = imapclient.IMAPClient("127.0.0.1", port=synced.servers.imap_tls_port, ssl=True,
                                   ssl_context=ssl_context(synced.account.incoming), timeout=20)
    try:
        client.login(synced.user.login, synced.user.password)
        return ({name for _f, _d, name in client.list_folders()},
                {name for _f, _d, name in client.list_sub_folders()})
    finally:
        client.logout()


def make_folder(synced: Synced, name: str, *, subscribe: bool = True) -> None:
    client = imapclient.IMAPClient("127.0.0.1", port=synced.servers.imap_tls_port, ssl=True,
                                   ssl_context=ssl_context(synced.account.incoming), timeout=20)
    try:
        client.login(synced.user.login, synced.user.password)
        client.create_folder(name)
        if subscribe:
            client.subscribe_folder(name)
    finally:
        client.logout()


async def on_folder(pilot, name: str) -> FolderTree:
    """Focus the folder pane with its cursor on `name` of the account "test"."""
    app = pilot.app
    tree = app.screen.query_one(FolderTree)
    if not tree.has_focus:
        await pilot.press("c")
    node = tree.choice_node(FolderChoice("test", name, ""))
    assert node is not None, f"{name} is not in the tree"
    tree.place_cursor(node)
    await settle(pilot)
    return tree


def tree_names(app) -> set[str]:
    return {name for (account, name) in app.screen.folders if account == "test"}


async def test_n_makes_a_nested_folder_shown_at_once_and_on_the_server_after_the_replay(synced):
    app = synced.app()
    async with app.run_test(size=(140, 36)) as pilot:
        await settle(pilot)
        await on_folder(pilot, "INBOX")
        await pilot.press("N")
        await settle(pilot)
        assert isinstance(app.screen, FolderNameDialog)
        await pilot.press(*"Projects/2025", "enter")
        await settle(pilot)
        assert "Projects/2025" in tree_names(app)
        assert "Folder Projects/2025 created." in notifications(app)
        assert [a.kind for a in pending(synced)] == ["folder_create"]
        app.replay_now()
        await settle(pilot)
        folders, subscribed = server_folders(synced)
        assert "Projects/2025" in folders and "Projects/2025" in subscribed
        assert pending(synced) == []


async def test_r_renames_the_folder_shown_and_the_list_follows_it(synced):
    make_folder(synced, "Clients")
    app = synced.app()
    async with app.run_test(size=(140, 36)) as pilot:
        await settle(pilot)
        app.action_sync()
        await settle(pilot)
        tree = await on_folder(pilot, "INBOX")
        await pilot.press("enter")  # show INBOX: move two messages into Clients
        await settle(pilot)
        await pilot.press("t", "t", "s")
        await settle(pilot)
        await pilot.press(*"Clients", "enter")
        await settle(pilot)
        app.replay_now()
        await settle(pilot)
        app.action_sync()
        await settle(pilot)
        tree = await on_folder(pilot, "Clients")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.state.choice.folder == "Clients"
        await pilot.press("c")  # back to the folder pane, on Clients
        await settle(pilot)
        assert tree.has_focus
        await pilot.press("R")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, FolderNameDialog)
        assert dialog.query_one("#folder-name").value == "Clients"  # prefilled
        dialog.query_one("#folder-name").value = ""
        await pilot.press(*"Customers", "enter")
        await settle(pilot)
        assert "Customers" in tree_names(app) and "Clients" not in tree_names(app)
        assert app.screen.state.choice.folder == "Customers"  # the list follows
        assert app.screen.query_one(MessageList).row_count == 2
        app.replay_now()
        await settle(pilot)
        folders, _ = server_folders(synced)
        assert "Customers" in folders and "Clients" not in folders
        assert len(server_messages(synced, "Customers")) == 2


async def test_shift_d_asks_with_the_count_and_deletes_and_a_role_folder_is_refused(synced):
    make_folder(synced, "Old")
    app = synced.app()
    async with app.run_test(size=(140, 36)) as pilot:
        await settle(pilot)
        app.action_sync()
        await settle(pilot)
        await on_folder(pilot, "Trash")
        await pilot.press("D")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmDelete)
        assert any("Trash is the account's Trash: it cannot be deleted" in n
                   for n in notifications(app))
        await on_folder(pilot, "Old")
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDelete)
        assert "Delete folder Old? It holds no messages." in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert "Old" in tree_names(app)
        await pilot.press("D")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert "Old" not in tree_names(app)
        app.replay_now()
        await settle(pilot)
        assert "Old" not in server_folders(synced)[0]


async def test_the_delete_question_counts_the_cached_messages(synced):
    app = synced.app()
    async with app.run_test(size=(140, 36)) as pilot:
        await settle(pilot)
        await on_folder(pilot, "INBOX")
        await pilot.press("N")
        await settle(pilot)
        await pilot.press(*"Reports", "enter")
        await settle(pilot)
        await on_folder(pilot, "INBOX")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("t", "t", "t", "s")
        await settle(pilot)
        await pilot.press(*"Reports", "enter")
        await settle(pilot)
        await on_folder(pilot, "Reports")
        await pilot.press("D")
        await settle(pilot)
        assert "Delete folder Reports and its 3 messages?" in screen_text(app)


async def test_s_subscribes_and_unsubscribes_and_an_unsubscribed_folder_is_dim(synced):
    make_folder(synced, "Lists", subscribe=False)
    app = synced.app()
    async with app.run_test(size=(140, 36)) as pilot:
        await settle(pilot)
        app.action_sync()
        await settle(pilot)
        tree = await on_folder(pilot, "Lists")
        assert not app.screen.folders[("test", "Lists")].subscribed
        label = tree.choice_node(FolderChoice("test", "Lists", "")).label
        assert "dim" in str(label.spans[-1].style)
        await pilot.press("s")
        await settle(pilot)
        assert app.screen.folders[("test", "Lists")].subscribed
        app.replay_now()
        await settle(pilot)
        assert "Lists" in server_folders(synced)[1]
        await pilot.press("s")
        await settle(pilot)
        app.replay_now()
        await settle(pilot)
        assert "Lists" not in server_folders(synced)[1]
        assert not app.screen.folders[("test", "Lists")].subscribed


async def test_the_move_picker_offers_create_and_moves_into_the_new_folder(synced):
    app = synced.app()
    async with app.run_test(size=(140, 36)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        chosen = message_list.selected.subject
        await pilot.press("s")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, FolderPicker)
        await pilot.press(*"Receipts")
        await settle(pilot)
        assert picker.shown == [NewFolder("Receipts")]
        assert 'create "Receipts"' in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert "Receipts" in tree_names(app)
        assert chosen not in [message_list.summary_at(i).subject
                              for i in range(message_list.row_count)]
        assert [a.kind for a in pending(synced)] == ["folder_create", "move"]
        app.replay_now()
        await settle(pilot)
        assert set(server_messages(synced, "Receipts")) == {chosen}
