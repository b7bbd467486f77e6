"""A calendar invitation is shown above the body (in the reader's zone, as literal text); a
cancellation says "Cancelled" and offers no answer; `i` asks accept / tentative / decline and
Escape sends nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.messages import invitation
from tests.support.pilot import on_first_row, said, screen_text, settle
from tui_mail.ui.screens.list_invite_dialogs import AnswerInvite
from tui_mail.ui.widgets.message_view import MessageView

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "corpus"
CORPUS = SHARED if SHARED.is_dir() else REPO / "tests" / "fixtures" / "corpus"
EXCHANGE = CORPUS / "notmuch" / "attachment__text-calendar.eml"


@pytest.fixture(autouse=True)
def reader_in_paris(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The reader's zone is the system's: Paris here, whatever the machine's."""
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


PLANNING = invitation(
    "SUMMARY:Planning", "DTSTART:20250610T120000Z", "DTEND:20250610T130000Z",
    "LOCATION:Room 4", "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=4",
    "ORGANIZER;CN=Bob:mailto:bob@example.org",
    "ATTENDEE;CN=Sam;PARTSTAT=NEEDS-ACTION:mailto:sam@example.com",
    "ATTENDEE;CN=Carol;PARTSTAT=ACCEPTED:mailto:carol@example.org")


async def shown_text(pilot) -> str:
    await on_first_row(pilot)
    await pilot.press("enter")
    await settle(pilot)
    return screen_text(pilot.app)


async def test_the_event_is_shown_above_the_body_in_the_readers_zone(app_with) -> None:
    app = app_with([PLANNING])
    async with app.run_test(size=(120, 40)) as pilot:
        text = await shown_text(pilot)
        lines = [line.strip(" │╭╮╰╯─") for line in text.splitlines()]
        assert "Invitation: Planning" in lines
        assert "When:       Tue 10 Jun 2025, 14:00-15:00 CEST" in lines  # 12:00 UTC
        assert "Repeats:    every week on Tuesday, 4 times" in lines
        assert "Where:      Room 4" in lines
        assert "Organizer:  Bob" in lines
        assert "Attendees:  Sam (no answer yet), Carol (accepted)" in lines
        assert "Answer:     press i: accept, tentative or decline" in lines
        assert text.index("Invitation: Planning") < text.index("You are invited.")


async def test_escape_in_the_answer_dialog_sends_nothing(app_with) -> None:
    app = app_with([PLANNING])
    async with app.run_test(size=(120, 40)) as pilot:
        await on_first_row(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, AnswerInvite)
        assert "Answer the invitation to Planning as sam@example.com?" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, AnswerInvite)
        assert list(app.store.queues.outbox_list()) == []


async def test_a_cancellation_says_cancelled_and_offers_no_answer(app_with) -> None:
    app = app_with([invitation("SUMMARY:Planning", "DTSTART:20250610T120000Z", "STATUS:CANCELLED",
                               "ORGANIZER:mailto:bob@example.org", method="CANCEL")])
    async with app.run_test(size=(120, 40)) as pilot:
        text = await shown_text(pilot)
        assert "Cancelled: Planning" in text and "press i" not in text
        await pilot.press("i")
        await settle(pilot)
        assert not isinstance(app.screen, AnswerInvite)
        assert "This event is cancelled: there is nothing to answer." in said(app)


async def test_an_invitation_not_naming_any_of_my_addresses_says_so(app_with) -> None:
    app = app_with([invitation("SUMMARY:Planning", "DTSTART:20250610T120000Z",
                               "ORGANIZER:mailto:bob@example.org",
                               "ATTENDEE:mailto:someone@example.org")])
    async with app.run_test(size=(120, 40)) as pilot:
        await on_first_row(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert not isinstance(app.screen, AnswerInvite)
        assert "None of the account's addresses (sam@example.com) is among the invited" \
            in said(app)


async def test_hostile_event_text_is_shown_literally_and_without_control_characters(
        app_with) -> None:
    app = app_with([invitation("SUMMARY:[bold]Pay[/bold] \x1b]52;c;eA==\x07now [@click=app.quit]x",
                               "LOCATION:\x1b[2J[red]Room[/]", "DTSTART:20250610T120000Z",
                               "ORGANIZER;CN=\"[b]Boss[/b]\":mailto:bob@example.org")])
    async with app.run_test(size=(120, 40)) as pilot:
        text = await shown_text(pilot)
        assert "[bold]Pay[/bold]" in text and "[@click=app.quit]x" in text
        assert "Where:      [red]Room[/]" in text and "Organizer:  [b]Boss[/b]" in text
        view = app.screen.query_one(MessageView)
        assert view.shown is not None and view.shown.invite is not None
        assert "\x1b" not in view.shown.invite.summary and "\x07" not in view.shown.invite.summary
        assert app.is_running


async def test_the_exchange_invitation_of_the_corpus_is_shown(app_with) -> None:
    if not EXCHANGE.exists():
        pytest.skip("shared corpus not here")
    app = app_with([EXCHANGE.read_bytes()])
    async with app.run_test(size=(120, 40)) as pilot:
        text = await shown_text(pilot)
        assert "Invitation: test [In-person]" in text
        assert "Mon 27 May 2024, 19:00-19:30 CEST" in text  # 14:00 Atlantic, in Paris
        assert "Organizer:  David Bremner" in text
        assert "every day, until Tue 27 Aug 2024" in text
