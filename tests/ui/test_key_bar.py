"""The key bar: the keys in force where the focus is, and a click presses one."""

from __future__ import annotations

from tests.support.pilot import settle
from tui_mail.ui.screens.mailbox import MailboxScreen
from tui_mail.ui.widgets.folder_tree import FolderTree
from tui_mail.ui.widgets.key_bar import KeyBar


def shown(app) -> list[str]:
    return [hint.description for hint in app.screen.query_one(KeyBar).hints()]


async def test_the_key_bar_follows_the_focus(make_app):
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        on_list = shown(app)
        assert "Open" in on_list and "Search" in on_list
        assert on_list[-1] == "palette"  # the command palette's key, at the right edge
        app.screen.query_one(FolderTree).focus()
        await settle(pilot)
        on_tree = shown(app)
        assert "Search" in on_tree
        assert on_tree != on_list


async def test_a_key_the_bar_cannot_fit_is_left_out_whole(make_app):
    app = make_app()
    async with app.run_test(size=(60, 24)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        line = str(bar.render())
        assert len(line) <= 60
        assert line.rstrip().endswith("palette")
        for hint in bar.drawn:
            assert f" {hint.display} " in line[hint.start:hint.end]


async def test_clicking_a_key_in_the_bar_presses_it(make_app):
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        bar.render()
        search = next(h for h in bar.drawn if h.description == "Search")
        await pilot.click(KeyBar, offset=(search.start + 1, 0))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MailboxScreen) and screen.searching
