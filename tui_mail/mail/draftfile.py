"""A draft in progress as message bytes, and back. Pure: no I/O.

The composer saves what the user typed, even when it is not yet a valid message (half an
address, no recipient), so this never validates: address fields are kept as typed text
(RFC 2047 encoded when not ASCII). The bytes are what goes to the local drafts table and to
the server's Drafts folder; reopening them gives the same fields back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes
from email import policy as email_policy
from email.header import Header, decode_header, make_header
from email.message import Message as EmailMessage
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime
from pathlib import Path

ACCOUNT_HEADER = "X-TUI-Mail-Account"
ATTACH_HEADER = "X-TUI-Mail-Attach"


@dataclass(frozen=True)
class DraftFields:
    """Everything the composer shows, as typed."""

    account: str
    sender: str  # "Name <addr>" of the chosen identity
    to: str = ""
    cc: str = ""
    bcc: str = ""
    subject: str = ""
    body: str = ""
    attachments: tuple[Path, ...] = ()
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    attached_messages: tuple[bytes, ...] = ()


def _one_line(text: str) -> str:
    """Header values never carry line breaks (they would start a new header)."""
    return " ".join(text.replace("\0", "").splitlines()).strip()


def _header(text: str) -> str | Header:
    text = _one_line(text)
    return text if text.isascii() else Header(text, "utf-8")


def _text(value: object) -> str:
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value))))
    except (ValueError, LookupError, UnicodeError):
        return str(value)


def draft_to_bytes(fields: DraftFields, message_id: str, date: datetime | None = None) -> bytes:
    """The draft as a message; `message_id` stays the same for every version of one draft."""
    text = MIMEText(fields.body, "plain", "utf-8")
    msg: EmailMessage
    if fields.attached_messages:
        msg = MIMEMultipart("mixed")
        msg.attach(text)
        for raw in fields.attached_messages:
            part = MIMEMessage(message_from_bytes(raw))
            part.add_header("Content-Disposition", "attachment")
            msg.attach(part)
    else:
        msg = text
    msg[ACCOUNT_HEADER] = _header(fields.account)
    msg["From"] = _header(fields.sender)
    for name, value in (("To", fields.to), ("Cc", fields.cc), ("Bcc", fields.bcc)):
        if value.strip():
            msg[name] = _header(value)
    msg["Subject"] = _header(fields.subject)
    msg["Date"] = format_datetime((date or datetime.now()).astimezone())
    msg["Message-ID"] = _one_line(message_id)
    if fields.in_reply_to:
        msg["In-Reply-To"] = _one_line(fields.in_reply_to)
    if fields.references:
        msg["References"] = _one_line(" ".join(fields.references))
    for path in fields.attachments:
        msg[ATTACH_HEADER] = _header(str(path))
    return msg.as_bytes(policy=email_policy.compat32.clone(linesep="\r\n"))


def draft_from_bytes(raw: bytes) -> tuple[DraftFields, str]:
    """The fields and Message-ID of a draft written by `draft_to_bytes` (or any message)."""
    msg = message_from_bytes(raw)
    body = ""
    attached: list[bytes] = []
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "text/plain" and not body and part.get_filename() is None:
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                body = payload.decode(part.get_content_charset() or "utf-8", "replace")
        elif kind == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                attached.append(inner[0].as_bytes(policy=email_policy.compat32))
    fields = DraftFields(
        account=_text(msg.get(ACCOUNT_HEADER)),
        sender=_text(msg.get("From")),
        to=_text(msg.get("To")),
        cc=_text(msg.get("Cc")),
        bcc=_text(msg.get("Bcc")),
        subject=_text(msg.get("Subject")),
        body=body.replace("\r\n", "\n"),
        attachments=tuple(Path(_text(v)) for v in msg.get_all(ATTACH_HEADER) or ()),
        in_reply_to=_text(msg.get("In-Reply-To")).strip(),
        references=tuple(_text(msg.get("References")).split()),
        attached_messages=tuple(attached),
    )
    return fields, _text(msg.get("Message-ID")).strip()
