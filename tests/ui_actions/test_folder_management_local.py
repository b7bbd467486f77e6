"""Folder management on an account without a server (the demo): the cache is changed alone,
nothing is queued; the picker's `create "NAME"` makes the folder and moves into it."""

from __future__ import annotations

from tests.support.pilot import settle
from tui_mail.store.db import Store
from tui_mail.ui.screens.folder_picker import FolderPicker, NewFolder
from tui_mail.ui.widgets.compose_dialogs import ConfirmDelete
from tui_mail.ui.widgets.folder_tree import FolderChoice, FolderTree


def names(app) -> set[str]:
    return {name for (_account, name) in app.screen.folders}


async def test_create_move_into_rename_and_delete_a_folder_of_the_demo(demo_app):
    app = demo_app()
    async with app.run_test(size=(140, 36)) as pilot:
        await settle(pilot)
        await pilot.press("t", "s")  # tag the first message (and move on), then move
        await settle(pilot)
        assert isinstance(app.screen, FolderPicker)
        await pilot.press(*"Keep/Important")
        await settle(pilot)
        assert app.screen.shown[-1] == NewFolder("Keep/Important")
        # the create choice is the last one (fuzzy matches come first)
        app.screen.query_one("#folder-options").highlighted = len(app.screen.shown) - 1
        await pilot.press("enter")
        await settle(pilot)
        assert "Keep/Important" in names(app)
        assert app.screen.folders[("demo", "Keep/Important")].total == 1
        tree = app.screen.query_one(FolderTree)
        await pilot.press("c")
        tree.place_cursor(tree.choice_node(FolderChoice("demo", "Keep/Important", "")))
        await pilot.press("R")
        await settle(pilot)
        app.screen.query_one("#folder-name").value = "Kept"
        await pilot.press("enter")
        await settle(pilot)
        assert "Kept" in names(app) and "Keep/Important" not in names(app)
        tree.place_cursor(tree.choice_node(FolderChoice("demo", "Kept", "")))
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDelete)
        await pilot.press("y")
        await settle(pilot)
        assert "Kept" not in names(app)
    with Store.open(app.store_path, readonly=True) as store:
        assert store.queues.pending_actions("demo") == []


async def test_the_picker_offers_create_unless_the_typed_name_is_a_folder(demo_app):
    app = demo_app()
    async with app.run_test(size=(140, 36)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, FolderPicker)
        await pilot.press(*"python")  # matches Lists/python-dev, yet "python" can be made
        await settle(pilot)
        assert app.screen.shown == ["Lists/python-dev", NewFolder("python")]
        await pilot.press(*"-dev")  # now the name of a folder: nothing to create
        await settle(pilot)
        assert not any(isinstance(choice, NewFolder) for choice in app.screen.shown)
        await pilot.press("escape")
