"""The outbox view: failed messages with the server's words (shown literally), retry, delete."""

from __future__ import annotations

import time
from email import message_from_bytes, policy

import pytest

from tests.ui.conftest import plain_message, screen_text, settle
from tests.ui_actions.conftest import NOW, Synced
from tui_mail.store.types import OutboxState
from tui_mail.ui.screens.outbox import OutboxScreen

HOSTILE_ERROR = "550 5.1.1 [bold]x[/] [@click=app.quit]no such user[/]\x1b[2J"


def hold_one(synced: Synced, subject: str, error: str = HOSTILE_ERROR, *,
             attachment: tuple[str, bytes] | None = None) -> int:
    message_id = f"<{subject.replace(' ', '-')}@test>"
    raw = plain_message(subject, synced.user.address, NOW, "Held back.", to=synced.user.address,
                        message_id=message_id)
    if attachment is not None:
        msg = message_from_bytes(raw, policy=policy.default)
        msg.add_attachment(attachment[1], maintype="application", subtype="octet-stream",
                           filename=attachment[0])
        raw = msg.as_bytes()
    with synced.store() as store:
        entry = store.outbox_add(synced.account.name, raw, synced.user.address,
                                 [synced.user.address], message_id)
        store.outbox_set_state(entry, OutboxState.HELD, error)
    return entry


def wait_for_delivery(synced: Synced, count: int, limit: float = 30.0) -> int:
    deadline = time.monotonic() + limit
    while True:
        found = synced.servers.message_count(synced.user)
        if found >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@pytest.mark.servers
async def test_a_held_message_shows_its_error_literally_and_retry_sends_it(synced):
    hold_one(synced, "Held report")
    app = synced.app()
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen)
        text = screen_text(app)
        assert "Held report" in text and "held" in text
        assert "[bold]x[/] [@click=app.quit]no such user[/]" in text  # not markup
        assert "1 attempt" in text
        await pilot.press("r")
        await settle(pilot)
        assert app.store.outbox_list() == []
        assert "The outbox is empty" in screen_text(app)
    assert wait_for_delivery(synced, 6) == 6  # five synced ones and the retried message


@pytest.mark.servers
async def test_delete_asks_first(synced):
    hold_one(synced, "First")
    hold_one(synced, "Second")
    app = synced.app()
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        await pilot.press("d", "n")  # kept
        await settle(pilot)
        assert len(app.store.outbox_list()) == 2
        await pilot.press("d", "y")
        await settle(pilot)
        remaining = app.store.outbox_list()
        assert [e.message_id for e in remaining] == ["<Second@test>"]
        assert "First" not in screen_text(app)


@pytest.mark.servers
async def test_edit_takes_the_message_into_the_composer_as_a_draft(synced):
    hold_one(synced, "Fix me")
    app = synced.app()
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        from tui_mail.ui.screens.composer import ComposerScreen

        assert isinstance(app.screen, ComposerScreen)
        assert app.store.outbox_list() == []
        assert [d.key for d in app.store.drafts()] == ["<Fix-me@test>"]
        assert "Fix me" in screen_text(app)


@pytest.mark.servers
async def test_edit_takes_a_message_with_a_file_attachment_back_with_the_file(synced):
    data = bytes(range(256)) * 8
    hold_one(synced, "With file", attachment=("figures.bin", data))
    app = synced.app()
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        from tui_mail.ui.screens.composer import ComposerScreen

        assert isinstance(app.screen, ComposerScreen)
        assert "figures.bin" in screen_text(app)
        [carried] = app.screen.fields().attached_files
        assert (carried.filename, carried.data) == ("figures.bin", data)
        assert app.store.outbox_list() == []
