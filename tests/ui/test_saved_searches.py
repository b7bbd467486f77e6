"""Saved searches: listed under "Searches" in the folder pane with their unread counts, chosen
like a folder (the results of every account, Escape back to the folder), kept counted as mail
is read, and saved from the search bar into the config file."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import Input
from textual.widgets.tree import TreeNode

from tests.support import app as support
from tests.support.pilot import screen_text, settle
from tui_mail.config import UISettings, parse_config
from tui_mail.store.db import Store
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.screens.ask_text import AskText, YesNo
from tui_mail.ui.screens.folder_dialogs import FolderNameDialog
from tui_mail.ui.widgets.folder_tree import FolderChoice, FolderTree
from tui_mail.ui.widgets.message_list import MessageList
from tui_mail.ui.widgets.search_bar import SearchBar, SearchScope

SIZE = (160, 48)  # the folder pane beside the list and the preview

CONFIG = """\
# my searches
theme = "tui-mail-dark"

[searches]
"Alice unread" = "from:alice is:unread"   # the fill: messages 0, 12 and 24
unread = "is:unread"
python = "folder:Lists/python"
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture
def app_with(cache_path: Path, tmp_path: Path) -> Callable[[Path], TuiMailApp]:
    def make(path: Path) -> TuiMailApp:
        config = replace(parse_config(path.read_text(encoding="utf-8"), path),
                         ui=UISettings(attachments_dir=tmp_path / "attachments"))
        return support.make_app(cache_path, config)
    return make


def search_lines(tree: FolderTree) -> dict[str, str]:
    """The "Searches" heading's lines, by search name: what each line says."""
    [heading] = [node for node in tree.root.children if str(node.label) == "Searches"]
    assert all(node.data is not None for node in heading.children)
    return {node.data.title: str(node.label) for node in heading.children if node.data}


def search_node(tree: FolderTree, name: str) -> TreeNode[FolderChoice]:
    node = tree.choice_node(FolderChoice(None, None, name, search="?"))
    assert node is not None, name
    return node


def unread_matching(cache_path: Path, query: str) -> int:
    store = Store.open(cache_path, readonly=True)
    try:
        return sum(1 for m in store.listing.search(query, limit=1000) if not m.flags.seen)
    finally:
        store.close()


async def choose(pilot, name: str) -> None:  # noqa: ANN001
    tree = pilot.app.screen.query_one(FolderTree)
    tree.focus()
    tree.move_cursor(search_node(tree, name))
    await pilot.press("enter")
    await settle(pilot)


async def test_the_pane_lists_the_searches_after_all_inboxes_with_their_unread_counts(
        app_with, config_file, cache_path):
    app = app_with(config_file)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(FolderTree)
        titles = [node.label.plain for node in tree.root.children]
        assert titles[:2] == ["▣ All inboxes 12", "Searches"]
        unread = unread_matching(cache_path, "is:unread")
        assert unread == 12  # every unread message, of both accounts
        assert search_lines(tree) == {"Alice unread": "⌕ Alice unread 3",
                                      "unread": f"⌕ unread {unread}",
                                      "python": "⌕ python"}  # read: no count
        assert "Searches" in screen_text(app)


async def test_choosing_a_search_lists_exactly_its_messages_from_every_account(
        app_with, config_file, cache_path):
    app = app_with(config_file)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        folder_rows = message_list.row_count
        await choose(pilot, "unread")
        listed = {message_list.summary_at(i).id for i in range(message_list.row_count)}
        store = Store.open(cache_path, readonly=True)
        expected = {m.id for m in store.listing.search("is:unread", limit=1000)}
        store.close()
        assert listed == expected
        assert {message_list.summary_at(i).account
                for i in range(message_list.row_count)} == {"work", "home"}
        assert message_list.has_focus
        bar = app.screen.query_one(SearchBar)
        assert (bar.typed, bar.scope) == ("is:unread", SearchScope.ALL)
        text = screen_text(app)
        assert "“unread”: 12 results" in text
        assert "Saved search “unread”: is:unread" in text
        await pilot.press("escape")  # back to the folder, as from any search
        await settle(pilot)
        assert not app.screen.searching
        assert message_list.row_count == folder_rows
        assert bar.scope is SearchScope.FOLDER  # the bar's own scope again for `/`


async def test_refining_the_query_drops_the_search_name(app_with, config_file):
    app = app_with(config_file)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await choose(pilot, "Alice unread")
        assert app.screen.saved_search is not None
        await pilot.press("slash")
        await pilot.press(*" topic")
        await settle(pilot)
        assert app.screen.saved_search is None
        assert "Search: from:alice is:unread topic" in screen_text(app)


async def test_marking_a_result_read_lowers_the_count(app_with, config_file):
    app = app_with(config_file)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(FolderTree)
        await choose(pilot, "Alice unread")
        message_list = app.screen.query_one(MessageList)
        assert message_list.row_count == 3
        await pilot.press("U")
        await settle(pilot)
        assert search_lines(tree)["Alice unread"] == "⌕ Alice unread 2"
        assert search_lines(tree)["unread"] == "⌕ unread 11"


async def test_saving_from_the_search_bar_writes_the_file_and_the_pane_shows_it(
        app_with, config_file):
    app = app_with(config_file)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.press(*"from:bob")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, AskText)
        await pilot.press(*"Bob's mail", "enter")
        await settle(pilot)
        text = config_file.read_text(encoding="utf-8")
        assert text.startswith(CONFIG)  # every byte of it kept
        assert list(tomllib.loads(text)["searches"].items())[-1] == ("Bob's mail", "from:bob")
        tree = app.screen.query_one(FolderTree)
        assert search_lines(tree)["Bob's mail"] == "⌕ Bob's mail 2"  # messages 9 and 21
        assert [s.name for s in app.config.searches][-1] == "Bob's mail"
        assert "Saved search “Bob's mail”: from:bob" in screen_text(app)


async def test_saving_under_a_name_in_use_asks_before_replacing(app_with, config_file):
    app = app_with(config_file)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.press(*"from:carol")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await pilot.press(*"python", "enter")
        await settle(pilot)
        assert isinstance(app.screen, YesNo)
        await pilot.press("n")
        await settle(pilot)
        assert config_file.read_text(encoding="utf-8") == CONFIG
        await pilot.press("ctrl+n")
        await pilot.press(*"python", "enter")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        saved = tomllib.loads(config_file.read_text(encoding="utf-8"))["searches"]
        assert saved["python"] == "from:carol"
        assert list(saved) == ["Alice unread", "unread", "python"]


async def test_the_demo_says_a_search_cannot_be_saved_without_a_config_file(cache_path,
                                                                             tmp_path):
    app = support.make_app(cache_path, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.press(*"from:bob")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.focused, Input)  # no question asked
        said = [n.message for n in app.notified]
        assert any("cannot be saved" in message for message in said), said


async def test_a_new_folder_is_not_made_in_an_account_named_after_the_searches_heading(
        app_with, config_file):
    app = app_with(config_file)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(FolderTree)
        tree.focus()
        [heading] = [node for node in tree.root.children if node.label.plain == "Searches"]
        tree.move_cursor(heading)
        await pilot.press("N")
        await settle(pilot)
        assert not isinstance(app.screen, FolderNameDialog)
        said = [n.message for n in app.notified]
        assert any("on an account" in message for message in said), said
