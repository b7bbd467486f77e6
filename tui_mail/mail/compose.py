"""Turn a Draft into the RFC 5322 bytes that are submitted and saved to Sent. Pure: no I/O.

Attachment contents are passed in by the caller (reading files is I/O), keyed by the paths in
`Draft.attachments`. The result carries the envelope (MAIL FROM and every recipient, Bcc
included) beside the bytes, because Bcc recipients exist only in the envelope.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address as EmailAddress
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from tui_mail.errors import TuiMailError
from tui_mail.model import Address, Draft

# RFC 5322 output with CRLF line ends. Our own parts are 7-bit (quoted-printable/base64) so
# they pass any relay; only a forwarded 8-bit message (message/rfc822) stays 8-bit.
POLICY = policy.SMTP
FLOWED_WIDTH = 72


class ComposeError(TuiMailError, ValueError):
    """A draft cannot become a message: bad address, header injection, missing attachment."""


@dataclass(frozen=True)
class Composed:
    """A message ready for the outbox: its bytes and its SMTP envelope."""

    raw: bytes
    mail_from: str
    rcpts: tuple[str, ...]
    message_id: str


# --- addresses -------------------------------------------------------------------------------


def check_header_value(name: str, value: str) -> str:
    """Refuse CR, LF and NUL in a header value: they would let text start a new header."""
    if any(c in value for c in "\r\n\0"):
        raise ComposeError(
            f"{name}: line breaks are not allowed in a header value ({value[:60]!r})"
        )
    return value


def _split_list(text: str) -> list[str]:
    """Split an address list on top-level commas (not inside quotes, <...> or comments)."""
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    angle = comment = 0
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif quoted:
            quoted = ch != '"'
        elif ch == '"':
            quoted = True
        elif ch == "(":
            comment += 1
        elif ch == ")" and comment:
            comment -= 1
        elif ch == "<" and not comment:
            angle += 1
        elif ch == ">" and angle and not comment:
            angle -= 1
        elif ch in ",;" and not angle and not comment:
            items.append("".join(current))
            current = []
            continue
        current.append(ch)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def _domain_ascii(domain: str, shown: str) -> str:
    """An IDN domain in its ASCII (punycode) form, as SMTP and headers need it."""
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ComposeError(f"{shown!r}: {domain!r} is not a valid domain name") from None


def parse_address(text: str) -> Address:
    """One mailbox (`Name <user@example.com>` or `user@example.com`), validated."""
    check_header_value("address", text)
    shown = text.strip()
    if ":" in shown and not shown.startswith('"'):
        raise ComposeError(f"{shown!r}: address groups are not supported here")
    try:
        header = POLICY.header_factory("to", shown)
    except (HeaderParseError, IndexError, ValueError):
        raise ComposeError(f"{shown!r} is not a valid address") from None
    problems = [str(d) for d in header.defects]
    addresses = header.addresses
    if len(addresses) != 1:
        raise ComposeError(f"{shown!r}: expected one address, found {len(addresses)}")
    found = addresses[0]
    if not found.username or not found.domain:
        problems.insert(0, "an address needs a user and a domain, like user@example.com")
    if "local-part contains non-ASCII" in " ".join(problems):
        raise ComposeError(
            f"{shown!r}: the part before @ has non-ASCII characters, which needs SMTPUTF8; "
            "this is not supported"
        )
    if problems:
        raise ComposeError(f"{shown!r} is not a valid address: {problems[0]}")
    domain = _domain_ascii(found.domain, shown)
    return Address(found.display_name, f"{found.username}@{domain}")


def parse_address_list(text: str) -> tuple[Address, ...]:
    """Parse `a@x.org, "Doe, J" <j@y.org>, Zoë <z@bücher.de>`; IDN domains come back in ASCII.

    Raises ComposeError naming the first bad entry. Empty text gives an empty tuple.
    """
    check_header_value("address list", text)
    return tuple(parse_address(item) for item in _split_list(text))


def _header_address(address: Address) -> EmailAddress:
    check_header_value("address", address.name)
    check_header_value("address", address.email)
    local, at, domain = address.email.rpartition("@")
    if not at or not local or not domain:
        raise ComposeError(f"{address.email!r} is not a valid address (user@example.com)")
    if not local.isascii():
        raise ComposeError(f"{address.email!r}: non-ASCII before @ needs SMTPUTF8 (not supported)")
    try:
        return EmailAddress(
            display_name=address.name, username=local, domain=_domain_ascii(domain, address.email)
        )
    except (ValueError, IndexError, HeaderParseError) as exc:
        raise ComposeError(f"{address.email!r} is not a valid address: {exc}") from None


def envelope_address(address: Address) -> str:
    """The addr-spec used in MAIL FROM / RCPT TO (IDN domains in punycode)."""
    return _header_address(address).addr_spec


def unique_envelope(addresses: Iterable[Address]) -> tuple[str, ...]:
    """Recipients for RCPT TO, each once (compared case-insensitively), in order."""
    seen: set[str] = set()
    out: list[str] = []
    for address in addresses:
        spec = envelope_address(address)
        if spec.lower() not in seen:
            seen.add(spec.lower())
            out.append(spec)
    return tuple(out)


# --- body ------------------------------------------------------------------------------------


def with_signature(body: str, signature: str) -> str:
    """Append the signature after the standard "-- " separator line (once)."""
    signature = signature.strip("\n")
    if not signature:
        return body
    block = f"-- \n{signature}\n"
    if body.endswith(block):
        return body
    if body and not body.endswith("\n"):
        body += "\n"
    return body + block


def _flow_line(line: str, width: int) -> list[str]:
    """Cut one long line at spaces; each piece but the last ends with a space (RFC 3676)."""
    if len(line) <= width or line.startswith(">") or line == "-- ":
        return [line]
    pieces: list[str] = []
    rest = line
    while len(rest) > width:
        cut = rest.rfind(" ", 0, width)
        if cut <= 0:
            break
        pieces.append(rest[: cut + 1])
        rest = rest[cut + 1 :]
    pieces.append(rest)
    return pieces


def format_flowed(body: str, width: int = FLOWED_WIDTH) -> str:
    """Encode text as format=flowed: soft breaks end in a space, stuffing where needed."""
    out: list[str] = []
    for line in body.split("\n"):
        line = line.rstrip(" ") if line != "-- " else line
        for piece in _flow_line(line, width):
            if piece.startswith((" ", "From ")):
                piece = " " + piece
            out.append(piece)
    return "\n".join(out)


# --- attachments -----------------------------------------------------------------------------

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"\x1f\x8b", "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"PK\x03\x04", "application/zip"),
)


_CALENDAR_METHOD = re.compile(rb"^METHOD:([A-Z-]+)\r?$", re.MULTILINE)
_MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")  # RFC 6838


def guess_content_type(filename: str, data: bytes) -> str:
    """MIME type from the content's signature first, then the name, then text-or-binary.

    A ZIP signature defers to the name, since docx/xlsx/odt/jar are all ZIP files.
    """
    by_name = mimetypes.guess_type(filename, strict=False)[0]
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            if kind == "application/zip" and by_name:
                return by_name
            return kind
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    if by_name:
        return by_name
    if b"\0" not in data[:8192]:
        try:
            data[:65536].decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < 65536 - 4:
                return "application/octet-stream"
        return "text/plain"
    return "application/octet-stream"


def _attach_file(msg: EmailMessage, name: str, data: bytes, content_type: str = "") -> None:
    check_header_value("attachment name", name)
    kind = content_type if _MIME_TYPE.fullmatch(content_type) else guess_content_type(name, data)
    maintype, _, subtype = kind.partition("/")
    # Bytes are always base64 encoded, so what arrives is byte-identical to what was attached.
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)


# --- the message -----------------------------------------------------------------------------


def normalize_message_id(value: str) -> str:
    """`<id@host>` form for a Message-ID or reference (brackets added when missing)."""
    value = check_header_value("Message-ID", value).strip()
    if not value:
        return ""
    if any(c.isspace() for c in value):
        raise ComposeError(f"{value!r} is not a valid Message-ID (it contains spaces)")
    return value if value.startswith("<") and value.endswith(">") else f"<{value.strip('<>')}>"


def compose(
    draft: Draft,
    *,
    attachment_data: Mapping[Path, bytes] | None = None,
    signature: str = "",
    date: datetime | None = None,
    message_id: str | None = None,
    flowed: bool = False,
    user_agent: str = "tui-mail",
) -> Composed:
    """Build the message for `draft`.

    `attachment_data[path]` holds the bytes of each file in `draft.attachments`. `date`
    defaults to now (local time); `message_id` to a fresh one on the sender's domain.
    Raises ComposeError for a bad address, a line break in a header value, no recipient or
    a missing attachment.
    """
    sender = _header_address(draft.identity)
    recipients = (*draft.to, *draft.cc, *draft.bcc)
    if not recipients:
        raise ComposeError("no recipients: add at least one To, Cc or Bcc address")
    subject = check_header_value("Subject", draft.subject)

    msg = EmailMessage(policy=POLICY)
    msg["From"] = sender
    if draft.to:
        msg["To"] = [_header_address(a) for a in draft.to]
    if draft.cc:
        msg["Cc"] = [_header_address(a) for a in draft.cc]
    for bcc in draft.bcc:  # validated, never written
        _header_address(bcc)
    msg["Subject"] = subject
    msg["Date"] = format_datetime((date or datetime.now()).astimezone())
    mid = normalize_message_id(message_id) if message_id else make_msgid(domain=sender.domain)
    msg["Message-ID"] = mid
    if draft.in_reply_to:
        msg["In-Reply-To"] = normalize_message_id(draft.in_reply_to)
    references = [normalize_message_id(r) for r in draft.references if r.strip()]
    if references:
        msg["References"] = " ".join(dict.fromkeys(references))
    msg["MIME-Version"] = "1.0"
    msg["User-Agent"] = check_header_value("User-Agent", user_agent)

    body = with_signature(draft.body.replace("\r\n", "\n"), signature)
    text = format_flowed(body) if flowed else body
    seven_bit = text.isascii() and all(len(line) <= 998 for line in text.split("\n"))
    msg.set_content(
        text, charset="utf-8", cte="7bit" if seven_bit else "quoted-printable",
        params={"format": "flowed"} if flowed else None,
    )

    if draft.calendar:
        method = _CALENDAR_METHOD.search(draft.calendar)
        msg.add_alternative(
            draft.calendar.decode("utf-8", "replace"), subtype="calendar", charset="utf-8",
            params={"method": method.group(1).decode("ascii")} if method else None,
        )

    data = attachment_data or {}
    for path in draft.attachments:
        if path not in data:
            raise ComposeError(f"attachment {str(path)!r}: its contents were not provided")
        _attach_file(msg, path.name, data[path])
    for carried in draft.attached_files:
        _attach_file(msg, carried.filename, carried.data, carried.content_type)
    for raw in draft.attached_messages:
        # message/rfc822 may only be 7bit or 8bit encoded (RFC 2046 5.2.1).
        msg.add_attachment(
            _as_message(raw), disposition="attachment", filename=_forward_name(raw),
            cte="7bit" if raw.isascii() else "8bit",
        )
    return Composed(
        raw=msg.as_bytes(policy=POLICY),
        mail_from=sender.addr_spec,
        rcpts=unique_envelope(recipients),
        message_id=mid,
    )


def _as_message(raw: bytes) -> EmailMessage:
    from email import message_from_bytes

    parsed = message_from_bytes(raw, policy=POLICY)
    assert isinstance(parsed, EmailMessage)
    return parsed


_UNSAFE_NAME = re.compile(r"[^\w .,()\-]+")


def _forward_name(raw: bytes) -> str:
    """`<subject>.eml` for a forwarded message, reduced to harmless characters."""
    subject = str(_as_message(raw).get("Subject", "") or "")
    name = _UNSAFE_NAME.sub("_", subject).strip(" ._")[:60] or "message"
    return f"{name}.eml"


# --- a ready-made message (tui-mail send --message FILE.eml) ---------------------------------

_HEADER_END = re.compile(rb"\r?\n\r?\n")


def _header_fields(block: bytes) -> list[bytes]:
    """Split a header block into fields, each with its continuation lines."""
    fields: list[bytes] = []
    for line in block.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\n" + line
        elif line:
            fields.append(line)
    return fields


def prepare_message(
    raw: bytes, sender: Address, *, date: datetime | None = None, message_id: str | None = None
) -> Composed:
    """Envelope and outgoing bytes for a finished message: recipients from To/Cc/Bcc, the Bcc
    header removed, From/Date/Message-ID added when missing, line ends made CRLF.

    The body is passed through untouched.
    """
    from email.parser import BytesHeaderParser

    raw = raw.replace(b"\r\n", b"\n")
    match = _HEADER_END.search(raw)
    head, body = (raw[: match.start()], raw[match.end() :]) if match else (raw, b"")
    fields = _header_fields(head)
    kept = [f for f in fields if f.split(b":", 1)[0].strip().lower() != b"bcc"]
    parsed = BytesHeaderParser(policy=POLICY).parsebytes(head + b"\n\n")
    recipients: list[Address] = []
    for name in ("to", "cc", "bcc"):
        for value in parsed.get_all(name) or ():
            recipients.extend(parse_address_list(str(value)))
    if not recipients:
        raise ComposeError("the message has no To, Cc or Bcc recipient")
    extra: list[str] = []
    if parsed.get("from") is None:
        extra.append(f"From: {_header_address(sender)}")
        from_address = sender
    else:
        from_address = parse_address_list(str(parsed["from"]))[0]
    if parsed.get("date") is None:
        extra.append(f"Date: {format_datetime((date or datetime.now()).astimezone())}")
    mid = str(parsed.get("message-id") or "").strip()
    if not mid:
        mid = normalize_message_id(message_id) if message_id else make_msgid(
            domain=_header_address(from_address).domain
        )
        extra.append(f"Message-ID: {mid}")
    header_lines = [*(f.encode("ascii") for f in _encode_extra(extra)), *kept]
    out = b"\n".join(header_lines) + b"\n\n" + body
    return Composed(
        raw=out.replace(b"\n", b"\r\n"),
        mail_from=envelope_address(from_address),
        rcpts=unique_envelope(recipients),
        message_id=mid,
    )


def _encode_extra(lines: list[str]) -> list[str]:
    """Header lines we add, folded and RFC 2047 encoded by the email package."""
    out: list[str] = []
    for line in lines:
        name, _, value = line.partition(": ")
        holder = EmailMessage(policy=POLICY)
        holder[name] = value
        out.append(holder.as_string(policy=POLICY.clone(linesep="\n")).rstrip("\n"))
    return out
