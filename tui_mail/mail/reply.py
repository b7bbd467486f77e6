"""Reply, reply-all and forward: a parsed Message becomes a Draft. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from tui_mail.model import Account, Address, AttachedFile, Draft, Message

_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|antw)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_FORWARD_PREFIX = re.compile(r"^\s*(?:fwd?|fw|wg|tr)\s*:\s*", re.IGNORECASE)


def reply_subject(subject: str) -> str:
    """`Re: ` once: `Re: RE: Aw: x` becomes `Re: x`."""
    rest = _REPLY_PREFIX.sub("", subject).strip()
    return f"Re: {rest}" if rest else "Re:"


def forward_subject(subject: str) -> str:
    """`Fwd: ` once, keeping any earlier prefixes after it (`Fwd: Re: x`)."""
    stripped = subject.strip()
    if _FORWARD_PREFIX.match(stripped):
        return "Fwd: " + _FORWARD_PREFIX.sub("", stripped, count=1)
    return f"Fwd: {stripped}" if stripped else "Fwd:"


def _bracketed(message_id: str) -> str:
    value = message_id.strip()
    if not value:
        return ""
    return value if value.startswith("<") and value.endswith(">") else f"<{value.strip('<>')}>"


def thread_headers(original: Message) -> tuple[str, tuple[str, ...]]:
    """In-Reply-To and References for an answer: original References + original Message-ID."""
    mid = _bracketed(original.message_id)
    refs = [_bracketed(r) for r in original.references if r.strip()]
    if not refs and original.in_reply_to.strip():
        refs = [_bracketed(original.in_reply_to)]  # RFC 5322 3.6.4 fallback
    if mid:
        refs.append(mid)
    return mid, tuple(dict.fromkeys(r for r in refs if r))


def attribution(original: Message) -> str:
    """`On Tue, 3 Jun 2025 at 10:04, Bob Example wrote:`."""
    who = original.from_[0].display() if original.from_ else "someone"
    if original.date is None:
        return f"{who} wrote:"
    return f"On {_format_date(original.date)}, {who} wrote:"


def _format_date(date: datetime) -> str:
    return date.strftime("%a, %d %b %Y at %H:%M").replace(" 0", " ", 1)


def quote(text: str) -> str:
    """Prefix every line with `> ` (`>` alone before an empty or already quoted line)."""
    lines = text.replace("\r\n", "\n").rstrip("\n").split("\n")
    return "\n".join(">" + (line if line.startswith(">") or not line else " " + line) for line in lines)


def _strip_signature(text: str) -> str:
    """The quoted text leaves out the author's signature (after the "-- " line)."""
    marker = text.rfind("\n-- \n")
    if text.startswith("-- \n"):
        return ""
    return text[:marker] if marker >= 0 else text


def _key(address: Address) -> str:
    return address.email.strip().lower()


def own_addresses(account: Account) -> frozenset[str]:
    return frozenset(_key(identity.address) for identity in account.all_identities)


def choose_identity(original: Message, account: Account) -> Address:
    """The identity the original was sent to, else the account's main address."""
    addressed = {_key(a) for a in (*original.to, *original.cc, *original.bcc)}
    for identity in account.all_identities:
        if _key(identity.address) in addressed:
            return identity.address
    return account.address


def _unique(addresses: Iterable[Address], exclude: Iterable[str] = ()) -> tuple[Address, ...]:
    seen = set(exclude)
    out: list[Address] = []
    for address in addresses:
        key = _key(address)
        if key and key not in seen:
            seen.add(key)
            out.append(address)
    return tuple(out)


def readable_text(original: Message) -> str:
    """The original's text as a reply quotes it and an inline forward carries it.

    The text/plain part when it says anything (the reader's default too). Otherwise the HTML
    part rendered as the reader renders it (`render_message`: hidden parts dropped, links
    numbered "[n]"), with the numbered links listed under it as "[n] URL" so the markers still
    lead somewhere once the text is out of the reader. Lines lose their trailing spaces (the
    renderer's line-break marks) and runs of blank lines shrink to one, so the quote reads
    like a letter, not like the layout of a newsletter.
    """
    if original.text_body is not None and original.text_body.strip():
        return original.text_body.replace("\r\n", "\n")
    if not original.html_body:
        return ""
    from tui_mail.mail.render import collapse_blank_lines, render_message  # html2text: on need

    rendered = render_message(original, prefer_html=True)
    lines = [line.rstrip() for line in rendered.text.split("\n")]
    text = collapse_blank_lines("\n".join(lines)).strip("\n")
    shown = [f"[{n}] {url}" for n, url in enumerate(rendered.links, 1) if f"[{n}]" in text]
    if text and shown:
        text += "\n\n" + "\n".join(shown)
    if text and rendered.cut:  # what the reader shows, and never a silent cut
        text += f"\n\n[{rendered.cut.replace('are shown', 'are quoted')}]"
    return text


def _quoted_body(original: Message) -> str:
    text = _strip_signature(readable_text(original))
    return f"\n\n{attribution(original)}\n{quote(text)}\n" if text.strip() else f"\n\n{attribution(original)}\n"


def reply(original: Message, account: Account, *, reply_all: bool = False) -> Draft:
    """A reply to the author (to Reply-To when present), or to everyone with `reply_all`.

    Replying to a message we sent ourselves goes to its recipients, as mutt does. Reply-all
    leaves out every address of ours (all identities), compared case-insensitively, and
    names nobody twice.
    """
    mine = own_addresses(account)
    from_us = bool(original.from_) and all(_key(a) in mine for a in original.from_)
    if from_us and not original.reply_to:
        to = _unique(original.to)
    else:
        to = _unique(original.reply_to or original.from_)
    cc: tuple[Address, ...] = ()
    if reply_all:
        everyone = (*original.from_, *original.to, *original.cc) if original.reply_to else (
            *original.to, *original.cc
        )
        cc = _unique(everyone, exclude={*mine, *(_key(a) for a in to)})
        to = _unique(to, exclude=mine) or to
    in_reply_to, references = thread_headers(original)
    return Draft(
        identity=choose_identity(original, account),
        to=to,
        cc=cc,
        subject=reply_subject(original.subject),
        body=_quoted_body(original),
        in_reply_to=in_reply_to,
        references=references,
    )


def reply_to_list(original: Message, account: Account) -> Draft | None:
    """A reply to the mailing list the original came through (its List-Post address) and to
    nobody else, as mutt's list-reply; None when the message names no list to post to."""
    if not original.list_post:
        return None
    in_reply_to, references = thread_headers(original)
    return Draft(
        identity=choose_identity(original, account),
        to=(Address("", original.list_post),),
        subject=reply_subject(original.subject),
        body=_quoted_body(original),
        in_reply_to=in_reply_to,
        references=references,
    )


def _forward_header(original: Message) -> str:
    lines = ["---------- Forwarded message ----------"]
    if original.from_:
        lines.append("From: " + ", ".join(str(a) for a in original.from_))
    if original.date is not None:
        lines.append(f"Date: {_format_date(original.date)}")
    lines.append(f"Subject: {original.subject}")
    if original.to:
        lines.append("To: " + ", ".join(str(a) for a in original.to))
    if original.cc:
        lines.append("Cc: " + ", ".join(str(a) for a in original.cc))
    return "\n".join(lines)


def forward_inline(original: Message, account: Account, raw: bytes = b"") -> Draft:
    """The original's text below a "Forwarded message" header block, with the original's
    attachments (read from its bytes `raw`) carried over, as a desktop client does. Parts shown
    inside the original's body (inline images) and its signature parts are not: the first
    belong to the HTML layout, the second sign a message that is not sent. An HTML-only
    original is forwarded as its rendered text (see `readable_text`)."""
    text = readable_text(original).rstrip("\n")
    return Draft(
        identity=choose_identity(original, account),
        subject=forward_subject(original.subject),
        body=f"\n\n{_forward_header(original)}\n\n{text}\n",
        attached_files=carried_attachments(original, raw) if raw else (),
    )


_SIGNATURE_TYPES = frozenset({"application/pgp-signature", "application/pkcs7-signature",
                              "application/x-pkcs7-signature"})


def carried_attachments(original: Message, raw: bytes) -> tuple[AttachedFile, ...]:
    """The attachments of `original` (parsed from `raw`) that a forward carries over."""
    from tui_mail.mail.parse import all_attachment_bytes

    payloads = list(all_attachment_bytes(raw))
    return tuple(
        AttachedFile(a.filename, a.content_type, payloads[a.index])
        for a in original.attachments
        if not a.inline and a.content_type not in _SIGNATURE_TYPES and a.index < len(payloads)
    )


def forward_as_attachment(original: Message, raw: bytes, account: Account) -> Draft:
    """The whole original message (its bytes `raw`) attached as message/rfc822."""
    return Draft(
        identity=choose_identity(original, account),
        subject=forward_subject(original.subject),
        attached_messages=(raw,),
    )
