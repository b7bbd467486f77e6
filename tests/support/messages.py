"""Small messages built for a test: one text part and the usual headers."""

from __future__ import annotations

import mailbox
import random
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path


def message(subject: str, sender: str, body: str, date: str) -> EmailMessage:
    """A plain message to me@example.com whose Message-ID follows from subject and date."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "me@example.com"
    msg["Subject"] = subject
    msg["Date"] = date
    msg["Message-ID"] = f"<{abs(hash((subject, date)))}@example.com>"
    msg.set_content(body)
    return msg


def numbered_message(i: int, subject: str | None = None) -> bytes:
    """A small message with its own Message-ID and a date i minutes after 2024-01-01."""
    date = format_datetime(datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=i))
    return (
        f"From: Sender {i} <s{i}@example.test>\r\nTo: someone@example.test\r\n"
        f"Subject: {subject or f'message {i}'}\r\nMessage-ID: <m{i}@example.test>\r\n"
        f"Date: {date}\r\n\r\nbody of message {i}\r\n"
    ).encode()


def write_mbox(path: Path, count: int, body_bytes: int = 100) -> Path:
    box = mailbox.mbox(path)
    noise = random.Random(count)
    for i in range(count):
        msg = EmailMessage()
        msg["From"] = f"Sender {i} <s{i}@example.com>"
        msg["To"] = "me@example.com"
        msg["Subject"] = f"report number {i}"
        msg["Date"] = f"Mon, {1 + i % 28:02d} Jan 2024 10:00:00 +0000"
        msg["Message-ID"] = f"<r{i}@example.com>"
        msg.set_content(f"quarterly figures {i}\n" + noise.randbytes(body_bytes // 2).hex())
        box.add(msg)
    box.flush()
    box.close()
    return path


def invitation(*event: str, method: str = "REQUEST", subject: str = "Invitation") -> bytes:
    ics = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN",
                       f"METHOD:{method}", "BEGIN:VEVENT", "UID:plan-1@example.org",
                       "DTSTAMP:20250601T080000Z", *event, "END:VEVENT", "END:VCALENDAR", ""])
    return (f"From: Bob <bob@example.org>\r\nTo: sam@example.com\r\nSubject: {subject}\r\n"
            "Date: Mon, 02 Jun 2025 08:00:00 +0000\r\nMessage-ID: <inv-1@example.org>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
            "--b\r\nContent-Type: text/plain\r\n\r\nYou are invited.\r\n"
            f"--b\r\nContent-Type: text/calendar; method={method}; charset=utf-8\r\n\r\n{ics}"
            "--b--\r\n").encode()


def make_message(subject: str, body: str, minute: int) -> bytes:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = "Alice Example <alice@example.com>"
    msg["To"] = "e2e@example.org"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2025, 6, 1, 9, minute, tzinfo=UTC))
    msg["Message-ID"] = f"<e2e-{minute}@example.com>"
    msg.set_content(body)
    return msg.as_bytes()


def plain_body(message: EmailMessage) -> str:
    """The text/plain body of a message the test expects to have one, as get_content gives it."""
    body = message.get_body(("plain",))
    assert body is not None, f"no text/plain body in {message['Subject']!r}"
    text: str = body.get_content()
    return text
