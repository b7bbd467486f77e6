"""Small messages built for a test: one text part and the usual headers."""

from __future__ import annotations

from email.message import EmailMessage


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
