"""Drop the parts of an HTML message that a mail client would not show.

Newsletters put a "preheader" (the teaser an inbox list shows) and tracking text in elements
styled `display:none`; a browser hides them, and a text rendering that shows them puts a line of
filler above the message. Phishing mail hides words the same ways to fool filters and
readers ("Pay<span style="font-size:0">xyz</span>Pal"). Left out:

- with their content, elements hidden by style (`display:none`, `visibility:hidden`,
  `opacity:0`, `max-height:0` or `height:0` with `overflow:hidden`) or by the `hidden`
  attribute; `<head>`, `<style>`, `<script>` and `<template>` too;
- text drawn invisibly: at `font-size:0` (or `font:0/0`), in `color:transparent`, or in the
  colour of the background it is on (white on white: the background set on the same element
  or the nearest enclosing one by `background`, `background-color` or `bgcolor`). Only the text
  goes; a descendant that sets a visible size or colour again is shown, as a browser shows it
  (email layouts put `font-size:0` on containers whose cells set their own size).

Malformed HTML never costs visible text: an element that hides more than it should (it is
never closed by its own end tag) is kept.
"""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser

# Not `mso-hide:all`: that hides only in Outlook, on the copy of a button other clients show.
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_ZERO = re.compile(r"^[+-]?0*(?:\.0*)?(?:px|pt|em|rem|ex|ch|%|vh|vw|mm|cm|in|pc|q)?$")
_NAMED_COLOURS = {"white": "#ffffff", "black": "#000000", "red": "#ff0000", "lime": "#00ff00",
                  "blue": "#0000ff", "yellow": "#ffff00", "silver": "#c0c0c0",
                  "gray": "#808080", "grey": "#808080", "snow": "#fffafa",
                  "ghostwhite": "#f8f8ff", "whitesmoke": "#f5f5f5", "ivory": "#fffff0"}
_HEX = re.compile(r"^#([0-9a-f]{3}|[0-9a-f]{6})$")
_RGB = re.compile(r"^rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*([\d.]+%?)\s*)?\)$")
TRANSPARENT = "transparent"


def _declarations(style: str) -> dict[str, str]:
    """A style attribute's declarations, {property: value} lowercased, the last one winning
    (`!important` dropped: inline, it changes nothing here)."""
    out: dict[str, str] = {}
    for part in style.split(";"):
        name, colon, value = part.partition(":")
        if colon:
            value = value.lower().replace("!important", "").strip()
            out[name.strip().lower()] = value
    return out


def _colour(value: str | None) -> str | None:
    """A colour as "#rrggbb" (or "transparent"); None for what is not understood."""
    if not value:
        return None
    value = value.strip().lower()
    if value in _NAMED_COLOURS:
        return _NAMED_COLOURS[value]
    if value == TRANSPARENT:
        return TRANSPARENT
    m = _HEX.match(value)
    if m:
        digits = m.group(1)
        return "#" + (digits if len(digits) == 6 else "".join(c * 2 for c in digits))
    m = _RGB.match(value)
    if m:
        alpha = m.group(4)
        if alpha is not None and _ZERO.match(alpha.rstrip("%")):
            return TRANSPARENT
        return "#" + "".join(f"{min(int(c), 255):02x}" for c in m.groups()[:3])
    return None


def _background(decls: dict[str, str], attrs: dict[str, str | None]) -> str | None:
    """The background colour an element sets, None when it sets none we understand. A
    `background` shorthand with an image in it could be any colour: then it counts as unknown
    (None is "not set here", so an image shorthand is recorded as "?")."""
    if "background-color" in decls:
        return _colour(decls["background-color"]) or "?"
    if "background" in decls:
        value = decls["background"]
        if "url(" in value or "gradient" in value:
            return "?"
        words = value.split()
        colours = [c for c in (_colour(w) for w in words) if c]
        return colours[-1] if colours else "?"
    if "background-image" in decls:
        return "?"
    if attrs.get("background"):
        return "?"
    if attrs.get("bgcolor"):
        return _colour(attrs["bgcolor"]) or "?"
    return None


def _hidden_by_box(decls: dict[str, str]) -> bool:
    """Styles that hide an element with everything in it."""
    if "opacity" in decls and _ZERO.match(decls["opacity"]):
        return True
    if decls.get("overflow", decls.get("overflow-y", "")).startswith("hidden"):
        for name in ("max-height", "height"):
            if name in decls and _ZERO.match(decls[name]):
                return True
    return False


def _font_size(decls: dict[str, str], tag: str, attrs: dict[str, str | None]) -> bool | None:
    """True: this element sets a zero font size; False: a visible one; None: none."""
    size = decls.get("font-size")
    if size is None and "font" in decls:
        first = decls["font"].replace("/", " / ").split()
        sizes = [w for w in first if w[0:1].isdigit() or w.startswith(".")]
        size = sizes[0] if sizes else None
    if size is None and tag == "font" and attrs.get("size") is not None:
        return False
    if size is None:
        return None
    return bool(_ZERO.match(size))


class _Look:
    """What an open element sets for the text inside it."""

    __slots__ = ("tag", "zero_size", "colour", "background", "closed")

    def __init__(self, tag: str, zero_size: bool | None, colour: str | None,
                 background: str | None) -> None:
        self.tag = tag
        self.zero_size = zero_size
        self.colour = colour
        self.background = background
        self.closed = False  # by its own end tag: only then is its hidden text dropped


_LOOK_ATTRS = frozenset({"style", "color", "bgcolor", "background", "size"})


def _look(tag: str, attrs: list[tuple[str, str | None]]) -> _Look:
    if not any(name in _LOOK_ATTRS for name, _ in attrs):
        return _Look(tag, None, None, None)  # most elements: nothing to work out
    table = {name: value for name, value in attrs}
    decls = _declarations(table.get("style") or "")
    colour = _colour(decls.get("color"))
    if colour is None and "color" in decls:
        colour = "?"
    if colour is None and tag == "font" and table.get("color"):
        colour = _colour(table["color"]) or "?"
    return _Look(tag, _font_size(decls, tag, table), colour, _background(decls, table))
_INVISIBLE_TAGS = {"head", "style", "script", "template", "title"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
         "source", "track", "wbr"}


def _is_hidden(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    if tag in _INVISIBLE_TAGS:
        return True
    for name, value in attrs:
        if name == "hidden" or (name == "style" and value and (
                _HIDDEN_STYLE.search(value) or _hidden_by_box(_declarations(value)))):
            return True
    return False


class _Stripper(HTMLParser):
    """Copies the HTML through, leaving out hidden elements and invisible text. A hidden
    element is tracked by its tag name (so unclosed tags inside it do not confuse the count);
    what it holds is kept aside until it closes, and put back if it never does. Invisible
    text is written with the elements that make it invisible, and dropped at the end only if
    they all were closed by their own end tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str | tuple[str, tuple[_Look, ...]]] = []
        self.hidden_tag: str | None = None
        self.hidden_depth = 0
        self.aside: list[str | tuple[str, tuple[_Look, ...]]] = []
        self.open: list[_Look] = []
        # For each open element, the nearest elements (itself or around it) that set a size,
        # a colour and a background: the text inside is judged in constant time, not by
        # walking the open elements (10,000 unclosed ones made that quadratic).
        self.inherited: list[tuple[_Look | None, _Look | None, _Look | None]] = []
        self.open_at: dict[str, list[int]] = {}  # tag: where it stands in `open`, innermost last

    def _put(self, text: str) -> None:
        (self.out if self.hidden_tag is None else self.aside).append(text)

    def _put_text(self, text: str) -> None:
        """Text, with the elements that make it invisible (if it is)."""
        hiders = self._invisible_by()
        item: str | tuple[str, tuple[_Look, ...]] = (text, hiders) if hiders else text
        (self.out if self.hidden_tag is None else self.aside).append(item)

    def _invisible_by(self) -> tuple[_Look, ...]:
        if not self.inherited:
            return ()
        size, colour, background = self.inherited[-1]
        if size is not None and size.zero_size:
            return (size,)
        if colour is not None and colour.colour == TRANSPARENT:
            return (colour,)
        if colour is not None and background is not None and colour.colour != "?" and \
                colour.colour == background.background:
            return (colour, background)
        return ()

    def _open_element(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        look = _look(tag, attrs)
        size, colour, background = self.inherited[-1] if self.inherited else (None, None, None)
        self.inherited.append((
            look if look.zero_size is not None else size,
            look if look.colour is not None else colour,
            look if look.background is not None else background,
        ))
        self.open_at.setdefault(tag, []).append(len(self.open))
        self.open.append(look)

    def _close_element(self, tag: str) -> None:
        at = self.open_at.get(tag)
        if not at:
            return
        i = at[-1]
        self.open[i].closed = True
        for look in self.open[i:]:  # what is left open inside counts as never closed
            self.open_at[look.tag].pop()
        del self.open[i:]
        del self.inherited[i:]

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
        self._open_element(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.hidden_tag is not None or not _is_hidden(tag, attrs):
            self._put(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        self._put(f"</{tag}>")
        self._close_element(tag)
        if self.hidden_tag is not None and tag == self.hidden_tag:
            self.hidden_depth -= 1
            if self.hidden_depth == 0:
                self.hidden_tag, self.aside = None, []

    def handle_data(self, data: str) -> None:
        if self.open and self.open[-1].tag in ("style", "script"):
            self._put(data)
        else:
            self._put_text(data)

    def handle_entityref(self, name: str) -> None:
        self._put_text(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._put_text(f"&#{name};")

    def handle_decl(self, decl: str) -> None:
        self._put(f"<!{decl}>")

    def result(self) -> str:
        if self.hidden_tag is not None:  # never closed: keep what it would have hidden
            self.out.extend(self.aside)
        return "".join(
            item if isinstance(item, str) else
            ("" if all(look.closed for look in item[1]) else item[0])
            for item in self.out)


@functools.lru_cache(maxsize=2)
def strip_hidden(html: str) -> str:
    """`html` without its hidden elements (see the module's docstring). Cached: the text and
    the link check of one message read the same HTML."""
    parser = _Stripper()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # the parser is lenient, but never lose the message over it
        return html
    return parser.result()
