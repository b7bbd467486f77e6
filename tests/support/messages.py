"""Small messages built for a test: one text part and the usual headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime


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
