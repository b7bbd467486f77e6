"""HTML to plain text through html2text, with numbered link references and nothing fetched."""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (search and show need none)
if TYPE_CHECKING:
    import html2text

_REF_LINE = re.compile(r"^ {0,3}\[(\d+)\]: (.*)$", re.MULTILINE)
_IMAGE_REF = re.compile(r"!\[([^\]\n]*)\]\[(\d+)\]")
_LINK_REF = re.compile(r"\[([^\]\n]*)\]\[(\d+)\]")
_LINK_TITLE = re.compile(r" \([^()]*\)\s*$")
_SAFE_SCHEMES = ("http://", "https://", "mailto:", "ftp://")


def _converter() -> html2text.HTML2Text:
    import html2text  # here: a text message, and `tui-mail show` of one, need none of it

    h = html2text.HTML2Text()
    h.body_width = 0
    h.inline_links = False
    h.wrap_links = False
    # Images come out as references we turn into "[image: alt]"; their URLs are dropped.
    h.ignore_images = False
    h.images_to_alt = False
    h.protect_links = False
    h.unicode_snob = True
    return h


def html_to_text(html: str) -> tuple[str, tuple[str, ...]]:
    """(text with "[n]" link markers, the link URLs numbered from 1).

    Only http(s), ftp and mailto links are kept; javascript: and other schemes lose their
    marker. Images become "[image: alt]", or nothing when they have no alt text (tracking
    pixels). Hidden elements (preheaders) are left out, layout tables become plain blocks.
    The text is NOT sanitized here.
    """
    from tui_mail.mail.html_hidden import strip_hidden
    from tui_mail.mail.html_layout import unwrap_layout_tables

    try:
        text = _converter().handle(unwrap_layout_tables(strip_hidden(html)))
    except Exception:  # html2text chokes on some malformed input; show the tags stripped
        text = re.sub(r"<[^>]*>", "", html)
        return text, ()
    # "[3]: URL (title)": the title html2text puts after the URL is not part of it.
    refs: dict[str, str] = {m.group(1): _LINK_TITLE.sub("", m.group(2)).strip()
                            for m in _REF_LINE.finditer(text)}
    text = _REF_LINE.sub("", text).rstrip() + "\n"

    def image(m: re.Match[str]) -> str:
        alt = " ".join(m.group(1).split())
        return f"[image: {alt}]" if alt else ""

    text = _IMAGE_REF.sub(image, text)
    links: list[str] = []
    numbers: dict[str, int] = {}

    def link(m: re.Match[str]) -> str:
        label, ref = m.group(1), m.group(2)
        url = refs.get(ref, "")
        if not url.lower().startswith(_SAFE_SCHEMES):
            return label
        if url not in numbers:
            links.append(url)
            numbers[url] = len(links)
        return f"{label}[{numbers[url]}]"

    text = _LINK_REF.sub(link, text)
    return text, tuple(links)
