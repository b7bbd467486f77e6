"""The fast header paths give exactly what the general (stdlib-based) code gave.

`_reference_*` below is a copy of the slower implementation that `parse_headers` replaced;
every corpus message, hand-picked awkward values and seeded random ones are read both ways.
"""

from __future__ import annotations

import mailbox
import random
import re
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

import pytest

from tui_mail.mail.addresses import plain_addresses
from tui_mail.mail.headers import (
    HeaderSummary,
    clean_value,
    cut_line,
    decode_header_text,
    decode_raw,
    decode_words,
    guess_has_attachment,
    normalize_ids,
    parse_addresses,
    parse_date,
    parse_headers,
    sealing_of,
    split_headers,
    unfold,
)
from tui_mail.mail.sanitize import sanitize_line
from tui_mail.model import Address

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "corpus"
CORPUS = SHARED if SHARED.is_dir() else REPO / "tests" / "fixtures" / "corpus"

# ---- the previous implementation, kept as the reference ----

_REF_WANTED = {
    "subject", "from", "to", "cc", "date", "message-id", "in-reply-to", "references",
    "content-type", "x-ms-has-attach", "list-post", "autocrypt", "auto-submitted",
}  # fmt: skip
_REF_HEADER_END = re.compile(rb"\r?\n\r?\n")
_REF_MSG_ID = re.compile(r"<([^<>\s]+)>")


def _reference_decode_header_text(value: str | None, notes: list[str] | None = None) -> str:
    if not value:
        return ""
    # Issue 17: a display value is cut at MAX_HEADER_CHARS with "…" (a 1 MB Subject).
    return cut_line(sanitize_line(decode_words(unfold(str(value)), notes)))


def _reference_parse_addresses(
    values: list[str], notes: list[str] | None = None
) -> tuple[Address, ...]:
    result: list[Address] = []
    for raw in values:
        value = sanitize_line(decode_raw(unfold(str(raw))))
        try:
            pairs = getaddresses([value])
        except Exception:
            pairs = []
        if "@" not in value and "<" not in value and not value.rstrip().endswith(";"):
            pairs = [(value, "")] if value.strip() else []
        found = False
        for name, email in pairs:
            name = _reference_decode_header_text(name, notes)
            email = sanitize_line(email).strip("<>")
            if not email and not name:
                continue
            if not email and "@" in name and " " not in name:
                name, email = "", name
            if email.endswith(":;") or (not email and name.endswith(":")):
                continue
            result.append(Address(name, email))
            found = True
        if not found and value.strip() and not value.strip().endswith(";"):
            result.append(Address(_reference_decode_header_text(value, notes), ""))
    return tuple(result)


def _reference_parse_date(value: str | None, notes: list[str] | None = None) -> datetime | None:
    if not value or not value.strip():
        return None
    text = sanitize_line(decode_raw(unfold(value)))
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


def _reference_normalize_ids(value: str | None, *, require_at: bool = True) -> tuple[str, ...]:
    if not value:
        return ()
    text = sanitize_line(decode_raw(unfold(value)))
    ids = _REF_MSG_ID.findall(text)
    if not ids:
        bare = "".join(text.split())
        ids = [bare] if bare and ("@" in bare or not require_at) else []
    if require_at:
        ids = [i for i in ids if "@" in i]
    return tuple(dict.fromkeys(f"<{i}>" for i in ids))


def _reference_split_headers(raw: bytes) -> dict[str, list[str]]:
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    end = _REF_HEADER_END.search(raw)
    block = raw[: end.start()] if end else raw
    fields: dict[str, list[str]] = {}
    name = ""
    for line in block.decode("ascii", "surrogateescape").splitlines():
        if line[:1] in (" ", "\t"):
            if name in _REF_WANTED and fields.get(name):
                fields[name][-1] += line
            continue
        key, sep, value = line.partition(":")
        if not sep:
            name = ""
            continue
        name = key.strip().lower()
        if name in _REF_WANTED:
            fields.setdefault(name, []).append(value.strip())
    return fields


def _reference_parse_headers(raw: bytes) -> HeaderSummary:
    f = _reference_split_headers(raw)

    def first(name: str) -> str:
        values = f.get(name)
        return values[0] if values else ""

    ids = _reference_normalize_ids(first("message-id"), require_at=False)
    parents = _reference_normalize_ids(first("in-reply-to"))
    post = sanitize_line(decode_raw(unfold(first("list-post"))))
    m = re.search(r"<mailto:([^>?]+)", post, re.IGNORECASE)
    return HeaderSummary(
        subject=_reference_decode_header_text(first("subject")),
        from_=_reference_parse_addresses(f.get("from", [])[:1]),
        to=_reference_parse_addresses(f.get("to", [])),
        cc=_reference_parse_addresses(f.get("cc", [])),
        date=_reference_parse_date(first("date")),
        message_id=ids[0] if ids else "",
        in_reply_to=parents[0] if parents else "",
        references=_reference_normalize_ids(" ".join(f.get("references", []))),
        has_attachment=guess_has_attachment(first("content-type"), first("x-ms-has-attach")),
        list_post=m.group(1) if m else "",
        sealed=sealing_of(first("content-type")),
        autocrypt=tuple(f.get("autocrypt", [])),
        automatic=first("auto-submitted").split(";")[0].strip().lower() not in ("", "no")
        or first("content-type").strip().lower().startswith("multipart/report"),
    )


# ---- inputs ----


def _corpus() -> list[tuple[str, bytes]]:
    out = [(str(p.relative_to(CORPUS)), p.read_bytes()) for p in sorted(CORPUS.rglob("*.eml"))]
    for path in sorted(CORPUS.glob("mimekit-mbox/*")):
        for i, message in enumerate(mailbox.mbox(path)):
            out.append((f"{path.relative_to(CORPUS)}#{i}", message.as_bytes()))
    return out


MESSAGES = _corpus()

AWKWARD_ADDRESSES = [
    "",
    " ",
    ",",
    ", ,",
    "a@b",
    "a@b,",
    "a@b,,c@d",
    "a@b , c@d",
    "Name <a@b>",
    "Name<a@b>",
    "<a@b>",
    "<>",
    "< a@b >",
    'J. R. Smith <j.r@example.org>, "Doe, Jane" <jane@example.org>',
    '"" <a@b>',
    '"A""B" <a@b>',
    '"A"B <a@b>',
    'A"B" <a@b>',
    '" spaced  out " <a@b>',
    '"back\\"slash" <a@b>',
    '"unterminated <a@b>',
    "a@b (Comment)",
    "Name (Comment) <a@b>",
    "undisclosed-recipients:;",
    "Group: a@b, c@d;, e@f",
    "<@route.example:a@b>",
    "a@[127.0.0.1]",
    '"quoted local"@example.org',
    "a@b@c",
    "a..b@c",
    ".a@b",
    "a@b.",
    "a@malicious.org@important.com",
    "=?utf-8?q?Doe,_Jane?= <jane@example.org>",
    "=?utf-8?b?w4ltaWxl?= <e@example.org>",
    "=?iso-8859-1?q?J=FCrgen?= <j@example.org>, =?x-unknown?q?x?= <x@y>",
    "J\udcfcrgen <j@example.org>",
    "Jürgen Müller <j@example.org>",
    "Zoë\u00a0Smith <z@example.org>",
    "name\tTab <a@b>",
    "a@b,\n\tc@d",
    "a@b,\r\n c@d",
    "Evil \x1b]52;c;Zm9v\x07 <e@example.org>",
    "Bidi \u202eevil\u202c <e@example.org>",
    "plain words only",
    "Name <a@b> trailing, c@d",
    "Name <a@b>>",
    "<<a@b>>",
    "a@b c@d",
    "x@y; z@w",
    "mailto:a@b",
    "Name <mailto:a@b>",
    "Name (a, b) <a@b>, c@d",
    '"Test" <t@example.org>, Next One <n@example.org>, bare@example.org',
]

AWKWARD_DATES = [
    "Mon, 21 Nov 2016 13:45:12 +0100",
    "21 Nov 2016 13:45:12 +0100",
    "Mon,21 Nov 2016 13:45:12 +0100",
    "Mon, 21 Nov 2016 13:45:12 +0100 (CET)",
    "Mon, 21 Nov 2016 13:45:12 +0100(CET)",
    "Mon, 21 Nov 2016 13:45:12 -0000",
    "Mon, 21 Nov 2016 13:45:12 +0000",
    "Mon, 21 Nov 2016 13:45:12 -0830",
    "Mon, 21 Nov 2016 13:45:12 +9999",
    "Mon, 21 Nov 2016 13:45:12 +2400",
    "Mon, 21 Nov 2016 13:45:12 +0160",
    "Mon, 21 Nov 2016 13:45 +0100",
    "Mon, 21 Nov 2016 13:45:61 +0100",
    "Mon, 32 Nov 2016 13:45:12 +0100",
    "Mon, 31 Nov 2016 13:45:12 +0100",
    "Mon, 29 Feb 2015 13:45:12 +0100",
    "Mon, 21 Nov 0099 13:45:12 +0100",
    "Mon, 21 Nov 16 13:45:12 +0100",
    "Mon, 21 nov 2016 13:45:12 +0100",
    "Mon, 21 November 2016 13:45:12 +0100",
    "Mon, 21 Nov 2016 25:45:12 +0100",
    "Mon, 21 Nov 2016 13:45:12 EST",
    "Mon, 21 Nov 2016 13:45:12 GMT",
    "Mon, 21 Nov 2016 13:45:12",
    "Monday, 21 Nov 2016 13:45:12 +0100",
    "Mon,  21  Nov  2016\t13:45:12  +0100",
    "Mon, 1 Jan 2024 10:00:00 +0000",
    "1 Jan 2024 10:00:00 +00000",
    "Mon, 21 Nov 2016 13:45:12 +01",
    "2016-11-21T13:45:12Z",
    "garbage",
    "Mon, 21 Nov 2016 13:45:12 +0100\x1b[2J",
]

AWKWARD_BLOCKS = [
    b"Subject: plain\nTo: a@b\n\nbody",
    b"\xef\xbb\xbfSubject: bom\r\nTo: a@b\r\n\r\nbody",
    b"SUBJECT : shouty\nto:a@b\n\tfolded <c@d>\n",
    b"Subject:\n  only continuation\n",
    b" leading continuation\nSubject: x\n",
    b"X-Other: a\n\tTo: not a header\nSubject: y\n",
    b"Subject: one\rTo: cr-only@example.org\r\r\nbody",
    b"Subject: a\x0bTo: vt@example.org\n",
    b"Subject: a\x0cTo: ff@example.org\n",
    b"Subject: a\x1cTo: fs@example.org\n",
    b"To\x1f: us@example.org\n",
    b"Subject: nul\x00byte\n",
    b"Subject: caf\xc3\xa9 and \xe9\n",
    b"Subject: =?utf-8?q?caf=C3=A9?= =?utf-8?q?_ok?=\n",
    b"From foo@bar Mon Jan  1 00:00:00 2024\nFrom: real@example.org\n",
    b"Subject: first\nSubject: second\nReferences: <a@b>\nReferences: <c@d> <a@b>\n",
    b"Message-ID: no-brackets@example.org\nIn-Reply-To: <yes>\n",
    b"Content-Type: Multipart/Mixed; boundary=x\nX-MS-Has-Attach: yes\n",
    b"List-Post: <MAILTO:list@example.org?subject=x>\n",
    b"List-Post: NO\n",
    b"Subject: trailing spaces   \n   \n\tmore\t\n",
    b"Date: Mon, 21 Nov 2016 13:45:12 +0100\n",
    b"Subject: no end of headers",
    b"",
]


def _random_addresses(rng: random.Random) -> str:
    pieces = [
        "a@b", "x.y@example.org", "Name", "J.", '"Q, R"', '"', "<", ">", "@", ",", ", ", " ",
        "\t", "(c)", ":", ";", "\\", ".", "[1.2.3.4]", "=?utf-8?q?x,y?=", "é", "\u00a0", "\r\n ",
        "<a@b>", "<p.q@r.s>", '""', "mailto:", "\x1b[1m",
    ]  # fmt: skip
    return "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))


def _random_date(rng: random.Random) -> str:
    parts = [
        rng.choice(["Mon, ", "Tue,", "", "Fri , ", "sat, "]),
        rng.choice(["1", "01", "31", "0", "99", "7"]),
        rng.choice([" Jan ", " Feb ", " dec ", " Sep ", "-Oct-", " July "]),
        rng.choice(["2024", "1999", "24", "0001", "9999", "10000"]),
        rng.choice([" 00:00:00", " 23:59:59", " 24:00:00", " 12:30", " 1:2:3", " 12.30.00"]),
        rng.choice([" +0000", " -0000", " +2359", " -1200", " +0060", " EST", "", " +01", " x"]),
        rng.choice(["", " (UTC)", "  ", " extra words"]),
    ]
    return "".join(parts)


# ---- the comparisons ----


def _same_summary(new: HeaderSummary, old: HeaderSummary) -> bool:
    offsets = (new.date and new.date.utcoffset(), old.date and old.date.utcoffset())
    return new == old and offsets[0] == offsets[1]


def _assert_values_agree(values: list[str]) -> None:
    for value in values:
        new_notes: list[str] = []
        old_notes: list[str] = []
        assert parse_addresses([value], new_notes) == _reference_parse_addresses(
            [value], old_notes
        ), value
        assert decode_header_text(value, new_notes) == _reference_decode_header_text(
            value, old_notes
        ), value
        new_date, old_date = parse_date(value, new_notes), _reference_parse_date(value, old_notes)
        assert new_date == old_date, value
        assert (new_date and new_date.utcoffset()) == (old_date and old_date.utcoffset()), value
        assert normalize_ids(value) == _reference_normalize_ids(value), value
        assert new_notes == old_notes, value


def test_the_corpus_was_found() -> None:
    assert len(MESSAGES) >= 30


def test_every_corpus_message_gives_the_same_summary_as_before() -> None:
    differing = [
        name
        for name, raw in MESSAGES
        if not _same_summary(parse_headers(raw), _reference_parse_headers(raw))
    ]
    assert differing == []


def test_every_corpus_header_value_reads_the_same_as_before() -> None:
    for _, raw in MESSAGES:
        fields = _reference_split_headers(raw)
        assert split_headers(raw) == fields
        _assert_values_agree([v for values in fields.values() for v in values])


@pytest.mark.parametrize("block", AWKWARD_BLOCKS)
def test_awkward_header_blocks_give_the_same_summary_as_before(block: bytes) -> None:
    assert split_headers(block) == _reference_split_headers(block)
    assert _same_summary(parse_headers(block), _reference_parse_headers(block))


def test_awkward_address_lists_and_dates_read_the_same_as_before() -> None:
    _assert_values_agree(AWKWARD_ADDRESSES + AWKWARD_DATES)


def test_random_address_lists_and_dates_read_the_same_as_before() -> None:
    rng = random.Random(2047)
    _assert_values_agree([_random_addresses(rng) for _ in range(3000)])
    _assert_values_agree([_random_date(rng) for _ in range(3000)])


def test_random_header_blocks_split_the_same_as_before() -> None:
    rng = random.Random(5322)
    lines = [
        b"To: a@b", b"Cc: x@y", b"subject : s", b"From: f@g", b"\tcont", b" cont", b"X-A: b",
        b"no colon", b"Date: Mon, 1 Jan 2024 10:00:00 +0000", b"References: <r@s>", b"",
    ]  # fmt: skip
    breaks = [b"\n", b"\r\n", b"\r", b"\x0b", b"\x1e", b"\n\t"]
    for _ in range(2000):
        block = b"".join(rng.choice(lines) + rng.choice(breaks) for _ in range(rng.randint(1, 8)))
        assert split_headers(block) == _reference_split_headers(block), block


def test_plain_address_lists_answer_exactly_as_the_stdlib() -> None:
    answered = 0
    values = [
        v
        for _, raw in MESSAGES
        for k in ("to", "cc", "from")
        for v in split_headers(raw).get(k, [])
    ]
    for value in map(clean_value, values + AWKWARD_ADDRESSES):
        pairs = plain_addresses(value)
        if pairs is not None:
            answered += 1
            assert pairs == [p for p in getaddresses([value]) if p != ("", "")], value
    assert answered > len(values) // 2  # the fast path is really the common one


def test_a_kernel_style_cc_list_takes_the_fast_path() -> None:
    value = (
        'Linus Torvalds <torvalds@linux-foundation.org>, "Rafael J. Wysocki" <rafael@kernel.org>, '
        "linux-kernel@vger.kernel.org, Greg Kroah-Hartman <gregkh@linuxfoundation.org>"
    )
    assert plain_addresses(value) == [
        ("Linus Torvalds", "torvalds@linux-foundation.org"),
        ("Rafael J. Wysocki", "rafael@kernel.org"),
        ("", "linux-kernel@vger.kernel.org"),
        ("Greg Kroah-Hartman", "gregkh@linuxfoundation.org"),
    ]
    assert plain_addresses("Group: a@b;") is None
    assert plain_addresses("a@b (comment)") is None
