"""Calendar invitations (iCalendar, RFC 5545, sent by iTIP, RFC 5546): what the event is, in
words for the reader, and the REPLY that accepts, declines or tentatively accepts it.

The calendar data comes from a stranger: every text shown is sanitized to one line, the
number of attendees and the length of the description shown are bounded, and a part that
`icalendar` cannot read gives no invite (the part stays an attachment) instead of an error.
`icalendar` is imported on first use: most mail has no invitation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from email.message import Message as EmailMessage
from enum import StrEnum
from typing import Any

from tui_mail.mail.sanitize import sanitize_line
from tui_mail.model import Address, Draft, Message

MAX_ATTENDEES_SHOWN = 6
MAX_CALENDAR_BYTES = 1_000_000  # a larger text/calendar part is left as an attachment


class Answer(StrEnum):
    ACCEPTED = "ACCEPTED"
    TENTATIVE = "TENTATIVE"
    DECLINED = "DECLINED"

    @property
    def word(self) -> str:
        return {"ACCEPTED": "Accepted", "TENTATIVE": "Tentative",
                "DECLINED": "Declined"}[self.value]


_STATUS_WORDS = {"ACCEPTED": "accepted", "DECLINED": "declined", "TENTATIVE": "tentative",
                 "DELEGATED": "delegated", "NEEDS-ACTION": "no answer yet"}


@dataclass(frozen=True)
class Attendee:
    address: Address
    status: str = "NEEDS-ACTION"  # PARTSTAT

    def describe(self) -> str:
        who = self.address.name or self.address.email
        return f"{who} ({_STATUS_WORDS.get(self.status, self.status.lower())})"


@dataclass(frozen=True)
class Invite:
    """The first event of a calendar part, and how it was sent (its METHOD)."""

    method: str  # REQUEST (an invitation), CANCEL, REPLY, PUBLISH, COUNTER...
    uid: str
    sequence: int
    summary: str
    start: datetime | date | None
    end: datetime | date | None
    location: str
    organizer: Address | None
    attendees: tuple[Attendee, ...]
    recurrence: str  # in words; "" for a single event
    cancelled: bool
    event: Any  # the icalendar event, for the reply (RECURRENCE-ID, ORGANIZER as sent)

    @property
    def can_answer(self) -> bool:
        return self.method == "REQUEST" and self.organizer is not None and not self.cancelled

    def attendee(self, emails: Iterable[str]) -> Attendee | None:
        wanted = {e.lower() for e in emails}
        return next((a for a in self.attendees if a.address.email.lower() in wanted), None)


def calendar_part(msg: EmailMessage) -> bytes | None:
    """The bytes of the first text/calendar part of a parsed message (an application/ics
    attachment too), or None."""
    for part in msg.walk():
        if part.get_content_type() in ("text/calendar", "application/ics"):
            data = part.get_payload(decode=True)
            if isinstance(data, bytes) and 0 < len(data) <= MAX_CALENDAR_BYTES:
                return data
    return None


_CALENDAR_TYPE = re.compile(rb"content-type:\s*(?:text/calendar|application/ics)", re.I)
MAX_MESSAGE_SEARCHED = 20_000_000  # bytes: a larger message is not parsed again for an invite


def invite_of_message(raw: bytes) -> Invite | None:
    """The invitation a whole message carries, or None. Most mail has none: a message that
    names no calendar part in a Content-Type is not parsed (that is the cheap test)."""
    if len(raw) > MAX_MESSAGE_SEARCHED or not _CALENDAR_TYPE.search(raw):
        return None
    from email import message_from_bytes
    from email.policy import compat32

    data = calendar_part(message_from_bytes(raw, policy=compat32))
    return read_invite(data) if data is not None else None


def _text(value: object, most: int = 200) -> str:
    return sanitize_line(str(value))[:most] if value is not None else ""


def _address(prop: Any) -> Address | None:
    if prop is None:
        return None
    value = str(prop)
    email = value[7:] if value.lower().startswith("mailto:") else value
    params = getattr(prop, "params", {})
    email, name = _text(email, 254).strip(), _text(params.get("CN", ""), 100).strip()
    if name.lower() == email.lower():
        name = ""
    return Address(name, email) if email else None


def read_invite(data: bytes) -> Invite | None:
    """The invitation in a text/calendar part, or None when it holds no readable event."""
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(data)
        event = next(iter(calendar.walk("VEVENT")), None)
        if event is None:
            return None
        props = event.get("attendee") or []
        attendees = tuple(
            Attendee(address, _text(p.params.get("PARTSTAT", "NEEDS-ACTION")).upper())
            for p in (props if isinstance(props, list) else [props])
            if (address := _address(p)) is not None)
        start = event.get("dtstart")
        end = event.get("dtend")
        duration = event.get("duration")
        start_dt = start.dt if start is not None else None
        end_dt = end.dt if end is not None else (
            start_dt + duration.dt if start_dt is not None and duration is not None else None)
        method = _text(calendar.get("method", "PUBLISH")).upper()
        status = _text(event.get("status", "")).upper()
        return Invite(
            method=method, uid=str(event.get("uid", "")), sequence=int(event.get("sequence", 0)),
            summary=_text(event.get("summary", "")) or "(no title)", start=start_dt, end=end_dt,
            location=_text(event.get("location", "")), organizer=_address(event.get("organizer")),
            attendees=attendees, recurrence=recurrence_words(event.get("rrule")),
            cancelled=method == "CANCEL" or status == "CANCELLED", event=event,
        )
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, OverflowError):
        return None


# ---- in words ---------------------------------------------------------------------------

_DAYS = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday",
         "SA": "Saturday", "SU": "Sunday"}
_UNITS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year",
          "HOURLY": "hour", "MINUTELY": "minute"}
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last",
             -2: "second to last"}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _day(code: str) -> str:
    code = str(code).upper()
    digits = code[:-2]
    name = _DAYS.get(code[-2:], code[-2:])
    if not digits or digits in "+":
        return name
    try:
        n = int(digits)
    except ValueError:
        return name
    return f"the {_ORDINALS.get(n, f'{n}th')} {name}"


def recurrence_words(rule: Any) -> str:
    """An RRULE in words: "every week on Monday and Wednesday, 10 times"; "" for none."""
    if rule is None:
        return ""
    if isinstance(rule, list):
        rule = rule[0]
    freq = str((rule.get("FREQ") or [""])[0]).upper()
    unit = _UNITS.get(freq)
    if unit is None:
        return "repeats"
    interval = int((rule.get("INTERVAL") or [1])[0])
    days = [str(d) for d in rule.get("BYDAY") or []]
    if freq == "WEEKLY" and interval == 1 and sorted(days) == sorted(["MO", "TU", "WE", "TH", "FR"]):
        words = "every weekday"
    else:
        words = f"every {unit}" if interval == 1 else f"every {interval} {unit}s"
        if days:
            words += " on " + _and([_day(d) for d in days])
    if month_days := rule.get("BYMONTHDAY"):
        words += " on day " + _and([str(d) for d in month_days])
    if months := rule.get("BYMONTH"):
        words += " in " + _and([_MONTHS[int(m) - 1] for m in months if 1 <= int(m) <= 12])
    if count := rule.get("COUNT"):
        words += f", {int(count[0])} times"
    elif until := rule.get("UNTIL"):
        end = until[0]
        words += f", until {end:%a %d %b %Y}" if isinstance(end, date) else ""
    return words


def _local(value: datetime, zone: tzinfo | None) -> datetime:
    return value.astimezone(zone) if value.tzinfo is not None else value


def when_words(invite: Invite, zone: tzinfo | None = None) -> str:
    """The event's time in the reader's zone (`zone`, default the system's): "Mon 27 May 2024,
    19:00-19:30 CEST"; all-day events as dates; a time without a zone as written."""
    start, end = invite.start, invite.end
    if start is None:
        return "no time given"
    if not isinstance(start, datetime):  # all day: DTEND is the day after the last
        last = end - timedelta(days=1) if isinstance(end, date) and not isinstance(
            end, datetime) and end > start else start
        if last == start:
            return f"{start:%a %d %b %Y}, all day"
        return f"{start:%a %d %b} to {last:%a %d %b %Y}, all day"
    begin = _local(start, zone)
    zone_name = f" {begin:%Z}" if begin.tzinfo is not None else " (local time of the event)"
    if not isinstance(end, datetime):
        return f"{begin:%a %d %b %Y, %H:%M}{zone_name}"
    finish = _local(end, zone)
    if finish.date() == begin.date():
        return f"{begin:%a %d %b %Y, %H:%M}-{finish:%H:%M}{zone_name}"
    return f"{begin:%a %d %b %Y, %H:%M} to {finish:%a %d %b %Y, %H:%M}{zone_name}"


def describe(invite: Invite, zone: tzinfo | None = None) -> list[tuple[str, str]]:
    """(label, text) lines for the reader, above the body."""
    kinds = {"REQUEST": "Invitation", "CANCEL": "Cancelled", "REPLY": "Answer",
             "COUNTER": "Counter-proposal"}
    lines = [(kinds.get(invite.method, "Event"), invite.summary),
             ("When", when_words(invite, zone))]
    if invite.recurrence:
        lines.append(("Repeats", invite.recurrence))
    if invite.location:
        lines.append(("Where", invite.location))
    if invite.organizer is not None:
        lines.append(("Organizer", str(invite.organizer.name or invite.organizer.email)))
    if invite.attendees:
        shown = [a.describe() for a in invite.attendees[:MAX_ATTENDEES_SHOWN]]
        more = len(invite.attendees) - len(shown)
        lines.append(("Attendees", ", ".join(shown) + (f" and {more} more" if more else "")))
    if invite.cancelled and invite.method != "CANCEL":
        lines.append(("Status", "cancelled"))
    return lines


# ---- the reply --------------------------------------------------------------------------


def itip_reply(invite: Invite, me: Address, answer: Answer, *,
               now: datetime | None = None) -> bytes:
    """The iTIP REPLY (RFC 5546 3.2.3) by which `me` gives `answer` to the invitation: the
    event's UID, SEQUENCE and RECURRENCE-ID, its ORGANIZER as sent, and one ATTENDEE."""
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//tui-mail//iTIP reply//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REPLY")
    event = icalendar.Event()
    event.add("uid", invite.uid)
    event.add("sequence", invite.sequence)
    event.add("dtstamp", (now or datetime.now(UTC)).astimezone(UTC))
    for name in ("organizer", "recurrence-id", "summary"):
        value = invite.event.get(name)
        if value is not None:
            event.add(name, value)
    attendee = icalendar.vCalAddress(f"mailto:{me.email}")
    if me.name:
        attendee.params["CN"] = me.name
    attendee.params["PARTSTAT"] = answer.value
    event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    return bytes(calendar.to_ical())


_ANSWER_WORDS = {Answer.ACCEPTED: "accepted", Answer.TENTATIVE: "tentatively accepted",
                 Answer.DECLINED: "declined"}


def answer_draft(original: Message, invite: Invite, me: Address, answer: Answer, *,
                 zone: tzinfo | None = None, now: datetime | None = None) -> Draft:
    """The message that answers the invitation: to its organizer, "Accepted: <title>", a line
    of text for people and the iTIP REPLY for their calendar program, in the original's
    thread. The caller checks `invite.can_answer` first."""
    from tui_mail.mail.reply import thread_headers

    assert invite.organizer is not None
    in_reply_to, references = thread_headers(original)
    who = me.name or me.email
    body = (f"{who} has {_ANSWER_WORDS[answer]} the invitation to {invite.summary}"
            f" ({when_words(invite, zone)}).\n")
    return Draft(identity=me, to=(invite.organizer,), subject=f"{answer.word}: {invite.summary}",
                 body=body, in_reply_to=in_reply_to, references=references,
                 calendar=itip_reply(invite, me, answer, now=now))
