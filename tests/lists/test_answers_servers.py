"""What lists and invitations send goes through the outbox and the real Postfix to Dovecot:
the unsubscribe mail of a mailto: List-Unsubscribe, and the iTIP REPLY of an accepted
invitation, from the account the message arrived in."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest

from tests.support.mail_users import User, make_user, wait_for_subject, with_password_file
from tests.support.messages import invitation
from tests.support.pilot import on_first_row, said, settle
from tui_mail.ui.screens.list_invite_dialogs import AnswerInvite, ConfirmUnsubscribe

pytestmark = pytest.mark.servers


@pytest.fixture
def fresh_user(mail_servers):
    def make(name: str) -> User:
        login, password, address = mail_servers.new_user()
        return make_user(mail_servers, name, login, password, address)
    return make


def received(mail_servers, user: User, subject: str) -> EmailMessage:
    got = [m for m in wait_for_subject(mail_servers, user, subject) if m["Subject"] == subject]
    assert len(got) == 1, [m["Subject"] for m in got]
    message = got[0]
    assert isinstance(message, EmailMessage)
    return message


async def test_a_mailto_unsubscribe_arrives_at_the_lists_request_address(
        mail_servers, fresh_user, app_with, tmp_path: Path) -> None:
    alice, robot = fresh_user("alice"), fresh_user("listrobot")
    list_mail = (
        f"From: Dev list <dev@lists.example.org>\r\nTo: {alice.address}\r\n"
        "Subject: Weekly digest\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
        "Message-ID: <digest-2@lists.example.org>\r\nList-Id: Dev <dev.lists.example.org>\r\n"
        f"List-Unsubscribe: <mailto:{robot.address}?subject=unsubscribe%20dev&body=leave%20me>\r\n"
        "\r\nThis week on the list.\r\n").encode()
    app = app_with([list_mail], account=with_password_file(alice, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await on_first_row(pilot)
        await app.run_action("unsubscribe")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmUnsubscribe)
        await pilot.press("y")
        await settle(pilot)
        assert f"Unsubscribe mail to {robot.address} queued" in said(app)
        got = received(mail_servers, robot, "unsubscribe dev")
    assert got["From"].addresses[0].addr_spec == alice.address
    assert got.get_content().strip() == "leave me"


async def test_accepting_an_invitation_sends_the_organizer_an_itip_reply_for_my_attendee(
        mail_servers, fresh_user, app_with, tmp_path: Path) -> None:
    alice, bob = fresh_user("alice"), fresh_user("bob")
    raw = invitation(
        "SUMMARY:Planning", "DTSTART:20250610T120000Z", "DTEND:20250610T130000Z",
        f"ORGANIZER;CN=Bob:mailto:{bob.address}",
        "ATTENDEE;CN=Carol;PARTSTAT=NEEDS-ACTION:mailto:carol@example.org",
        f"ATTENDEE;CN=Alice;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{alice.address.upper()}")
    app = app_with([raw], account=with_password_file(alice, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await on_first_row(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, AnswerInvite)
        await pilot.press("a")
        await settle(pilot)
        assert f"Accepted: the answer to {bob.address} is queued." in said(app)
        got = received(mail_servers, bob, "Accepted: Planning")
    assert got["From"].addresses[0].addr_spec.lower() == alice.address.lower()
    assert got["In-Reply-To"] == "<inv-1@example.org>"
    [calendar_part] = [p for p in got.walk() if p.get_content_type() == "text/calendar"]
    assert calendar_part.get_param("method") == "REPLY"
    calendar = icalendar.Calendar.from_ical(calendar_part.get_content())
    assert str(calendar["method"]) == "REPLY"
    [event] = calendar.walk("VEVENT")
    assert str(event["uid"]) == "plan-1@example.org"
    attendee = event["attendee"]
    assert not isinstance(attendee, list)  # mine only, not Carol's
    assert str(attendee).lower() == f"mailto:{alice.address.lower()}"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
    assert got.get_body(("plain",)) is not None
    assert "has accepted the invitation to Planning" in got.get_body(
        ("plain",)).get_content()  # type: ignore[union-attr]
