"""Turn a parsed Message into display text: sanitized, tabs expanded, quotes marked."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

from tui_mail.mail.formats import HEADER_DATE
from tui_mail.mail.html import html_to_text
from tui_mail.mail.links import number_links
from tui_mail.mail.sanitize import sanitize_line, sanitize_text
from tui_mail.model import Address, Message

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (show needs none)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Literal

    from tui_mail.model import SecurityLayer

_QUOTE = re.compile(r"^(?:> ?)+")
_MAX_RAW_CHARS = 5_000_000
# What a body is rendered up to unless asked for all of it (issue 17: 1 MB of HTML took 5 s
# of CPU, a 20 MB line 4 s). HTML costs far more per character than text: three parsers read
# it (hidden elements, layout tables, html2text), about 4 s a megabyte of dense markup.
HTML_LIMIT = 200_000  # characters of HTML
# ... and the parsers' cost goes by the tag: a newsletter has 1,000 to 1,500 tags, markup as
# dense as a tag every 7 characters reaches this one near 70 KB (about 0.3 s to render).
HTML_TAG_LIMIT = 10_000
TEXT_LIMIT = 1_000_000  # characters of text
# Two or more blank (or blank-looking: spaces of any kind, the braille blank) lines in a row:
# shown as one. Newsletters space their blocks with <p>&nbsp;</p>.
# What \s matches but the line end, and the braille blank: one class, twice as fast as (\s|…).
_BLANKISH = "\t\x0b\x0c\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\u2800"
_BLANK_RUN = re.compile(f"\n(?:[{_BLANKISH}]*\n){{2,}}")


def quote_depth(line: str) -> int:
    """How many levels of "> " quoting a line has (0 for none)."""
    m = _QUOTE.match(line)
    return m.group(0).count(">") if m else 0


@dataclass(frozen=True)
class RenderedBody:
    """A message body ready for a widget that shows plain text (no markup)."""

    text: str
    links: tuple[str, ...]
    source: Literal["text", "html"]
    quote_depths: tuple[int, ...]  # one per line of `text`
    cut: str = ""  # when only the start of a long body is rendered, a note that says so
    # {url: "text shows paypal.com"}: the links of the HTML rendered whose text shows another
    # host than they lead to (see link_notes)
    link_notes: dict[str, str] = field(default_factory=dict)

    @property
    def quoted_lines(self) -> tuple[int, ...]:
        """Indices of the lines that are quotes."""
        return tuple(i for i, d in enumerate(self.quote_depths) if d)


def _wrap(text: str, width: int) -> str:
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        prefix = _QUOTE.match(line)
        indent = prefix.group(0) if prefix else ""
        out.extend(
            textwrap.wrap(
                line,
                width,
                subsequent_indent=indent if len(indent) < width // 2 else "",
                break_on_hyphens=False,
                drop_whitespace=True,
            )
            or [""]
        )
    return "\n".join(out)


def collapse_blank_lines(text: str) -> str:
    """Runs of blank lines (or of lines holding only white space) made one blank line."""
    return _BLANK_RUN.sub("\n\n", text)


def _cut(text: str, limit: int, back: str) -> str:
    """`text` up to `limit` characters, ending before the last `back` near the limit."""
    end = text.rfind(back, max(0, limit - 4096), limit)
    return text[: end if end > 0 else limit]


def bounded_html(html: str, whole: bool = False) -> str:
    """The part of an HTML body that is rendered (and whose links are checked): all of it
    when `whole`, else up to HTML_LIMIT characters or HTML_TAG_LIMIT tags, cut before a tag."""
    if whole:
        return html
    end = min(len(html), HTML_LIMIT)
    if html.count("<", 0, end) > HTML_TAG_LIMIT:
        end = -1
        for _ in range(HTML_TAG_LIMIT + 1):
            end = html.find("<", end + 1)
        return html[:end]
    return html if end == len(html) else _cut(html, end, "<")


def _size(chars: int) -> str:
    return f"{chars / 1e6:.1f} MB" if chars >= 1e6 else f"{chars / 1e3:.0f} KB"


def render_message(
    msg: Message, *, prefer_html: bool = False, width: int | None = None,
    mark_links: bool = False, whole: bool = False,
) -> RenderedBody:
    """The body to show: text/plain unless HTML is preferred or is all there is.

    `links` are the HTML part's links (numbered "[n]" in its text by html_to_text), then the
    http(s), ftp and mailto URLs written out in the text, in order, each once. `mark_links`
    also puts " [n]" after each URL written out in the text (for a viewer; the search index
    and quoting want the text as written).

    `width`, when given, hard-wraps longer lines (quote markers repeated); otherwise lines are
    left for the widget to wrap.

    Runs of blank lines are shown as one. Unless `whole`, a body longer than HTML_LIMIT (HTML)
    or TEXT_LIMIT (text) characters is rendered up to there and `cut` says so.
    """
    html_links: tuple[str, ...] = ()
    notes: dict[str, str] = {}
    cut = ""
    use_html = msg.html_body is not None and (prefer_html or msg.text_body is None)
    if use_html:
        full = msg.html_body or ""
        html = bounded_html(full, whole)
        if len(html) < len(full):
            cut = f"Only the first {_size(len(html))} of this {_size(len(full))} HTML part are shown."
        body, html_links = html_to_text(html)
        html_links = tuple(sanitize_line(u) for u in html_links)
        notes = link_notes(msg, whole)
        source: Literal["text", "html"] = "html"
    else:
        body = collapse_blank_lines(msg.text_body or "")
        if not whole and len(body) > TEXT_LIMIT:
            length = len(body)
            body = _cut(body, TEXT_LIMIT, "\n")
            cut = f"Only the first {_size(len(body))} of this {_size(length)} text are shown."
        source = "text"
    text = collapse_blank_lines(sanitize_text(body)).rstrip("\n")
    text, links = number_links(text, html_links, mark=mark_links)
    if width is not None and width > 8:
        text = _wrap(text, width)
    depths = tuple(quote_depth(line) for line in text.split("\n"))
    return RenderedBody(text=text, links=links, source=source, quote_depths=depths, cut=cut,
                        link_notes=notes)


def _addresses(addrs: tuple[Address, ...]) -> str:
    """One line, cut like every header value (a To of 20,000 addresses is no list to read)."""
    from tui_mail.mail.headers import cut_line

    return cut_line(sanitize_line(", ".join(str(a) for a in addrs)))


WARNING = "⚠ Warning"  # the label of a header-block line that warns of spoofing
LINK_WARNING = "⚠ Link"
MAX_LINK_WARNINGS = 3


def link_notes(msg: Message, whole: bool = False) -> dict[str, str]:
    """{url: "text shows paypal.com"} for the links of the HTML part (the part rendered: see
    bounded_html) whose text shows another host than they lead to."""
    if not msg.html_body or "<a" not in msg.html_body.lower():
        return {}
    from tui_mail.mail.links import deceptive_links

    return deceptive_links(bounded_html(msg.html_body, whole))


def spoofing_rows(msg: Message, whole: bool = False) -> list[tuple[str, str]]:
    """Warnings for the header block: a display name that holds another address than the
    sender's, links whose text shows another host than they lead to (in the HTML part)."""
    from tui_mail.mail.trust import display_name_warning

    rows = [(WARNING, sanitize_line(w)) for w in map(display_name_warning, msg.from_) if w]
    notes = link_notes(msg, whole)
    if notes:
        for url, note in list(notes.items())[:MAX_LINK_WARNINGS]:
            rows.append((LINK_WARNING, f"{note}, goes to {_host_of(url)}"))
        if len(notes) > MAX_LINK_WARNINGS:
            rows.append((LINK_WARNING, f"{len(notes) - MAX_LINK_WARNINGS} more like these"))
    return rows


def _host_of(url: str) -> str:
    from urllib.parse import urlsplit

    if url.lower().startswith("mailto:"):
        return sanitize_line(url[7:].split("?", 1)[0])
    try:
        return sanitize_line(urlsplit(url).hostname or url)
    except ValueError:
        return sanitize_line(url)


def render_headers(msg: Message, *, raw: bytes | None = None,
                   authserv_id: str | None = None, whole: bool = False,
                   security: Sequence[SecurityLayer] = ()) -> list[tuple[str, str]]:
    """(label, value) pairs for the viewer's header block; empty To/Cc are left out.

    After From come the spoofing warnings (spoofing_rows) and, given the `raw` message, the
    line that says whether the sender's domain passed authentication according to the user's
    own server (`authserv_id`, else discovered: see mail.authresults); then a line for each
    signature and encryption the message was opened through (`security`, see mail.security).
    """
    rows = [("From", _addresses(msg.from_))]
    rows.extend(spoofing_rows(msg, whole))
    if raw is not None:
        from tui_mail.mail.authresults import authentication_rows
        from tui_mail.mail.autocrypt import is_setup_message

        rows.extend(authentication_rows(raw, msg.from_, authserv_id))
        if is_setup_message(raw):
            rows.append(("Autocrypt", "a Setup Message: your key, sent from another device or"
                         " mail program. To take it over, import its attachment (i in the"
                         " attachment list) and type the Setup Code that device showed"))
    if security:
        from tui_mail.mail.security import security_rows

        rows.extend(security_rows(security))
    if msg.to:
        rows.append(("To", _addresses(msg.to)))
    if msg.cc:
        rows.append(("Cc", _addresses(msg.cc)))
    date = msg.date.strftime(HEADER_DATE) if msg.date else ""
    rows.append(("Date", date))
    rows.append(("Subject", sanitize_line(msg.subject)))
    if msg.list_id:
        rows.append(("List", sanitize_line(msg.list_id)))
    return rows


def render_raw(raw: bytes) -> str:
    """The raw source, decoded as UTF-8 with replacement and sanitized (tabs expanded)."""
    text = raw[:_MAX_RAW_CHARS].decode("utf-8", "replace")
    return sanitize_text(text)
