"""A whole message as plain text: the header block, the body, attachments and links.

`tui-mail show` prints this, and it is the same text the reader's panes are built from
(render_headers, render_message and the attachment list), so the two never disagree.
"""

from __future__ import annotations

from tui_mail.mail.render import render_headers, render_message
from tui_mail.mail.sanitize import sanitize_line
from tui_mail.mail.trust import attachment_label
from tui_mail.model import Message

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (show needs none)
if TYPE_CHECKING:
    from collections.abc import Sequence

    from tui_mail.model import SecurityLayer


def human_size(size: int) -> str:
    """1.2 MB, 34 KB, 512 B: sizes as a mail client shows them."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" or value >= 10 else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def message_as_text(msg: Message, *, prefer_html: bool = False, width: int | None = None,
                    raw: bytes | None = None, authserv_id: str | None = None,
                    whole: bool = False, rest_hint: str = "",
                    security: Sequence[SecurityLayer] = ()) -> str:
    """`raw` (the message's bytes) adds the authentication line (see render_headers).
    `whole`: all of a body render_message would cut for length; otherwise a cut body ends
    with a note saying so and `rest_hint` (how to have the rest)."""
    lines = [f"{label}: {value}" for label, value
             in render_headers(msg, raw=raw, authserv_id=authserv_id, whole=whole,
                               security=security)]
    body = render_message(msg, prefer_html=prefer_html, width=width, whole=whole)
    lines.append("")
    lines.append(body.text)
    if body.cut:
        lines.append("")
        lines.append(f"[{body.cut}{' ' + rest_hint if rest_hint else ''}]")
    if msg.attachments:
        lines.append("")
        lines.append("Attachments:")
        for n, att in enumerate(msg.attachments, 1):
            name = sanitize_line(att.filename)
            lines.append(f"  {n}. {name} ({sanitize_line(att.content_type)}, {human_size(att.size)})")
            warning = attachment_label(att)
            if warning:
                lines[-1] += f"  {warning}"
    if body.links:
        lines.append("")
        lines.append("Links:")
        notes = body.link_notes
        lines.extend(f"  [{n}] {url}" + (f"  ⚠ {notes[url]}" if url in notes else "")
                     for n, url in enumerate(body.links, 1))
    if msg.defects:
        lines.append("")
        lines.append("Notes on this message:")
        lines.extend(f"  - {sanitize_line(d)}" for d in msg.defects)
    return "\n".join(lines) + "\n"
