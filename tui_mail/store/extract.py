"""Turn raw message bytes into the columns the cache stores (list row and search text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tui_mail.mail.headers import HeaderSummary, parse_headers
from tui_mail.model import Address

PREVIEW_CHARS = 200


@dataclass(frozen=True)
class SearchText:
    """The columns of one FTS row."""

    subject: str
    sender: str
    to_addr: str
    cc_addr: str
    body: str
    attachments: str


def addresses_text(addrs: tuple[Address, ...]) -> str:
    return ", ".join(str(a) for a in addrs)


_SPECIALS = set('()<>[]:;@\\,."')


def addresses_header(addrs: tuple[Address, ...]) -> str:
    """An address list `email.utils.getaddresses` reads back: names with a comma or another
    special quoted ("Doe, John" <j@x>). Unicode stays as it is (no RFC 2047)."""
    def one(a: Address) -> str:
        if not a.name:
            return a.email
        name = a.name
        if any(c in _SPECIALS for c in name):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{name} <{a.email}>"

    return ", ".join(one(a) for a in addrs)


def header_search_text(h: HeaderSummary) -> SearchText:
    """Search text of a message whose body is not cached yet."""
    return SearchText(
        subject=h.subject,
        sender=addresses_text(h.from_),
        to_addr=addresses_text(h.to),
        cc_addr=addresses_text(h.cc),
        body="",
        attachments="",
    )


@dataclass(frozen=True)
class BodyText:
    text: str
    attachment_names: str
    has_attachment: bool

    @property
    def preview(self) -> str:
        return " ".join(self.text[: PREVIEW_CHARS * 3].split())[:PREVIEW_CHARS]


def body_text(raw: bytes) -> BodyText:
    """The rendered plain text of a whole message (what search indexes) and its attachments."""
    # Imported here: the UI's read-only start-up never renders, and html2text is costly to load.
    from tui_mail.mail.parse import parse_message
    from tui_mail.mail.render import render_message

    msg = parse_message(raw, headers=False)  # prepare reads them with parse_headers
    rendered = render_message(msg)
    shown = [a for a in msg.attachments if not a.inline]
    return BodyText(
        text=rendered.text,
        attachment_names=" ".join(a.filename for a in msg.attachments),
        has_attachment=bool(shown),
    )


def headers_of(raw: bytes) -> HeaderSummary:
    return parse_headers(raw)


def sender_sort_key(h: HeaderSummary) -> str:
    if not h.from_:
        return ""
    return h.from_[0].display().casefold()


_REPLY_PREFIXES = ("re:", "fw:", "fwd:", "aw:", "sv:", "vs:", "tr:", "wg:")


def subject_sort_key(subject: str) -> str:
    """The subject without reply/forward prefixes, case-folded (for sorting and threading)."""
    text = subject.strip().casefold()
    changed = True
    while changed:
        changed = False
        for prefix in _REPLY_PREFIXES:
            if text.startswith(prefix):
                text = text[len(prefix) :].lstrip()
                changed = True
    return text


def date_seconds(date: datetime | None, fallback: datetime | None, now: float) -> int:
    """Unix seconds of the Date header, else of INTERNALDATE, else now; never negative."""
    for d in (date, fallback):
        if d is not None:
            try:
                return max(0, int(d.timestamp()))
            except (OverflowError, OSError, ValueError):
                continue
    return int(now)
