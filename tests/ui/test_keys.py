"""One key registry: bindings, remapping from the config, the `?` help and the command palette."""

from __future__ import annotations

from tests.support.pilot import settle
from tui_mail.ui.keys import REGISTRY, ActionCommands, Scope, bindings, keymap_from_config
from tui_mail.ui.screens.help import HelpScreen
from tui_mail.ui.widgets.chord import CHORD_DELAY
from tui_mail.ui.widgets.message_list import MessageList


def test_every_registry_action_has_a_unique_id_and_a_binding():
    ids = [action.id for action in REGISTRY]
    assert len(ids) == len(set(ids))
    bound = {b.id for scope in Scope for b in bindings(scope)}
    assert bound == {action.id for action in REGISTRY if action.keys}
    # Palette-only actions: the app's, or a screen's that ActionCommands offers while that
    # screen is shown (tests/lists/test_unsubscribe_ui.py runs one on the list and the viewer).
    palette_only = [action for action in REGISTRY if not action.keys]
    assert {action.scope for action in palette_only} <= {Scope.APP, Scope.MAILBOX,
                                                         Scope.MESSAGE}


def test_unknown_action_ids_in_the_config_are_reported_with_a_suggestion():
    keymap, warnings = keymap_from_config({"list.dwn": "x", "list.up": "i,up"})
    assert keymap == {"list.up": "i,up"}
    assert warnings == ["[keys] 'list.dwn': no such action (did you mean 'list.down'?)"]


async def test_remapped_keys_work_and_the_old_ones_stop(make_app):
    app = make_app(keys={"list.down": "x", "mailbox.search": "ctrl+f"})
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        await pilot.press("x", "x")
        assert message_list.cursor == 2
        await pilot.press("j")
        assert message_list.cursor == 2


def help_rows_shown(app) -> list[tuple[str, str]]:
    """(keys, text) of every row of the help, scrolled into view or not."""
    def plain(static) -> str:
        content = static.content
        return content if isinstance(content, str) else content.plain

    return [(plain(row.query_one(".help-keys")), plain(row.query_one(".help-text")))
            for row in app.screen.query(".help-row")]


async def test_help_shows_the_keys_in_force(make_app):
    app = make_app(keys={"list.down": "x"})
    async with app.run_test(size=(100, 50)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        rows = help_rows_shown(app)
        down_keys = [keys for keys, text in rows if text == "Down  [list.down]"]
        assert down_keys and all("x" in keys and "j" not in keys for keys in down_keys)
        texts = " ".join(text for _, text in rows)
        assert "Search the cache" in texts
        assert "Show the next message" not in texts  # message-screen keys are not in force here
        assert "a lone g replies to all" in texts
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, HelpScreen)


async def test_help_on_the_message_screen_lists_its_keys(make_app):
    app = make_app()
    async with app.run_test(size=(100, 50)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        text = " ".join(text for _, text in help_rows_shown(app))
        assert "Show the next message" in text
        assert "Toggle the HTML rendering" in text


async def test_the_palette_offers_registry_actions_and_runs_them(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        provider = ActionCommands(app.screen)
        hits = [hit async for hit in provider.search("threads")]
        assert hits
        assert "Threads (T)" in str(hits[0].text)
        hits[0].command()
        await settle(pilot)
        assert app.screen.query_one(MessageList).threaded
        titles = [str(hit.text) async for hit in provider.discover()]
        assert any(title.startswith("Search (/)") for title in titles)


async def test_a_lone_g_does_not_reply_to_all_once_group_reply_has_another_key(make_app):
    app = make_app(keys={"mailbox.reply_all": "ctrl+r"})
    calls: list[str] = []
    app.action_reply_all = lambda: calls.append("reply_all")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await pilot.pause(CHORD_DELAY + 0.2)
        await settle(pilot)
        assert calls == []
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert calls == ["reply_all"]


async def test_j_and_k_move_in_the_folder_pane_and_can_be_remapped(make_app):
    from tui_mail.ui.widgets.folder_tree import FolderTree

    app = make_app(keys={"folders.down": "ctrl+n"})
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        tree = app.screen.query_one(FolderTree)
        line = tree.cursor_line
        await pilot.press("ctrl+n")
        assert tree.cursor_line == line + 1
        await pilot.press("k")
        assert tree.cursor_line == line


async def test_g_g_and_g_reach_the_ends_of_the_folder_pane_and_a_lone_g_replies_to_nobody(
        make_app):
    from tui_mail.ui.widgets.folder_tree import FolderTree

    app = make_app()
    calls: list[str] = []
    app.action_reply_all = lambda: calls.append("reply_all")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        tree = app.screen.query_one(FolderTree)
        await pilot.press("G")
        assert tree.cursor_line == tree.last_line > 3
        await pilot.press("g", "g")
        assert tree.cursor_line == 0
        await pilot.press("j", "g")
        await pilot.pause(CHORD_DELAY + 0.2)
        await settle(pilot)
        assert calls == []
        assert tree.cursor_line == 1


async def test_in_the_message_g_g_and_g_reach_its_ends_and_a_lone_g_replies_to_all(make_app):
    from tests.support.pilot import open_first
    from tui_mail.ui.widgets.message_view import MessageView

    app = make_app()
    calls: list[str] = []
    app.action_reply_all = lambda: calls.append("reply_all")
    async with app.run_test(size=(80, 12)) as pilot:
        await open_first(pilot)
        view = app.screen.query_one(MessageView)
        assert view.max_scroll_y > 0
        await pilot.press("G")
        assert view.scroll_y == view.max_scroll_y
        await pilot.press("g", "g")
        await settle(pilot)
        assert view.scroll_y == 0
        assert calls == []
        await pilot.press("g", "j")  # scrolling ends the wait for a second g
        await pilot.pause(CHORD_DELAY + 0.2)
        await settle(pilot)
        assert calls == []
        await pilot.press("g")
        await pilot.pause(CHORD_DELAY + 0.2)
        await settle(pilot)
        assert calls == ["reply_all"]


async def test_the_help_scrolls_with_j_k_space_and_g(make_app):
    from textual.containers import VerticalScroll

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        body = app.screen.query_one(VerticalScroll)
        await pilot.press("j")
        assert body.scroll_y == 1
        await pilot.press("space")
        assert body.scroll_y > 10
        await pilot.press("G")
        assert body.scroll_y == body.max_scroll_y
        await pilot.press("g")
        assert body.scroll_y == 0
