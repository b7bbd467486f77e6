"""Calendar invitations read from real Exchange mail and made up hostile ones, and the REPLY."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import icalendar
import pytest

from tui_mail.mail.invite import (
    Answer,
    calendar_part,
    describe,
    itip_reply,
    read_invite,
    when_words,
)
from tui_mail.model import Address

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "corpus"
CORPUS = SHARED if SHARED.is_dir() else REPO / "tests" / "fixtures" / "corpus"
EXCHANGE = [CORPUS / "notmuch" / "attachment__text-calendar.eml",
            CORPUS / "php-mime-mail-parser" / "m0020.eml"]
PARIS = timezone(timedelta(hours=2), "CEST")


def ics(*event_lines: str, method: str = "REQUEST") -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", f"METHOD:{method}",
             "BEGIN:VEVENT", "UID:ev-1@example.org", "DTSTAMP:20250601T080000Z",
             *event_lines, "END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines).encode()


@pytest.mark.parametrize("path", EXCHANGE, ids=lambda p: p.parent.name)
def test_exchange_invitations_from_the_corpus_are_read(path: Path) -> None:
    if not path.exists():
        pytest.skip("shared corpus not here")
    data = calendar_part(message_from_bytes(path.read_bytes(), policy=default))
    assert data is not None
    invite = read_invite(data)
    assert invite is not None and invite.method == "REQUEST" and invite.can_answer
    assert invite.organizer is not None and invite.organizer.email
    assert invite.attendees and invite.attendees[0].status == "NEEDS-ACTION"
    assert isinstance(invite.start, datetime) and invite.start.tzinfo is not None


def test_the_windows_zone_of_an_exchange_invite_is_shown_in_the_readers_zone() -> None:
    if not EXCHANGE[0].exists():
        pytest.skip("shared corpus not here")
    data = calendar_part(message_from_bytes(EXCHANGE[0].read_bytes(), policy=default))
    invite = read_invite(data or b"")
    assert invite is not None
    # 14:00 Atlantic (UTC-3 in May) is 19:00 in Paris (UTC+2)
    assert when_words(invite, PARIS) == "Mon 27 May 2024, 19:00-19:30 CEST"
    assert invite.recurrence == "every day, until Tue 27 Aug 2024"
    lines = dict(describe(invite, PARIS))
    assert lines["Invitation"] == "test [In-person]"
    assert lines["Organizer"] == "David Bremner"
    assert lines["Attendees"] == "david@tethera.net (no answer yet)"


def test_an_all_day_event_reads_as_dates() -> None:
    one = read_invite(ics("SUMMARY:Offsite", "DTSTART;VALUE=DATE:20250603",
                          "DTEND;VALUE=DATE:20250604"))
    three = read_invite(ics("SUMMARY:Offsite", "DTSTART;VALUE=DATE:20250603",
                            "DTEND;VALUE=DATE:20250606"))
    assert one is not None and three is not None
    assert when_words(one) == "Tue 03 Jun 2025, all day"
    assert when_words(three) == "Tue 03 Jun to Thu 05 Jun 2025, all day"


def test_recurrence_rules_read_as_words() -> None:
    def words(rule: str) -> str:
        invite = read_invite(ics("DTSTART:20250602T090000Z", f"RRULE:{rule}"))
        assert invite is not None
        return invite.recurrence

    assert words("FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10") == "every week on Monday and Wednesday, 10 times"
    assert words("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR") == "every weekday"
    assert words("FREQ=MONTHLY;BYDAY=-1FR") == "every month on the last Friday"
    assert words("FREQ=MONTHLY;INTERVAL=2;BYDAY=2TU") == "every 2 months on the second Tuesday"
    assert words("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15") == "every year on day 15 in March"


def test_a_cancellation_says_so_and_cannot_be_answered() -> None:
    invite = read_invite(ics("SUMMARY:Standup", "DTSTART:20250602T090000Z", "STATUS:CANCELLED",
                             "ORGANIZER:mailto:boss@example.org", method="CANCEL"))
    assert invite is not None and invite.cancelled and not invite.can_answer
    assert describe(invite)[0] == ("Cancelled", "Standup")


def test_hostile_text_in_an_invitation_is_one_clean_line() -> None:
    invite = read_invite(ics("SUMMARY:Pay \x1b]52;c;eA==\x07now\\n[bold]x[/]",
                             "LOCATION:\x1b[2JRoom\u202e1", "DTSTART:20250602T090000Z",
                             "ORGANIZER;CN=\"Evil\x1b[31m\":mailto:e@example.org"))
    assert invite is not None
    for _, text in describe(invite):
        assert "\x1b" not in text and "\x07" not in text and "\n" not in text
        assert "\u202e" not in text


def test_an_invitation_with_many_attendees_shows_a_few_and_a_count() -> None:
    people = [f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:p{n}@example.org" for n in range(40)]
    invite = read_invite(ics("DTSTART:20250602T090000Z", *people))
    assert invite is not None
    assert dict(describe(invite))["Attendees"].endswith(" and 34 more")


def test_unreadable_calendar_data_gives_no_invitation() -> None:
    assert read_invite(b"BEGIN:VCALENDAR\r\nthis is not\r\n") is None
    assert read_invite(b"\xff\xfe garbage") is None
    assert read_invite(ics(method="REQUEST").replace(b"BEGIN:VEVENT", b"BEGIN:VTODO")
                       .replace(b"END:VEVENT", b"END:VTODO")) is None


def test_the_reply_is_an_itip_reply_with_one_attendee_and_the_events_identity() -> None:
    invite = read_invite(ics("SUMMARY:Review", "SEQUENCE:3", "DTSTART:20250602T090000Z",
                             "RECURRENCE-ID:20250609T090000Z",
                             "ORGANIZER;CN=Boss:mailto:boss@example.org",
                             "ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:me@example.org",
                             "ATTENDEE;PARTSTAT=ACCEPTED:mailto:other@example.org"))
    assert invite is not None
    data = itip_reply(invite, Address("Me Myself", "me@example.org"), Answer.TENTATIVE,
                      now=datetime(2025, 6, 1, 9, 0, tzinfo=UTC))
    calendar = icalendar.Calendar.from_ical(data)
    assert str(calendar["method"]) == "REPLY"
    event = next(iter(calendar.walk("VEVENT")))
    sequence, recurrence_id = event["sequence"], event["recurrence-id"]
    assert isinstance(sequence, icalendar.vInt) and isinstance(recurrence_id, icalendar.vDDDTypes)
    assert str(event["uid"]) == "ev-1@example.org" and int(sequence) == 3
    assert str(event["organizer"]) == "mailto:boss@example.org"
    assert recurrence_id.dt == datetime(2025, 6, 9, 9, 0, tzinfo=UTC)
    attendee = event["attendee"]
    assert not isinstance(attendee, list)
    assert str(attendee) == "mailto:me@example.org"
    assert attendee.params["PARTSTAT"] == "TENTATIVE" and attendee.params["CN"] == "Me Myself"


def test_a_date_only_start_is_not_a_datetime() -> None:
    invite = read_invite(ics("DTSTART;VALUE=DATE:20250603"))
    assert invite is not None and invite.start == date(2025, 6, 3)


def test_accepting_sends_a_reply_to_the_organizer_that_calendars_read() -> None:
    from tui_mail.mail.compose import compose
    from tui_mail.mail.invite import answer_draft
    from tui_mail.mail.parse import parse_message

    data = ics("SUMMARY:Review", "DTSTART:20250602T090000Z", "DTEND:20250602T100000Z",
               "ORGANIZER;CN=Boss:mailto:boss@example.org",
               "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:me@example.org")
    original = parse_message(
        b"From: Boss <boss@example.org>\r\nTo: me@example.org\r\nSubject: Invitation: Review\r\n"
        b"Message-ID: <inv1@example.org>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/calendar; method=REQUEST; charset=utf-8\r\n\r\n" + data)
    invite = read_invite(data)
    assert invite is not None
    draft = answer_draft(original, invite, Address("Me", "me@example.org"), Answer.ACCEPTED,
                         zone=UTC)
    assert [a.email for a in draft.to] == ["boss@example.org"]
    assert draft.subject == "Accepted: Review" and draft.in_reply_to == "<inv1@example.org>"
    sent = message_from_bytes(compose(draft).raw, policy=default)
    assert isinstance(sent, EmailMessage)
    assert sent.get_content_type() == "multipart/alternative"
    text, calendar = sent.iter_parts()
    assert "Me has accepted the invitation to Review (Mon 02 Jun 2025, 09:00-10:00 UTC)" in \
        text.get_content()
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "REPLY"
    event = next(iter(icalendar.Calendar.from_ical(calendar.get_content()).walk("VEVENT")))
    assert event["attendee"].params["PARTSTAT"] == "ACCEPTED"
