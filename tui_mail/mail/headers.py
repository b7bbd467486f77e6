"""Header decoding that never raises, and a fast header-only summary for list rows.

Header values are handled as strings in which raw 8-bit bytes are kept as surrogate escapes
(what `email` produces from bytes). They are decoded here by hand: RFC 2047 encoded words in
any charset, raw UTF-8 or Windows-1252 bytes, then sanitized.

`parse_headers` runs once per message on sync and import, so the common shapes take fast
paths (plain ASCII values, plain address lists, RFC 5322 dates, a regex over the header block)
that give exactly what the general code gives; anything unusual goes the general way.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import getaddresses, parsedate_to_datetime

from tui_mail.mail.addresses import plain_addresses
from tui_mail.mail.autocrypt import automatic
from tui_mail.mail.charset import decode_bytes, decode_guess
from tui_mail.mail.sanitize import sanitize_line
from tui_mail.model import Address, Sealing

_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([QqBb])\?([^?\s]*)\?=")
_MSG_ID = re.compile(r"<([^<>\s]+)>")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_LIST_POST = re.compile(r"<mailto:([^>?]+)", re.IGNORECASE)


def to_bytes(value: str) -> bytes:
    """Recover the original bytes of a header string decoded with surrogateescape."""
    return value.encode("utf-8", "surrogateescape")


def decode_raw(value: str) -> str:
    """Decode raw 8-bit bytes in a header value (UTF-8, else Windows-1252)."""
    if value.isascii():
        return value
    try:
        data = value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return decode_guess(data)


def _decode_word(encoding: str, payload: str) -> bytes:
    if encoding in "Qq":
        return binascii.a2b_qp(payload.encode("ascii", "replace"), header=True)
    data = payload.encode("ascii", "replace").rstrip(b"=")
    data = data[: len(data) - len(data) % 4] if len(data) % 4 == 1 else data
    try:
        return binascii.a2b_base64(data + b"=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return b""


def decode_words(value: str, notes: list[str] | None = None) -> str:
    """Decode RFC 2047 encoded words; adjacent words of one charset are joined before decoding.

    Broken words are left as they are; unknown charsets are guessed with a note.
    """
    text = decode_raw(value)
    if "=?" not in text:
        return text
    out: list[str] = []
    pos = 0
    pending: list[bytes] = []
    pending_charset = ""

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            decoded, note = decode_bytes(b"".join(pending), pending_charset)
            out.append(decoded)
            if note and notes is not None and note not in notes:
                notes.append(note)
        pending, pending_charset = [], ""

    for m in _ENCODED_WORD.finditer(text):
        gap = text[pos : m.start()]
        if gap and not (pending and gap.isspace()):  # space between two words is dropped
            flush()
            out.append(gap)
        charset = m.group(1).lower()
        if pending and charset != pending_charset:
            flush()
        pending_charset = charset
        pending.append(_decode_word(m.group(2), m.group(3)))
        pos = m.end()
    flush()
    out.append(text[pos:])
    return "".join(out)


def unfold(value: str) -> str:
    return _FOLD.sub("", value)


def _plain_line(value: str) -> str | None:
    """`sanitize_line(value)` for printable ASCII (tabs allowed), else None.

    Such text has nothing to decode, unfold or remove: only its whitespace is squeezed.
    """
    if not value.isascii():
        return None
    if not value.isprintable():
        if "\t" not in value:
            return None
        value = value.replace("\t", " ")
        if not value.isprintable():
            return None
    if "  " in value:
        return " ".join(value.split())
    return value.strip(" ")


def clean_value(value: str) -> str:
    """A raw header value unfolded, with raw 8-bit bytes decoded, as one sanitized line."""
    plain = _plain_line(value)
    if plain is not None:
        return plain
    return sanitize_line(decode_raw(unfold(value)))


MAX_HEADER_CHARS = 2000  # of a decoded header value; a longer one is cut, ending in "…"


def cut_line(text: str, limit: int = MAX_HEADER_CHARS) -> str:
    """`text` cut to `limit` characters with "…" at the end when it is longer."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def decode_header_text(value: str | None, notes: list[str] | None = None) -> str:
    """A display-ready single-line header value, cut at MAX_HEADER_CHARS with "…" (a 1 MB
    Subject is a kind of attack, never a subject)."""
    if not value:
        return ""
    value = str(value)
    if len(value) > 8 * MAX_HEADER_CHARS:
        # Encoded words and folding take at most a few times the room of what they decode to.
        return cut_line(_decode_header_text(value[: 8 * MAX_HEADER_CHARS], notes) + "…")
    if len(value) > MAX_HEADER_CHARS:
        return cut_line(_decode_header_text(value, notes))
    return _decode_header_text(value, notes)


def _decode_header_text(value: str, notes: list[str] | None) -> str:
    if "=?" not in value:
        plain = _plain_line(value)
        if plain is not None:
            return plain
    return sanitize_line(decode_words(unfold(value), notes))


def parse_addresses(values: list[str], notes: list[str] | None = None) -> tuple[Address, ...]:
    """Addresses from raw header values; garbage degrades to a name-only Address."""
    result: list[Address] = []
    for raw in values:
        # Escape sequences go first: an OSC payload's ";" would split the address list.
        value = clean_value(str(raw))
        plain = plain_addresses(value)
        if plain is not None:
            # Plain addr-specs are printable ASCII without "<>:;": none of the repairs below apply.
            result.extend(Address(decode_header_text(n, notes), e) for n, e in plain)
            continue
        try:
            pairs = getaddresses([value])
        except Exception:
            pairs = []
        if "@" not in value and "<" not in value and not value.rstrip().endswith(";"):
            pairs = [(value, "")] if value.strip() else []
        found = False
        for name, email in pairs:
            name = decode_header_text(name, notes)
            email = sanitize_line(email).strip("<>")
            if not email and not name:
                continue
            if not email and "@" in name and " " not in name:
                name, email = "", name
            if email.endswith(":;") or (not email and name.endswith(":")):
                continue  # an empty group, e.g. "undisclosed-recipients:;"
            result.append(Address(name, email))
            found = True
        if not found and value.strip() and not value.strip().endswith(";"):
            result.append(Address(decode_header_text(value, notes), ""))
    return tuple(result)


def parse_date(value: str | None, notes: list[str] | None = None) -> datetime | None:
    """An aware datetime, or None with a note when the Date header cannot be understood."""
    if not value or not value.strip():
        return None
    text = clean_value(value)
    date = _rfc5322_date(text)
    if date is not None:
        return date
    try:
        date = parsedate_to_datetime(text)
    except Exception:
        date = None
    if date is None or not 1 <= date.year <= 9999:
        if notes is not None:
            notes.append(f"unreadable date {text[:60]!r}")
        return None
    if date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    return date


_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_DATE = re.compile(
    rf"(?:[A-Za-z]{{3}}, )?(\d\d?) ({'|'.join(_MONTH_NAMES)}) "
    r"([1-9]\d\d\d) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)(?: |\Z)"
)
_ZONES: dict[int, timezone] = {}


def _rfc5322_date(text: str) -> datetime | None:
    """The common `Mon, 2 Jan 2006 15:04:05 -0700` form read exactly as `parsedate_to_datetime`
    reads it (weekday ignored, anything after the zone too; -0000 means UTC), or None."""
    m = _DATE.match(text)
    if m is None:
        return None
    day, month, year, hour, minute, second, sign, zh, zm = m.groups()
    offset = int(zh) * 3600 + int(zm) * 60
    if sign == "-":
        offset = -offset
    try:
        zone = _ZONES.get(offset)
        if zone is None:
            zone = _ZONES[offset] = timezone(timedelta(seconds=offset))
        return datetime(
            int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=zone
        )
    except ValueError:
        return None  # out of range: the general path writes the note


def normalize_ids(value: str | None, *, require_at: bool = True) -> tuple[str, ...]:
    """Message-IDs in a header, each as "<id>", in order, without repeats.

    A value without angle brackets (seen in the wild) is taken as one id with spaces removed.
    With `require_at`, ids without "@" are dropped: git send-email once wrote
    "In-Reply-To: <yes>", which would join unrelated threads.
    """
    if not value:
        return ()
    text = clean_value(value)
    ids = _MSG_ID.findall(text)
    if not ids:
        bare = "".join(text.split())
        ids = [bare] if bare and ("@" in bare or not require_at) else []
    if require_at:
        ids = [i for i in ids if "@" in i]
    return tuple(dict.fromkeys(f"<{i}>" for i in ids))


def normalize_id(value: str | None, *, require_at: bool = True) -> str:
    """The first Message-ID in a header as "<id>", or ""."""
    ids = normalize_ids(value, require_at=require_at)
    return ids[0] if ids else ""


@dataclass(frozen=True)
class HeaderSummary:
    """What a message-list row needs, read from the header block alone."""

    subject: str
    from_: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime | None
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    has_attachment: bool
    list_post: str = ""
    # a Sealing value as a plain int: prepared rows are marshalled from the text processes
    sealed: int = 0
    autocrypt: tuple[str, ...] = ()  # its Autocrypt headers, as written
    # written by a program (mail.autocrypt.automatic): it changes no Autocrypt peer
    automatic: bool = False


_WANTED = {
    "subject",
    "from",
    "to",
    "cc",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "content-type",
    "x-ms-has-attach",
    "list-post",
    "autocrypt",
    "auto-submitted",
}


# A wanted field with its continuation lines, in a block whose only line break is LF.
_WANTED_FIELD = re.compile(
    rb"\n(" + "|".join(sorted(_WANTED)).encode() + rb")[ \t]*:([^\n]*)((?:\n[ \t][^\n]*)*)",
    re.IGNORECASE,
)
# Bytes that str.splitlines() breaks lines at or str.strip() removes, besides LF, space, TAB
# (also NUL and DEL, rare enough to leave to the general code).
_ODD_CONTROL = bytes([*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F])


def _header_block(raw: bytes) -> bytes:
    """`raw` up to its first empty line (LF or CRLF endings, even mixed)."""
    ends = [i for i in (raw.find(b"\n\n"), raw.find(b"\n\r\n")) if i >= 0]
    if not ends:
        return raw
    end = min(ends)
    return raw[: end - 1] if end and raw[end - 1] == 13 else raw[:end]


def split_headers(raw: bytes) -> dict[str, list[str]]:
    """The wanted header fields of a header block (or whole message), unfolded, in order."""
    block = _header_block(raw.removeprefix(b"\xef\xbb\xbf"))
    lf_block = block.replace(b"\r\n", b"\n") if b"\r" in block else block
    if len(lf_block.translate(None, _ODD_CONTROL)) == len(lf_block):
        return _split_lf_block(b"\n" + lf_block)
    return _split_any_block(block)


def _split_lf_block(block: bytes) -> dict[str, list[str]]:
    """`_split_any_block` for LF + a block without CR or other odd control bytes, by one regex."""
    fields: dict[str, list[str]] = {}
    for m in _WANTED_FIELD.finditer(block):
        name, first, rest = m.groups()
        value = first.strip(b" \t")
        if rest:
            value += rest.replace(b"\n", b"")
        key = name.decode("ascii").lower()
        text = value.decode("ascii", "surrogateescape")
        if key in fields:
            fields[key].append(text)
        else:
            fields[key] = [text]
    return fields


def _split_any_block(block: bytes) -> dict[str, list[str]]:
    """Line by line, with every line break `str.splitlines` knows."""
    fields: dict[str, list[str]] = {}
    name = ""
    for line in block.decode("ascii", "surrogateescape").splitlines():
        if line[:1] in (" ", "\t"):
            if name in _WANTED and fields.get(name):
                fields[name][-1] += line
            continue
        key, sep, value = line.partition(":")
        if not sep:
            name = ""
            continue
        name = key.strip().lower()
        if name in _WANTED:
            fields.setdefault(name, []).append(value.strip())
    return fields


def sealing_of(content_type: str) -> int:
    """Sealing.ENCRYPTED for PGP/MIME or S/MIME encrypted mail, SIGNED for signed mail, else 0: from
    the top-level Content-Type alone (inline PGP, in the text, is not seen here)."""
    ctype = content_type.strip().lower()
    smime = ctype.startswith(("application/pkcs7-mime", "application/x-pkcs7-mime"))
    if ctype.startswith("multipart/encrypted") or (smime and "signed-data" not in ctype):
        return int(Sealing.ENCRYPTED)
    if ctype.startswith("multipart/signed") or smime:
        return int(Sealing.SIGNED)
    return int(Sealing.PLAIN)


def guess_has_attachment(content_type: str, ms_has_attach: str = "") -> bool:
    """Heuristic from the top-level headers only (no BODYSTRUCTURE)."""
    if ms_has_attach.strip().lower() == "yes":
        return True
    ctype = content_type.strip().lower()
    if ctype.startswith("multipart/mixed"):
        return True
    maintype = ctype.split("/", 1)[0]
    return maintype in ("application", "image", "audio", "video")


def parse_headers(raw: bytes) -> HeaderSummary:
    """Fast summary from a header block (or a whole message); never raises."""
    f = split_headers(raw)

    def first(name: str) -> str:
        values = f.get(name)
        return values[0] if values else ""

    return HeaderSummary(
        subject=decode_header_text(first("subject")),
        from_=parse_addresses(f.get("from", [])[:1]),
        to=parse_addresses(f.get("to", [])),
        cc=parse_addresses(f.get("cc", [])),
        date=parse_date(first("date")),
        message_id=normalize_id(first("message-id"), require_at=False),
        in_reply_to=normalize_id(first("in-reply-to")),
        references=normalize_ids(" ".join(f.get("references", []))),
        has_attachment=guess_has_attachment(first("content-type"), first("x-ms-has-attach")),
        list_post=list_post_address(first("list-post")),
        sealed=sealing_of(first("content-type")),
        autocrypt=tuple(f.get("autocrypt", [])),
        automatic=automatic(first("auto-submitted"), first("content-type")),
    )


def list_post_address(value: str | None) -> str:
    """The mailto: address of a List-Post header ("" for NO or none)."""
    if not value:
        return ""
    m = _LIST_POST.search(clean_value(value))
    return m.group(1) if m else ""
