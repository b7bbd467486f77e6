"""Turn one planned demo message into RFC 5322 bytes, deterministically.

The stdlib picks random MIME boundaries; every multipart part gets a boundary derived from the
message number instead, so the same plan always gives the same bytes.
"""

from __future__ import annotations

import html
import struct
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    tz: float = 0.0
    title: str = ""

    @property
    def first(self) -> str:
        return self.name.split()[0] if self.name else self.email


@dataclass(frozen=True)
class AttachmentSpec:
    filename: str
    kind: str  # "pdf", "png", "csv", "ics", "md"
    text: str = ""


@dataclass
class PlannedMessage:
    """Everything needed to write one message; `number` keeps ids and boundaries unique."""

    number: int
    sender: Person
    to: list[Person]
    subject: str
    date: datetime
    body: str
    message_id: str
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    cc: list[Person] = field(default_factory=list)
    html_body: str = ""
    attachments: list[AttachmentSpec] = field(default_factory=list)
    extra_headers: dict[str, str] = field(default_factory=dict)
    charset: str = "utf-8"


def render(plan: PlannedMessage) -> bytes:
    """The message as bytes with CRLF line ends.

    Written with the compat32 API (`email.mime`): the modern `EmailMessage` header machinery
    costs about 5 ms per message, which made building the demo take seconds.
    """
    body: Message = _text_part(plan.body, plan.charset)
    if plan.html_body:
        alternative = MIMEMultipart("alternative")
        alternative.attach(body)
        alternative.attach(_quoted_printable(plan.html_body, "html"))
        body = alternative
    msg = body
    if plan.attachments:
        msg = MIMEMultipart("mixed")
        msg.attach(body)
        for spec in plan.attachments:
            data, maintype, subtype = attachment_bytes(spec)
            part: Message
            if maintype == "application":
                part = MIMEApplication(data, subtype)
            elif maintype == "image":
                part = MIMEImage(data, subtype)
            elif maintype == "text":
                part = _quoted_printable(data.decode("utf-8"), subtype)
            else:
                raise AssertionError(f"no MIME class for {maintype}")
            part.add_header("Content-Disposition", "attachment", filename=_filename(spec.filename))
            msg.attach(part)
    headers = [
        ("Date", format_datetime(plan.date)),
        ("From", _address(plan.sender)),
        ("To", ", ".join(_address(p) for p in plan.to)),
    ]
    if plan.cc:
        headers.append(("Cc", ", ".join(_address(p) for p in plan.cc)))
    headers += [("Subject", _header_text(plan.subject)), ("Message-ID", plan.message_id)]
    if plan.in_reply_to:
        headers.append(("In-Reply-To", plan.in_reply_to))
    if plan.references:
        headers.append(("References", " ".join(plan.references)))
    headers += [(name, _header_text(value)) for name, value in plan.extra_headers.items()]
    if "MIME-Version" in msg:
        del msg["MIME-Version"]
    existing = list(msg.items())
    for name in list(msg.keys()):
        del msg[name]
    for name, value in [*headers, ("MIME-Version", "1.0"), *existing]:
        msg[name] = value
    for index, node in enumerate(msg.walk()):
        if node.is_multipart():
            node.set_boundary(f"=_demo_{plan.number:04d}_{index}")
        elif node is not msg and "MIME-Version" in node:
            del node["MIME-Version"]
    return msg.as_bytes(policy=_POLICY)


_POLICY = compat32.clone(linesep="\r\n")


def _text_part(text: str, charset: str) -> MIMEText:
    if charset != "utf-8":
        try:
            text.encode(charset)
            return MIMEText(text, "plain", charset)
        except UnicodeEncodeError:
            pass
    return _quoted_printable(text, "plain")


def _quoted_printable(text: str, subtype: str) -> MIMEText:
    """Text as most mail programs write it: UTF-8 in quoted-printable rather than base64."""
    # MIMEText hands its charset to set_payload, which takes a Charset (whose body encoding is
    # what picks quoted-printable); typeshed types the argument as str | None only.
    return MIMEText(text, subtype, _UTF8_QP)  # type: ignore[arg-type]


_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP


def _header_text(value: str) -> str:
    if value.isascii():
        return value
    return Header(value, "utf-8").encode()


def _address(person: Person) -> str:
    return formataddr((person.name, person.email), charset="utf-8")


def _filename(name: str) -> str | tuple[str, str, str]:
    """An RFC 2231 parameter for non-ASCII names."""
    return name if name.isascii() else ("utf-8", "", name)


def attachment_bytes(spec: AttachmentSpec) -> tuple[bytes, str, str]:
    """The content of a small attachment, and its MIME type."""
    if spec.kind == "pdf":
        return _tiny_pdf(spec.text or spec.filename), "application", "pdf"
    if spec.kind == "png":
        return _tiny_png(len(spec.filename)), "image", "png"
    if spec.kind == "ics":
        return spec.text.encode("utf-8"), "text", "calendar"
    if spec.kind == "csv":
        return spec.text.encode("utf-8"), "text", "csv"
    return spec.text.encode("utf-8"), "text", "markdown"


def _tiny_pdf(title: str) -> bytes:
    """A minimal one-page PDF showing `title` (ASCII only; others become '?')."""
    text = title.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 18 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _tiny_png(seed: int, width: int = 48, height: int = 32) -> bytes:
    """A small gradient image, different per seed."""
    rows = b"".join(
        b"\x00" + bytes(((x + y) * 4 + seed * 7 + c * 40) % 256 for x in range(width) for c in range(3))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def newsletter_html(title: str, intro: str, items: list[tuple[str, str]], track_id: str) -> str:
    """A typical marketing-style HTML mail: tables, inline styles, a hidden preheader and a
    tracking pixel (which the app must never load)."""
    e = html.escape
    rows = "\n".join(
        f'<tr><td style="padding:12px 0;border-bottom:1px solid #eee">'
        f'<a href="https://news.example.org/r/{track_id}/{i}" style="font-size:18px;color:#0b62a8">'
        f"{e(head)}</a><p style=\"margin:4px 0;color:#444\">{e(text)}</p></td></tr>"
        for i, (head, text) in enumerate(items)
    )
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{e(title)}</title></head>
<body style="margin:0;background:#f4f4f4;font-family:Helvetica,Arial,sans-serif">
<span style="display:none;max-height:0;overflow:hidden">{e(intro)}</span>
<table width="100%" cellpadding="0" cellspacing="0"><tr><td align="center">
<table width="600" style="background:#ffffff;padding:24px">
<tr><td><h1 style="font-size:24px;margin:0 0 8px">{e(title)}</h1>
<p style="color:#666">{e(intro)}</p></td></tr>
{rows}
<tr><td style="padding-top:24px;font-size:12px;color:#999">
You receive this because you subscribed at example.org.
<a href="https://news.example.org/unsubscribe/{track_id}">Unsubscribe</a></td></tr>
</table></td></tr></table>
<img src="https://track.example.org/open.gif?id={track_id}" width="1" height="1" alt="">
</body></html>
"""


def newsletter_text(title: str, intro: str, items: list[tuple[str, str]]) -> str:
    lines = [title, "=" * min(len(title), 60), "", intro, ""]
    for head, text in items:
        lines += [f"* {head}", f"  {text}", ""]
    lines.append("Unsubscribe: https://news.example.org/unsubscribe")
    return "\n".join(lines) + "\n"
