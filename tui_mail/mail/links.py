"""Web and mailto links written out in plain text: found in order, deduplicated, numbered.

The text comes from untrusted mail. Nothing here interprets it: a URL is a run of characters
that may appear in a URL, its surrounding punctuation is trimmed, and the caller shows it as
literal text. Only http(s), ftp and mailto links are found (the schemes `html.py` keeps).
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterable, Iterator

# Characters a URL written in prose may hold: no spaces, no <>"` (they delimit URLs in mail:
# "<https://...>"), no brackets or braces (they are percent-encoded inside real URLs and wrap
# them in prose and markup), no | \ ^. A bracketed IPv6 host right after "//" is allowed.
_URL = re.compile(
    r"(?<![\w@.+-])"
    r"(?:(?:https?|ftp)://(?:\[[0-9a-f:.]+\])?|mailto:)"
    r"[^\s<>\"`\[\]{}|\\^]*",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\"*_~"
_PAIRS = {")": "(", "}": "{", "]": "["}
_TOKEN_END = re.compile(r"\S*")
MAX_URL = 8192  # longer runs are not links anyone follows; they are left as text


def _trim(url: str) -> str:
    """Drop the punctuation prose puts after a URL: "see https://x.org/a." ends at "a"."""
    while url:
        last = url[-1]
        if last in _TRAILING:
            url = url[:-1]
        elif last in _PAIRS and url.count(_PAIRS[last]) < url.count(last):
            url = url[:-1]  # "(see https://x.org/a)": the ")" closes the prose, not the URL
        else:
            break
    return url


def _valid(url: str) -> bool:
    if len(url) > MAX_URL:
        return False
    scheme, sep, rest = url.partition(":")
    if not sep or not rest:  # "mailto:" alone, trimmed to "mailto"
        return False
    if scheme.lower() == "mailto":
        return True
    host = rest[2:]  # after "//"
    return bool(host) and (host[0].isalnum() or host[0] == "[")


def _matches(text: str) -> Iterator[tuple[str, int]]:
    """(url, index just after it) for each link in `text`, in order."""
    for m in _URL.finditer(text):
        url = _trim(m.group(0))
        if _valid(url):
            yield url, m.start() + len(url)


def find_links(text: str) -> tuple[str, ...]:
    """The links written in `text`, in order of first appearance, each once."""
    return tuple(dict.fromkeys(url for url, _ in _matches(text)))


def number_links(text: str, known: Iterable[str] = (), *,
                 mark: bool = True) -> tuple[str, tuple[str, ...]]:
    """(text, links): `known` links first (already numbered 1..n), then those found in `text`.

    With `mark`, each link in the text gets its number as " [n]" after the word that holds it
    (so a marker never splits a URL or the markup-looking text around it, and the lines stay
    the same lines); a link seen before keeps its first number.
    """
    links = list(dict.fromkeys(known))
    if "://" not in text and "o:" not in text and "O:" not in text:
        return text, tuple(links)  # every link written out holds "://" or "mailto:"
    numbers = {url: i for i, url in enumerate(links, 1)}
    marks: dict[int, list[int]] = {}
    for url, end in _matches(text):
        if url not in numbers:
            links.append(url)
            numbers[url] = len(links)
        if mark:
            match = _TOKEN_END.match(text, end)
            at = match.end() if match else end
            if numbers[url] not in marks.setdefault(at, []):
                marks[at].append(numbers[url])
    if not marks:
        return text, tuple(links)
    out: list[str] = []
    previous = 0
    for at in sorted(marks):
        out.append(text[previous:at])
        out.append(" " + "".join(f"[{n}]" for n in marks[at]))
        previous = at
    out.append(text[previous:])
    return "".join(out), tuple(links)


# ---- links whose text shows another place than they lead to --------------------------------

# A host written in a link's text: after a scheme, or starting "www.", or the whole text
# being a host name with an optional path ("paypal.com/login").
_SHOWN_URL = re.compile(r"(?:\b(?:https?|ftp)://|(?<![\w.@-])(?=www\.))([\w-]+(?:\.[\w-]+)+)",
                        re.IGNORECASE)
_SHOWN_HOST = re.compile(r"([\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,})\.?(?:[:/?#]\S*)?",
                         re.IGNORECASE)
_SHOWN_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _ascii_host(host: str) -> str:
    host = host.lower().strip(".")
    with contextlib.suppress(UnicodeError, ValueError):
        host = host.encode("idna").decode("ascii")
    return host.removeprefix("www.")


def _same_site(shown: str, target: str) -> bool:
    """`target` is the host shown, or a subdomain of it (or the other way round)."""
    a, b = _ascii_host(shown), _ascii_host(target)
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def shown_elsewhere(text: str, href: str) -> str:
    """The host (or address) a link's text shows when it is not where `href` leads, else ""."""
    from urllib.parse import unquote, urlsplit

    text = " ".join(text.split())
    href = href.strip()
    if href.lower().startswith("mailto:"):
        target = unquote(href[7:].split("?", 1)[0]).strip().lower()
        shown = _SHOWN_ADDRESS.findall(text)
        return next((a for a in shown if a.lower().strip(".") != target), "")
    try:
        target = urlsplit(href).hostname or ""
    except ValueError:
        return ""
    if not target:
        return ""
    hosts = _SHOWN_URL.findall(text)
    whole = _SHOWN_HOST.fullmatch(text)
    if whole:
        hosts.append(whole.group(1))
    return next((h.lower() for h in hosts if not _same_site(h, target)), "")


class _Anchors:
    """(href, text) of each <a href> in an HTML document, hidden parts left out."""

    def __init__(self, html: str) -> None:
        from html.parser import HTMLParser

        from tui_mail.mail.html_hidden import strip_hidden

        found: list[tuple[str, str]] = []
        current: list[str] = []
        href: list[str | None] = [None]

        class Parser(HTMLParser):
            def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                if tag == "a":
                    if href[0] is not None:
                        found.append((href[0], "".join(current)))
                    href[0] = dict(attrs).get("href")
                    current.clear()

            def handle_endtag(self, tag: str) -> None:
                if tag == "a" and href[0] is not None:
                    found.append((href[0], "".join(current)))
                    href[0] = None

            def handle_data(self, data: str) -> None:
                if href[0] is not None:
                    current.append(data)

        parser = Parser(convert_charrefs=True)
        try:
            parser.feed(strip_hidden(html))
            parser.close()
        except Exception:  # the parser is lenient; a broken document just has fewer links
            pass
        if href[0] is not None:
            found.append((href[0], "".join(current)))
        self.found = found


@functools.lru_cache(maxsize=4)
def deceptive_links(html: str) -> dict[str, str]:
    """{url: "text shows paypal.com"} for each link of an HTML body whose text shows another
    host (or mail address) than the one it leads to. The URLs are as html_to_text lists them."""
    from tui_mail.mail.sanitize import sanitize_line

    notes: dict[str, str] = {}
    for href, text in _Anchors(html).found:
        shown = shown_elsewhere(text, href)
        if shown and href.strip():
            notes.setdefault(sanitize_line(href.strip()), f"text shows {sanitize_line(shown)}")
    return notes
