"""Signed and encrypted messages, recognised and taken apart without running anything.

What this finds at the top of a message (a signature or an encryption deeper inside, say in a
forwarded message, is shown as the part it is):
- PGP/MIME (RFC 3156): multipart/encrypted with application/pgp-encrypted, multipart/signed
  with application/pgp-signature;
- S/MIME (RFC 8551): application/pkcs7-mime (enveloped-data: encrypted; signed-data: signed,
  the content inside), multipart/signed with application/pkcs7-signature;
- inline PGP: a text/plain message whose text is an armored PGP message or a clearsigned one.

A detached signature covers the signed part's bytes exactly as they are in the message: they
are cut out of the raw bytes, never re-serialized (a parser that refolds a header would break
every signature). Once a layer is opened, `with_inner` makes the message to show from the outer
headers and the inner part, taking the inner headers first where the sender protected them
(RFC 9788: a protected Subject replaces the "..." outside) and the layer holds: a part whose
signature is bad or cannot be checked changes no header. The From is never replaced: it is the
address signatures are checked against, and a protected From that differs is shown beside it
(`protected_from`).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from email.policy import compat32

from tui_mail.model import CryptoKind

PGP_MESSAGE = b"-----BEGIN PGP MESSAGE-----"
PGP_SIGNED = b"-----BEGIN PGP SIGNED MESSAGE-----"
# Headers the sender may protect, shown from the inner part when it carries them (RFC 9788).
# Not the From: see protected_from.
PROTECTABLE = ("subject", "to", "cc", "reply-to", "date", "message-id", "in-reply-to",
               "references", "followup-to")
_LINE_END = re.compile(rb"(?<!\r)\n")


@dataclass(frozen=True)
class Encrypted:
    """An encrypted body: OpenPGP data (armored or not) or S/MIME's DER enveloped-data."""

    kind: CryptoKind
    data: bytes
    inline: bool = False  # an armored block in a text/plain body: the plaintext is text


@dataclass(frozen=True)
class DetachedSignature:
    """multipart/signed: the signed part's exact bytes (CRLF line ends) and the signature."""

    kind: CryptoKind
    signed: bytes
    signature: bytes


@dataclass(frozen=True)
class OpaqueSigned:
    """Signed data that holds its content: S/MIME signed-data, or a clearsigned text."""

    kind: CryptoKind
    data: bytes
    inline: bool = False  # a clearsigned text/plain body: the content is text


Protection = Encrypted | DetachedSignature | OpaqueSigned


def split_head(raw: bytes) -> tuple[bytes, bytes]:
    """The header block (with its ending blank line) and the body."""
    match = re.search(rb"\r?\n\r?\n", raw)
    if match is None:
        return raw, b""
    return raw[:match.end()], raw[match.end():]


def _head_of(raw: bytes) -> Message:
    return message_from_bytes(split_head(raw)[0], policy=compat32)


def protection_of(raw: bytes) -> Protection | None:
    """The signature or encryption at the top of `raw`, or None."""
    head = _head_of(raw)
    ctype = head.get_content_type()
    protocol = (head.get_param("protocol") or "")
    protocol = protocol.lower() if isinstance(protocol, str) else ""
    if ctype == "multipart/encrypted" and protocol == "application/pgp-encrypted":
        parts = _parts(raw, head)
        if len(parts) >= 2:
            return Encrypted(CryptoKind.OPENPGP, _decoded(parts[1]))
        return None
    if ctype == "multipart/signed" and protocol in (
            "application/pgp-signature", "application/pkcs7-signature",
            "application/x-pkcs7-signature"):
        parts = _parts(raw, head)
        if len(parts) < 2:
            return None
        kind = CryptoKind.OPENPGP if protocol == "application/pgp-signature" \
            else CryptoKind.SMIME
        return DetachedSignature(kind, _LINE_END.sub(b"\r\n", parts[0]), _decoded(parts[1]))
    if ctype in ("application/pkcs7-mime", "application/x-pkcs7-mime"):
        smime_type = head.get_param("smime-type")
        data = _decoded(raw)
        if isinstance(smime_type, str) and smime_type.lower() == "signed-data":
            return OpaqueSigned(CryptoKind.SMIME, data)
        return Encrypted(CryptoKind.SMIME, data)  # enveloped-data, or unnamed (older clients)
    if ctype == "text/plain":
        body = _decoded(raw)
        if body.lstrip().startswith(PGP_MESSAGE):
            return Encrypted(CryptoKind.OPENPGP, body, inline=True)
        if body.lstrip().startswith(PGP_SIGNED):
            return OpaqueSigned(CryptoKind.OPENPGP, body, inline=True)
    return None


def _parts(raw: bytes, head: Message) -> list[bytes]:
    """The raw bytes of each part of a multipart, as they are in `raw` (each part's line end
    before the next delimiter belongs to the delimiter, RFC 2046 5.1.1)."""
    boundary = head.get_boundary()
    if not boundary:
        return []
    _, body = split_head(raw)
    delimiter = re.escape(b"--" + boundary.encode("ascii", "replace"))
    # a delimiter line: at the start of a line, then optional padding, then the line end
    # (the line end after it is looked at, not taken: it may begin the next delimiter line)
    lines = list(re.finditer(rb"(?:^|\r?\n)" + delimiter + rb"(--)?[ \t]*(?=(\r?\n)|$)",
                             body))
    parts = []
    for this, after in zip(lines, lines[1:], strict=False):
        if this.group(1):  # the closing delimiter
            break
        parts.append(body[this.end() + len(this.group(2) or b""):after.start()])
    return parts


def _decoded(entity: bytes) -> bytes:
    """An entity's body with its transfer encoding undone (base64, quoted-printable)."""
    head = _head_of(entity)
    encoding = str(head.get("content-transfer-encoding", "")).strip().lower()
    _, body = split_head(entity)
    if encoding == "base64":
        try:
            return base64.b64decode(re.sub(rb"[^A-Za-z0-9+/=]", b"", body) + b"==")
        except (binascii.Error, ValueError):
            return b""
    if encoding == "quoted-printable":
        import quopri

        return quopri.decodestring(body)
    return body


def text_entity(text: bytes, charset: str = "utf-8") -> bytes:
    """A text/plain entity holding `text` (what an inline PGP message decrypts to)."""
    return (f"Content-Type: text/plain; charset={charset}\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n").encode() + _LINE_END.sub(b"\r\n", text)


def charset_of(raw: bytes) -> str:
    charset = _head_of(raw).get_content_charset() or "utf-8"
    return charset if re.fullmatch(r"[A-Za-z0-9._:-]{1,40}", charset) else "utf-8"


def with_inner(outer: bytes, inner: bytes, *, trusted: bool = True) -> bytes:
    """The message to show once a layer is opened: the outer headers but its Content-*
    ones, then `inner` (an entity: its headers and body). When the layer holds (`trusted`: a
    good signature, or a decryption), headers the inner part protects (Content-Type with
    protected-headers="v1") replace the outer ones of the same name."""
    outer_head, _ = split_head(outer)
    inner_head, inner_body = split_head(inner)
    inner_fields = header_fields(inner_head)
    protected = trusted and _protects_headers(inner_head)
    protected_names = {name.lower() for name, _ in inner_fields
                       if protected and name.lower() in PROTECTABLE}
    kept = [(name, line) for name, line in header_fields(outer_head)
            if not name.lower().startswith("content-") and name.lower() != "mime-version"
            and name.lower() not in protected_names]
    lines = [line for _, line in kept]
    lines += [line for name, line in inner_fields
              if name.lower().startswith("content-") or name.lower() in protected_names]
    return b"".join(lines) + b"MIME-Version: 1.0\r\n\r\n" + inner_body


def protected_from(inner: bytes) -> str:
    """The From an inner part protects (RFC 9788), as written, or ""."""
    inner_head, _ = split_head(inner)
    if not _protects_headers(inner_head):
        return ""
    value = _head_of(inner_head).get("from")
    return str(value).strip() if value is not None else ""


def _protects_headers(head: bytes) -> bool:
    value = _head_of(head).get_param("protected-headers")
    return isinstance(value, str) and value.lower() == "v1"


def header_fields(head: bytes) -> list[tuple[str, bytes]]:
    """(name, the whole field with its folded lines and line end), in order."""
    fields: list[tuple[str, bytes]] = []
    for line in re.split(rb"(?<=\n)", head):
        if not line.strip():
            continue
        if line[:1] in (b" ", b"\t") and fields:
            folded_name, previous = fields[-1]
            fields[-1] = (folded_name, previous + line)
            continue
        field_name, colon, _ = line.partition(b":")
        if colon:
            fields.append((field_name.decode("ascii", "replace").strip(), line))
    return [(name, line if line.endswith(b"\n") else line + b"\r\n") for name, line in fields]
