"""Parse raw RFC 5322 bytes into a model.Message; broken input degrades, it never raises.

The MIME structure comes from `email`'s feed parser. Header values are decoded by
`mail.headers` from the raw strings, which is faster than policy.default's header objects and
tolerant of every kind of garbage seen in real mail; the parser itself runs with a policy that
hands back those raw strings too (policy.default parsed every Content-Type it was asked for into
a header object: about 1.5 ms a part, 15 s for a message of 10,000 parts).

The work is bounded: after MAX_PARTS parts, or nested deeper than MAX_DEPTH, the parser stops
and what it read so far is shown, with a note saying what was left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import errors as email_errors
from email import feedparser as _feedparser
from email import policy
from email.feedparser import FeedParser
from email.message import Message as EmailMessage
from email.utils import collapse_rfc2231_value

from tui_mail.mail.charset import decode_bytes
from tui_mail.mail.flowed import unflow
from tui_mail.mail.headers import (
    decode_header_text,
    list_post_address,
    normalize_id,
    normalize_ids,
    parse_addresses,
    parse_date,
)
from tui_mail.mail.mime_tree import mime_tree
from tui_mail.mail.sanitize import sanitize_filename, sanitize_line
from tui_mail.model import Attachment, Message

MAX_PARTS = 1000  # MIME parts (every multipart and leaf) read from one message
MAX_DEPTH = 40  # multiparts inside multiparts
_MAX_DEPTH = MAX_DEPTH
_FEED = 256 * 1024  # characters handed to the parser at a time


class _LineEndAtEnd:
    """`email.feedparser.NLCRE_eol` (a line end that ends the string), searched from two
    characters before the end: the same match, found without trying every position first. The
    stdlib searches a part's whole payload with it, in C, holding the GIL: 0.15 s for a 20 MB
    attachment, during which the interface could not answer a key."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text, max(0, len(text) - 2))


# NLCRE_eol, like the parser's _msgstack, _cur and _new_message below, is a private name of the
# stdlib that typeshed leaves out.
if isinstance(getattr(_feedparser, "NLCRE_eol", None), re.Pattern):
    _feedparser.NLCRE_eol = _LineEndAtEnd(_feedparser.NLCRE_eol)  # type: ignore[attr-defined]


class _RawHeaders(policy.Compat32):
    """compat32, but a header is fetched as its raw string unfolded (as policy.default unfolds
    it before parsing): never an `email.header.Header`, whatever bytes it holds."""

    def header_fetch_parse(self, name: str, value: str) -> str:  # noqa: ARG002
        return value.replace("\r", "").replace("\n", "") if "\n" in value or "\r" in value \
            else value


# The policy both the fast tree (mime_tree) and BoundedParser read with.
RAW_HEADERS = _RawHeaders()


class _Stop(Exception):
    """The message has more parts, or deeper nesting, than is read."""


class BoundedParser(FeedParser):
    """The slow path of `_parse_bounded`, which `mime_tree` must match part for part:
    a feed parser that stops at MAX_PARTS parts or MAX_DEPTH levels of nesting.

    `_new_message` is where the stdlib's parser makes every part; stopping there leaves the
    tree read so far whole (earlier parts complete, the parents' part lists in place).
    """

    def __init__(self) -> None:
        super().__init__(policy=RAW_HEADERS)
        self.parts = 0
        self.root: EmailMessage | None = None
        self.stopped = ""

    def _new_message(self) -> None:
        if self.parts >= MAX_PARTS:
            self.stopped = "parts"
            raise _Stop
        if len(self._msgstack) > MAX_DEPTH:  # type: ignore[attr-defined]
            self.stopped = "depth"
            raise _Stop
        super()._new_message()  # type: ignore[misc]
        self.parts += 1
        if self.root is None:
            self.root = self._cur  # type: ignore[attr-defined]


def _parse_bounded(raw: bytes) -> tuple[EmailMessage, str]:
    """The MIME tree of `raw` and why it was cut short ("parts", "depth" or "")."""
    text = raw.removeprefix(b"\xef\xbb\xbf").decode("ascii", "surrogateescape")  # a BOM
    tree = mime_tree(text, RAW_HEADERS, MAX_PARTS, MAX_DEPTH)  # the same tree, for most mail
    if tree is not None:
        return tree, ""
    parser = BoundedParser()
    try:
        for start in range(0, len(text), _FEED):
            parser.feed(text[start:start + _FEED])
        return parser.close(), ""
    except _Stop:
        assert parser.root is not None
        return parser.root, parser.stopped


def _parse_tree(raw: bytes) -> EmailMessage:
    return _parse_bounded(raw)[0]


def _header_values(msg: EmailMessage, name: str) -> list[str]:
    """Raw header strings (no policy parsing), case-insensitively."""
    lname = name.lower()
    return [str(v) for k, v in msg.raw_items() if k.lower() == lname]


def _first(msg: EmailMessage, name: str) -> str:
    values = _header_values(msg, name)
    return values[0] if values else ""


def _describe_defect(defect: object) -> str:
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", type(defect).__name__.removesuffix("Defect")).lower()
    return f"broken MIME: {words}"


def _content_type(part: EmailMessage) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


def _param(part: EmailMessage, name: str, header: str = "content-type") -> str:
    try:
        value = part.get_param(name, header=header)
    except Exception:
        return ""
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        try:
            value = collapse_rfc2231_value(value, fallback_charset="utf-8")
        except Exception:
            value = ""
    return str(value or "")


def _filename(part: EmailMessage, notes: list[str]) -> str:
    name = _param(part, "filename", "content-disposition") or _param(part, "name")
    if not name:
        return ""
    return decode_header_text(name, notes)


def _disposition(part: EmailMessage) -> str:
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:
        return ""


_MEASURE_ABOVE = 1 << 20  # characters of base64 above which a size is computed, not decoded


def _payload_size(part: EmailMessage) -> int:
    """The decoded size of a part; a large base64 one is not decoded (a 20 MB attachment cost
    0.1 s and 20 MB more to be measured): its characters but white space and padding, by
    3/4 (characters a decoder would skip as garbage are counted: a size shown, not a check)."""
    payload = part.get_payload()
    if isinstance(payload, str) and len(payload) > _MEASURE_ABOVE \
            and _first(part, "content-transfer-encoding").strip().lower() == "base64":
        return (len(payload) - sum(map(payload.count, "\r\n\t ="))) * 3 // 4
    return len(_payload_bytes(part))


def _payload_bytes(part: EmailMessage) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    if isinstance(payload, list):  # message/rfc822: its serialised form
        try:
            first = payload[0] if payload else None
            return first.as_bytes(policy=policy.compat32) \
                if isinstance(first, EmailMessage) else b""
        except Exception:
            return b""
    return b""


def _part_text(part: EmailMessage, notes: list[str]) -> str:
    data = _payload_bytes(part)
    text, note = decode_bytes(data, _param(part, "charset") or None)
    if note and note not in notes:
        notes.append(note)
    text = text.replace("\r\n", "\n")
    if _param(part, "format").lower() == "flowed":
        text = unflow(text, delsp=_param(part, "delsp").lower() == "yes")
    return text


def _leaves(msg: EmailMessage, depth: int = 0) -> Iterator[tuple[EmailMessage, str]]:
    """Leaf parts in order with the subtype of their closest multipart parent.

    Attached messages (message/rfc822) are leaves: their insides are not ours to show.
    """
    if depth > _MAX_DEPTH:
        return
    payload = msg.get_payload() if msg.is_multipart() else None
    if isinstance(payload, list) and _content_type(msg).startswith("multipart/"):
        subtype = _content_type(msg).split("/", 1)[1]
        for child in payload:
            if isinstance(child, EmailMessage):
                for leaf, parent in _leaves(child, depth + 1):
                    yield leaf, parent or subtype
        return
    yield msg, ""


def _is_body_part(part: EmailMessage, ctype: str, filename: str) -> bool:
    disposition = _disposition(part)
    if ctype not in ("text/plain", "text/html") or disposition == "attachment":
        return False
    return not filename or disposition == "inline"


def _classify(msg: EmailMessage) -> Iterator[tuple[EmailMessage, str, str]]:
    """(part, role, content type) for every leaf; role is "text", "html" or "attachment".

    The text body is every inline text/plain part (only the first of an alternative); the
    HTML body is the first inline text/html part; a single-part message of another text type,
    or a multipart without parts, is shown as text. Everything else is an attachment, numbered
    in this order by parse_message and attachment_bytes alike.
    """
    have_text = have_html = False
    for part, parent in _leaves(msg):
        ctype = _content_type(part)
        single = part is msg and not msg.is_multipart()
        if (
            single
            and ctype.startswith(("multipart/", "text/"))
            and ctype != "text/html"
            and _disposition(part) != "attachment"
        ):
            have_text = True
            yield part, "text", ctype
            continue
        if _is_body_part(part, ctype, _filename(part, [])):
            if ctype == "text/plain" and (parent != "alternative" or not have_text):
                have_text = True
                yield part, "text", ctype
                continue
            if ctype == "text/html" and not have_html:
                have_html = True
                yield part, "html", ctype
                continue
            if ctype == "text/plain" and parent == "alternative":
                continue  # a second plain alternative of the same content
        yield part, "attachment", ctype


def parse_message(raw: bytes, *, headers: bool = True) -> Message:
    """Everything the viewer needs from raw message bytes. Never raises.

    Without `headers`, the header fields are left empty (and their notes unsaid): for a
    caller that reads them from the header block itself, as the cache's writer does."""
    notes: list[str] = []
    try:
        msg, stopped = _parse_bounded(raw)
    except Exception as exc:  # the parser is tolerant; this is a last resort
        text, _ = decode_bytes(raw, None)
        return _empty_message(text, (f"could not parse message: {exc}",))

    text_parts: list[str] = []
    html_body: str | None = None
    attachment_parts: list[tuple[EmailMessage, str]] = []
    if stopped == "parts":
        notes.append(f"this message has more than {MAX_PARTS:,} MIME parts: the first"
                     f" {MAX_PARTS:,} are read and listed, the rest are not shown")
    elif stopped == "depth":
        notes.append(f"MIME parts nested more than {MAX_DEPTH} deep: the parts below that level"
                     " and everything after them are not shown")
    if not msg.is_multipart() and _content_type(msg).startswith("multipart/"):
        notes.append("broken MIME: multipart without parts, shown as text")
    for part, role, ctype in _classify(msg):
        if role == "text":
            text_parts.append(_part_text(part, notes))
        elif role == "html":
            html_body = _part_text(part, notes)
        else:
            attachment_parts.append((part, ctype))

    attachments = []
    for index, (part, ctype) in enumerate(attachment_parts):
        filename = _filename(part, notes)
        disposition = _disposition(part)
        has_cid = bool(_first(part, "content-id"))
        attachments.append(
            Attachment(
                filename=sanitize_filename(filename, fallback=_fallback_name(ctype, index)),
                content_type=sanitize_line(ctype),
                size=_payload_size(part),
                index=index,
                inline=disposition == "inline" or (has_cid and disposition != "attachment"),
            )
        )

    for defect in _all_defects(msg):
        note = _describe_defect(defect)
        if note not in notes:
            notes.append(note)

    if not headers:
        return Message(subject="", from_=(), to=(), cc=(), bcc=(), reply_to=(), date=None,
                       message_id="", in_reply_to="", references=(),
                       text_body="\n\n".join(text_parts) if text_parts else None,
                       html_body=html_body, attachments=tuple(attachments),
                       defects=tuple(notes))
    return Message(
        subject=decode_header_text(_first(msg, "subject"), notes),
        from_=parse_addresses(_header_values(msg, "from")[:1], notes),
        to=parse_addresses(_header_values(msg, "to"), notes),
        cc=parse_addresses(_header_values(msg, "cc"), notes),
        bcc=parse_addresses(_header_values(msg, "bcc"), notes),
        reply_to=parse_addresses(_header_values(msg, "reply-to"), notes),
        date=parse_date(_first(msg, "date"), notes),
        message_id=normalize_id(_first(msg, "message-id"), require_at=False),
        in_reply_to=normalize_id(_first(msg, "in-reply-to")),
        references=normalize_ids(" ".join(_header_values(msg, "references"))),
        text_body="\n\n".join(text_parts) if text_parts else None,
        html_body=html_body,
        attachments=tuple(attachments),
        list_post=list_post_address(_first(msg, "list-post")),
        list_id=_list_label(msg),
        defects=tuple(notes),
    )


def _list_label(msg: EmailMessage) -> str:
    """The mailing list a message came through, as the header block names it."""
    if not any(name.lower().startswith("list-") for name in msg):
        return ""
    from tui_mail.mail.lists import mailing_list

    found = mailing_list(lambda name: _first(msg, name) or None)
    return found.label() if found is not None else ""


def attachment_bytes(raw: bytes, index: int) -> bytes:
    """The decoded payload of attachment `index` (as numbered by parse_message).

    Raises IndexError when the message has no such attachment.
    """
    msg = _parse_tree(raw)
    attachments = (part for part, role, _ctype in _classify(msg) if role == "attachment")
    for i, part in enumerate(attachments):
        if i == index:
            return _payload_bytes(part)
    raise IndexError(f"message has no attachment {index}")


def all_attachment_bytes(raw: bytes) -> Iterator[bytes]:
    """The decoded payload of each attachment, in parse_message's numbering."""
    msg = _parse_tree(raw)
    for part, role, _ctype in _classify(msg):
        if role == "attachment":
            yield _payload_bytes(part)


def _fallback_name(ctype: str, index: int) -> str:
    ext = {
        "message/rfc822": "eml",
        "text/plain": "txt",
        "text/html": "html",
        "application/pdf": "pdf",
        "image/png": "png",
        "image/jpeg": "jpg",
        "image/gif": "gif",
        "text/calendar": "ics",  # what calendar programs open (an invitation's event)
        "text/vcard": "vcf",
        "text/x-vcard": "vcf",
    }.get(ctype, "bin")
    return f"attachment-{index + 1}.{ext}"


def _all_defects(msg: EmailMessage) -> Iterator[email_errors.MessageDefect]:
    stack = [msg]
    seen = 0
    while stack and seen < 1000:
        part = stack.pop()
        seen += 1
        yield from getattr(part, "defects", ())
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend(p for p in payload if isinstance(p, EmailMessage))


def _empty_message(text: str, defects: tuple[str, ...]) -> Message:
    return Message(
        subject="",
        from_=(),
        to=(),
        cc=(),
        bcc=(),
        reply_to=(),
        date=None,
        message_id="",
        in_reply_to="",
        references=(),
        text_body=text,
        html_body=None,
        attachments=(),
        defects=defects,
    )
