"""A draft in progress as message bytes, and back. Pure: no I/O.

The composer saves what the user typed, even when it is not yet a valid message (half an
address, no recipient), so this never validates: address fields are kept as typed text
(RFC 2047 encoded when not ASCII). The bytes are what goes to the local drafts table and to
the server's Drafts folder; reopening them gives the same fields back.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from email import message_from_bytes
from email import policy as email_policy
from email.header import Header, decode_header, make_header
from email.message import Message as EmailMessage
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.parser import BytesHeaderParser
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path

from tui_mail.model import AttachedFile

ACCOUNT_HEADER = "X-TUI-Mail-Account"
ATTACH_HEADER = "X-TUI-Mail-Attach"
ANSWERS_HEADER = "X-TUI-Mail-Answers"  # "signed", "encrypted": what the mail it answers was
SIGN_HEADER = "X-TUI-Mail-Sign"  # "yes" or "no": F5 as it was
ENCRYPT_HEADER = "X-TUI-Mail-Encrypt"  # "yes" or "no": F6 as the user chose it


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
    attached_files: tuple[AttachedFile, ...] = ()
    # What the message answered was: its reply starts signed or encrypted like it (the
    # account's sign and encrypt settings say whether).
    answers_signed: bool = False
    answers_encrypted: bool = False
    # Whether it is to be signed, as the composer had it (F5); None: the account's setting
    # and the message answered decide.
    sign: bool | None = None
    # Whether it is to be encrypted, as the user chose with F6; None: not chosen (the account,
    # the message answered and Autocrypt decide).
    encrypt: bool | None = None


def _one_line(text: str) -> str:
    """Header values never carry line breaks (they would start a new header)."""
    return " ".join(text.replace("\0", "").splitlines()).strip()


def _set_header(msg: EmailMessage, name: str, text: str) -> None:
    """Adds the header `name`, RFC 2047-encoded when `text` is not ASCII."""
    text = _one_line(text)
    if text.isascii():
        msg[name] = text
    else:
        # A compat32 message takes a Header as a value and encodes it when written; typeshed
        # types every Message built by email.mime as Message[str, str], which refuses it.
        msg[name] = Header(text, "utf-8")  # type: ignore[assignment]


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
    # The email package's generator takes about 90 ms a megabyte of attachment, and a draft is
    # written again at every autosave: each file part holds a placeholder while the message is
    # generated, and its base64 text (encoded once per file) is put in its place afterwards.
    placeholders: dict[bytes, bytes] = {}
    if fields.attached_messages or fields.attached_files:
        msg = MIMEMultipart("mixed")
        msg.attach(text)
        for carried in fields.attached_files:
            token = f"tui-mail-part-{uuid.uuid4().hex}"
            placeholders[token.encode()] = _base64_lines(carried.data)
            msg.attach(_file_part(carried, token))
        for raw in fields.attached_messages:
            part = MIMEMessage(message_from_bytes(raw))
            part.add_header("Content-Disposition", "attachment")
            msg.attach(part)
    else:
        msg = text
    _set_header(msg, ACCOUNT_HEADER, fields.account)
    _set_header(msg, "From", fields.sender)
    for name, value in (("To", fields.to), ("Cc", fields.cc), ("Bcc", fields.bcc)):
        if value.strip():
            _set_header(msg, name, value)
    _set_header(msg, "Subject", fields.subject)
    msg["Date"] = format_datetime((date or datetime.now()).astimezone())
    msg["Message-ID"] = _one_line(message_id)
    if fields.in_reply_to:
        msg["In-Reply-To"] = _one_line(fields.in_reply_to)
    if fields.references:
        msg["References"] = _one_line(" ".join(fields.references))
    for path in fields.attachments:
        _set_header(msg, ATTACH_HEADER, str(path))
    answers = [word for word, yes in (("signed", fields.answers_signed),
                                      ("encrypted", fields.answers_encrypted)) if yes]
    if answers:
        _set_header(msg, ANSWERS_HEADER, ", ".join(answers))
    if fields.sign is not None:
        _set_header(msg, SIGN_HEADER, "yes" if fields.sign else "no")
    if fields.encrypt is not None:
        _set_header(msg, ENCRYPT_HEADER, "yes" if fields.encrypt else "no")
    raw = msg.as_bytes(policy=email_policy.compat32.clone(linesep="\r\n"))
    for placeholder, encoded in placeholders.items():
        raw = raw.replace(placeholder, encoded, 1)
    return raw


def draft_from_bytes(raw: bytes) -> tuple[DraftFields, str]:
    """The fields and Message-ID of a draft written by `draft_to_bytes` (or any message)."""
    msg = message_from_bytes(raw)
    body = ""
    attached: list[bytes] = []
    files: list[AttachedFile] = []
    for part in _parts(msg):
        kind = part.get_content_type()
        filename = part.get_filename()
        if kind == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], EmailMessage):
                attached.append(inner[0].as_bytes(policy=email_policy.compat32))
        elif filename is not None:
            payload = part.get_payload(decode=True)
            name = Path(_text(filename).replace("\\", "/")).name or "attachment"
            files.append(AttachedFile(name, kind, payload if isinstance(payload, bytes) else b""))
        elif kind == "text/plain" and not body:
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                body = payload.decode(part.get_content_charset() or "utf-8", "replace")
    fields = replace(_header_fields(msg), body=body.replace("\r\n", "\n"),
                     attached_messages=tuple(attached), attached_files=tuple(files))
    return fields, _text(msg.get("Message-ID")).strip()


def draft_headers(raw: bytes) -> DraftFields:
    """The header fields of a draft (no body, no attachments): enough to list it, and fast
    whatever its attachments weigh (whole drafts of 10 MB take half a second to parse)."""
    return _header_fields(BytesHeaderParser().parsebytes(raw))


def _header_fields(msg: EmailMessage) -> DraftFields:
    answers = {word.strip() for word in _text(msg.get(ANSWERS_HEADER)).lower().split(",")}
    return DraftFields(
        account=_text(msg.get(ACCOUNT_HEADER)),
        sender=_text(msg.get("From")),
        to=_text(msg.get("To")),
        cc=_text(msg.get("Cc")),
        bcc=_text(msg.get("Bcc")),
        subject=_text(msg.get("Subject")),
        attachments=tuple(Path(_text(v)) for v in msg.get_all(ATTACH_HEADER) or ()),
        in_reply_to=_text(msg.get("In-Reply-To")).strip(),
        references=tuple(_text(msg.get("References")).split()),
        answers_signed="signed" in answers,
        answers_encrypted="encrypted" in answers,
        sign={"yes": True, "no": False}.get(_text(msg.get(SIGN_HEADER)).strip().lower()),
        encrypt={"yes": True, "no": False}.get(_text(msg.get(ENCRYPT_HEADER)).strip().lower()),
    )


def _file_part(carried: AttachedFile, payload: str) -> MIMEBase:
    """The MIME part of a carried file; `payload` stands in for its base64 text."""
    maintype, _, subtype = carried.content_type.partition("/")
    part = MIMEBase(maintype or "application", subtype or "octet-stream")
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(payload)
    name = _one_line(carried.filename)
    part.add_header("Content-Disposition", "attachment",
                    filename=name if name.isascii() else ("utf-8", "", name))
    return part


@lru_cache(maxsize=8)
def _base64_lines(data: bytes) -> bytes:
    """`data` in base64, 76-character CRLF lines (RFC 2045), without the final line break."""
    return base64.encodebytes(data).rstrip(b"\n").replace(b"\n", b"\r\n")


def _parts(msg: EmailMessage) -> list[EmailMessage]:
    """The leaves of a draft, a message/rfc822 part counting as one leaf (the parts of a
    forwarded message are its own, not the draft's)."""
    if msg.get_content_type() == "message/rfc822" or not msg.is_multipart():
        return [msg]
    leaves: list[EmailMessage] = []
    payload = msg.get_payload()
    for part in payload if isinstance(payload, list) else ():
        if isinstance(part, EmailMessage):
            leaves.extend(_parts(part))
    return leaves
