"""The composer's and the outbox's keys come from the key registry: remappable, listed by `?`."""

from __future__ import annotations

from textual.widgets import Select

from tests.support.composer import composer, type_into
from tests.support.pilot import screen_text, settle
from tui_mail.ui.screens.help import HelpScreen
from tui_mail.ui.screens.outbox import OutboxScreen


async def test_a_remapped_send_key_sends_and_the_default_one_stops(make_app) -> None:
    app = make_app(keys={"composer.send": "ctrl+enter"})
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        await type_into(pilot, "to", "not an address")
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert not any("not an address" in n.message for n in app.notified)
        await pilot.press("ctrl+enter")
        await settle(pilot)
        composer(app)
        assert any("not an address" in n.message for n in app.notified)


async def test_help_on_the_composer_lists_its_keys_as_remapped(make_app) -> None:
    app = make_app(keys={"composer.save": "ctrl+w"})
    async with app.run_test(size=(100, 50)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        composer(app).query_one("#from", Select).focus()  # not a text field, so `?` is a key
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "Composer" in text
        assert "Send the message" in text and "[composer.send]" in text
        save_line = next(line for line in text.splitlines() if "[composer.save]" in line)
        assert "^w" in save_line and "^s" not in save_line
        await pilot.press("escape")
        await settle(pilot)
        composer(app)  # the help closed, the composer did not


async def test_f1_opens_the_help_from_a_text_field_where_question_mark_is_typed(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 50)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        await type_into(pilot, "subject", "Why")
        await pilot.press("question_mark")
        await settle(pilot)
        assert composer(app).fields().subject == "Why?"
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert "[composer.send]" in screen_text(app)


async def test_help_on_the_outbox_lists_retry_edit_and_delete(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 50)) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen)
        await pilot.press("question_mark")
        await settle(pilot)
        text = screen_text(app)
        assert "Outbox" in text
        for action_id in ("outbox.retry", "outbox.edit", "outbox.delete", "outbox.back"):
            assert f"[{action_id}]" in text
