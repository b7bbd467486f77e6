"""Drop the parts of an HTML message that a mail client would not show.

Newsletters put a "preheader" (the teaser an inbox list shows) and tracking text in elements
styled `display:none`; a browser hides them, and a text rendering that shows them puts a line of
filler above the message. Elements hidden by style (`display:none`, `visibility:hidden`)
or by the `hidden` attribute are removed with their content; `<head>`,
`<style>`, `<script>` and `<template>` too. Malformed HTML never costs visible text: an element
that hides more than it should (it is never closed) is kept.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Not `mso-hide:all`: that hides only in Outlook, on the copy of a button other clients show.
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_INVISIBLE_TAGS = {"head", "style", "script", "template", "title"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
         "source", "track", "wbr"}


def _is_hidden(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    if tag in _INVISIBLE_TAGS:
        return True
    for name, value in attrs:
        if name == "hidden" or (name == "style" and value and _HIDDEN_STYLE.search(value)):
            return True
    return False


class _Stripper(HTMLParser):
    """Copies the HTML through, leaving out hidden elements. A hidden element is tracked by its
    tag name (so unclosed tags inside it do not confuse the count); what it holds is kept
    aside until it closes, and put back if it never does."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.hidden_tag: str | None = None
        self.hidden_depth = 0
        self.aside: list[str] = []

    def _put(self, text: str) -> None:
        (self.out if self.hidden_tag is None else self.aside).append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        text = self.get_starttag_text() or ""
        if self.hidden_tag is not None:
            if tag == self.hidden_tag:
                self.hidden_depth += 1
            self.aside.append(text)
        elif _is_hidden(tag, attrs):
            if tag not in _VOID:
                self.hidden_tag, self.hidden_depth, self.aside = tag, 1, [text]
        else:
            self.out.append(text)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.hidden_tag is not None or not _is_hidden(tag, attrs):
            self._put(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        self._put(f"</{tag}>")
        if self.hidden_tag is not None and tag == self.hidden_tag:
            self.hidden_depth -= 1
            if self.hidden_depth == 0:
                self.hidden_tag, self.aside = None, []

    def handle_data(self, data: str) -> None:
        self._put(data)

    def handle_entityref(self, name: str) -> None:
        self._put(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._put(f"&#{name};")

    def handle_decl(self, decl: str) -> None:
        self._put(f"<!{decl}>")

    def result(self) -> str:
        if self.hidden_tag is not None:  # never closed: keep what it would have hidden
            self.out.extend(self.aside)
        return "".join(self.out)


def strip_hidden(html: str) -> str:
    """`html` without its hidden elements (see the module's docstring)."""
    parser = _Stripper()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # the parser is lenient, but never lose the message over it
        return html
    return parser.result()
