"""Where the preview goes at each window size, `v` cycling it (and saying where it went),
resizes redrawing it at once, and the demo's welcome line: brief, once, hiding nothing."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from tests.support import app as support
from tests.support.pilot import screen_text, settle
from tui_mail.cli import DEMO_NOTICE
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.screens.mailbox import MailboxScreen
from tui_mail.ui.widgets import welcome
from tui_mail.ui.widgets.folder_tree import FolderTree
from tui_mail.ui.widgets.message_list import MessageList
from tui_mail.ui.widgets.message_view import MessageView


def placed(app: TuiMailApp) -> str:
    """Where the preview is on the screen: "right" of the list, "below" it, or "off"."""
    preview = app.query_one("#preview", MessageView).region
    listed = app.query_one(MessageList).region
    if preview.width == 0 or preview.height == 0:
        return "off"
    if preview.x >= listed.right and preview.y == listed.y:
        return "right"
    assert preview.y >= listed.bottom and preview.x == listed.x, (preview, listed)
    return "below"


def shows_the_selected_message(app: TuiMailApp) -> bool:
    selected = app.query_one(MessageList).selected
    shown = app.query_one("#preview", MessageView).summary
    return selected is not None and shown is not None and shown.id == selected.id


def said(app: TuiMailApp) -> list[str]:
    return [n.message for n in app.notified]


async def press_v(pilot: Pilot) -> None:
    await pilot.press("v")
    await settle(pilot)


@pytest.mark.parametrize(("size", "where", "folders"), [
    ((80, 24), "off", False),  # neither 100 columns nor 36 lines
    ((100, 30), "right", False),  # beside from 100 columns; it takes the folder pane's place
    ((120, 40), "right", False),
    ((90, 50), "below", False),  # narrow but tall
    ((160, 50), "right", True),  # from 140 columns: folders, list and preview
], ids=lambda v: f"{v[0]}x{v[1]}" if isinstance(v, tuple) else str(v))
async def test_the_preview_goes_where_the_window_has_room(make_app, size, where, folders):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert placed(app) == where
        assert (app.query_one(FolderTree).region.width > 0) is folders
        if where != "off":
            await pilot.press("j")  # the second message: its subject fits on one line
            await settle(pilot)
            assert shows_the_selected_message(app)
            assert "Subject: Message number 00 about topic 0" in screen_text(app)


async def test_v_cycles_beside_below_and_off_and_says_which(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert placed(app) == "right"
        await press_v(pilot)
        assert placed(app) == "below" and shows_the_selected_message(app)
        await press_v(pilot)
        assert placed(app) == "off"
        await press_v(pilot)
        assert placed(app) == "right" and shows_the_selected_message(app)
        assert said(app) == ["Preview below the list.", "Preview off.",
                             "Preview beside the list."]


async def test_v_skips_a_place_the_window_has_no_room_for(make_app):
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:  # too short for below
        await settle(pilot)
        await press_v(pilot)
        assert placed(app) == "off"
        await press_v(pilot)
        assert placed(app) == "right"
    app = make_app()
    async with app.run_test(size=(90, 50)) as pilot:  # too narrow for beside
        await settle(pilot)
        await press_v(pilot)
        assert placed(app) == "off"
        await press_v(pilot)
        assert placed(app) == "below"
        assert said(app) == ["Preview off.", "Preview below the list."]


async def test_v_says_so_when_the_window_has_no_room_for_a_preview(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press_v(pilot)
        assert placed(app) == "off"
        assert said(app) == ["No room for the preview in 80x24: it needs 100 columns (beside "
                             "the list) or 36 lines (below it)."]


async def test_a_preview_that_comes_into_view_on_a_resize_shows_the_message_at_once(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j")  # moved while there is no preview
        await settle(pilot)
        await pilot.resize_terminal(160, 50)
        await settle(pilot)  # no key pressed since
        assert placed(app) == "right"
        assert shows_the_selected_message(app)
        assert "Subject: Message number 01 about topic 1" in screen_text(app)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert placed(app) == "off"
        await pilot.press("j")
        await settle(pilot)
        await pilot.resize_terminal(90, 50)
        await settle(pilot)
        assert placed(app) == "below" and shows_the_selected_message(app)


async def test_what_v_chose_is_kept_across_resizes_where_it_fits(make_app):
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await press_v(pilot)
        assert placed(app) == "below"
        await pilot.resize_terminal(160, 30)  # no room below: beside instead
        await settle(pilot)
        assert placed(app) == "right"
        await pilot.resize_terminal(160, 50)
        await settle(pilot)
        assert placed(app) == "below"


@pytest.mark.parametrize(("setting", "size", "where"), [
    ("off", (160, 50), "off"),
    ("below", (160, 50), "below"),
    ("right", (90, 50), "below"),  # not the room for it: the other place
    ("auto", (90, 30), "off"),
])
async def test_the_configured_place_is_used_where_it_fits(make_app, setting, size, where):
    app = make_app(preview_pane=setting)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert placed(app) == where


async def test_c_shows_the_folders_beside_the_list_when_the_preview_took_their_place(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert app.query_one(FolderTree).region.width > 0 and placed(app) == "right"
        assert app.query_one(FolderTree).has_focus
        await pilot.press("c")
        await settle(pilot)
        assert app.query_one(FolderTree).region.width == 0
        assert app.query_one(MessageList).has_focus
        await pilot.press("c", "j", "j", "enter")  # home: INBOX chosen: the pane goes again
        await settle(pilot)
        assert app.query_one(FolderTree).region.width == 0 and placed(app) == "right"
        assert app.query_one(MessageList).has_focus


async def test_the_demo_welcome_shows_once_briefly_and_hides_nothing(
        cache_path, tmp_path, monkeypatch):
    # Long enough to be looked at under any load: `settle` waits for timers due within
    # 0.3 s, so a short one could be gone before the first look.
    monkeypatch.setattr(welcome, "WELCOME_SECONDS", 60.0)
    app = support.make_app(cache_path, demo=True, notice=DEMO_NOTICE,
                           state_dir=tmp_path / "state")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        line = app.screen.query_one("#welcome", Static)
        assert str(line.render()) == DEMO_NOTICE
        assert not said(app)  # no toast over the list
        listed, status = app.query_one(MessageList).region, app.screen.query_one("#status").region
        assert listed.bottom <= line.region.y and line.region.bottom <= status.y
        assert "Message number 00 about topic 0" in screen_text(app)  # the list's top rows


async def test_the_demo_welcome_goes_by_itself_and_comes_back_no_more(
        cache_path, tmp_path, monkeypatch):
    monkeypatch.setattr(welcome, "WELCOME_SECONDS", 0.2)  # `settle` waits for it to go
    shown: list[welcome.WelcomeLine] = []
    mounted = welcome.WelcomeLine.on_mount

    def on_mount(line: welcome.WelcomeLine) -> None:
        shown.append(line)
        mounted(line)

    monkeypatch.setattr(welcome.WelcomeLine, "on_mount", on_mount)
    app = support.make_app(cache_path, demo=True, notice=DEMO_NOTICE,
                           state_dir=tmp_path / "state")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        assert len(shown) == 1
        assert not app.screen.query("#welcome")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, MailboxScreen) and not app.screen.query("#welcome")
        assert len(shown) == 1
        assert not said(app)
