"""Small message builders for the cache tests."""

from __future__ import annotations


def make_raw(
    n: int,
    *,
    subject: str | None = None,
    sender: str = "Alice Example <alice@example.com>",
    to: str = "Bob <bob@example.org>",
    body: str = "hello there",
    date: str | None = None,
    message_id: str | None = None,
    in_reply_to: str = "",
    extra: str = "",
) -> bytes:
    """A small plain-text message; `n` makes date and Message-ID unique and ordered."""
    day = 1 + n % 28
    month = 1 + (n // 28) % 12
    year = 2020 + n // (28 * 12)
    headers = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject if subject is not None else f'message {n}'}",
        f"Date: {date or f'{day:02d} {_MONTHS[month - 1]} {year} 12:00:00 +0000'}",
        f"Message-ID: {message_id or f'<m{n}@test.example>'}",
    ]
    if in_reply_to:
        headers += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    if extra:
        headers.append(extra)
    return ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode()


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
