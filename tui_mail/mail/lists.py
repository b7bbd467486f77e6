"""Mailing-list headers: List-Id (RFC 2919), List-Post, List-Unsubscribe, List-Archive,
List-Help, List-Subscribe and List-Owner (RFC 2369), and one-click unsubscribe (RFC 8058).

Every value comes from the message, so from a stranger: a URI is kept only when it is a plain
mailto:, http: or https: URI of printable ASCII (whitespace inside the angle brackets is
dropped, as RFC 2369 says), and nothing here opens it. What to do with one (send the mail,
POST, open the browser) is the caller's, after the user has confirmed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl, unquote, urlsplit

from tui_mail.mail.headers import clean_value, decode_header_text
from tui_mail.mail.sanitize import sanitize_line, sanitize_text

_BRACKETED = re.compile(r"<([^<>]*)>")
_SCHEMES = ("mailto:", "http://", "https://")
_ONE_CLICK = "list-unsubscribe=one-click"
MAX_URIS = 8  # per header: a list offers two or three; a hostile message may offer thousands


def list_uris(value: str | None) -> tuple[str, ...]:
    """The URIs of an RFC 2369 header value, in order: `<mailto:...>, <https://...>`.

    Comments and text outside the brackets are ignored; a header of "NO" (List-Post) or
    without brackets gives none."""
    if not value:
        return ()
    out: list[str] = []
    for found in _BRACKETED.findall(value):
        uri = "".join(found.split())
        if uri.lower().startswith(_SCHEMES) and uri.isascii() and uri.isprintable() \
                and uri not in out:
            out.append(uri)
        if len(out) == MAX_URIS:
            break
    return tuple(out)


@dataclass(frozen=True)
class Mailto:
    """A mailto: URI taken apart (RFC 6068): where to send, and the subject and body asked for."""

    to: str
    subject: str = ""
    body: str = ""


def parse_mailto(uri: str) -> Mailto | None:
    """The parts of a mailto: URI, or None when it names no address."""
    if not uri.lower().startswith("mailto:"):
        return None
    address, _, query = uri[len("mailto:"):].partition("?")
    fields = {key.lower(): value for key, value in parse_qsl(query, keep_blank_values=True)}
    to = unquote(address) or fields.get("to", "")
    to = to.split(",")[0].strip()
    if "@" not in to or not all("!" <= c <= "~" and c not in "<>\"" for c in to):
        return None  # %00, %0D%0A and the like decode to what must not reach a header
    return Mailto(to=to, subject=sanitize_line(fields.get("subject", ""))[:200],
                  body=sanitize_text(fields.get("body", ""))[:2000])


class UnsubscribeWay(StrEnum):
    ONE_CLICK = "one-click"  # an HTTPS POST with List-Unsubscribe=One-Click (RFC 8058)
    MAIL = "mail"  # send the mail the mailto: URI describes
    WEB = "web"  # open the page in a browser


@dataclass(frozen=True)
class Unsubscribe:
    way: UnsubscribeWay
    uri: str

    def describe(self) -> str:
        """How it will be done, in words, for the confirmation question: "by a one-click
        request to lists.example.org", "by sending a mail to dev-request@...", "by opening
        https://... in the browser"."""
        if self.way is UnsubscribeWay.ONE_CLICK:
            return f"by a one-click request to {_host(self.uri)}"
        if self.way is UnsubscribeWay.MAIL:
            mailto = parse_mailto(self.uri)
            return f"by sending a mail to {mailto.to if mailto else self.uri}"
        return f"by opening {self.uri} in the browser"


def _host(uri: str) -> str:
    return urlsplit(uri).hostname or uri


@dataclass(frozen=True)
class MailingList:
    """What a message's list headers say about the list it came through."""

    id: str  # "dev.lists.example.org", from List-Id; "" when only other List- headers are there
    name: str = ""  # the phrase before the id: "Developers" in "Developers <dev.lists...>"
    post: str = ""  # the address to post to; "" when List-Post is missing or "NO"
    posting_allowed: bool = True  # False for "List-Post: NO" (an announce-only list)
    unsubscribe: tuple[str, ...] = ()
    one_click: bool = False  # List-Unsubscribe-Post: List-Unsubscribe=One-Click
    archive: tuple[str, ...] = ()
    help: tuple[str, ...] = ()
    subscribe: tuple[str, ...] = ()
    owner: tuple[str, ...] = ()

    def label(self) -> str:
        """One line for the header block: the name and the id, else the posting address."""
        if self.name and self.id:
            return f"{self.name} <{self.id}>"
        return self.id or self.name or self.post

    def question(self, way: Unsubscribe) -> str:
        """The confirmation question, naming the list and exactly what will happen."""
        which = self.post or self.id or self.name or "this mailing list"
        return f"Unsubscribe from {which} {way.describe()}?"

    def unsubscribe_way(self, *, signed: bool = False) -> Unsubscribe | None:
        """The best way the list offers to leave it: one-click when it offers that (an https
        URI and the List-Unsubscribe-Post header) and the message is `signed` (a DKIM
        signature the user's server found valid: RFC 8058 asks for one covering those
        headers, so that a forged message cannot make the reader POST to any address),
        else by mail, else its web page."""
        https = [u for u in self.unsubscribe if u.lower().startswith("https://")]
        if self.one_click and signed and https:
            return Unsubscribe(UnsubscribeWay.ONE_CLICK, https[0])
        for uri in self.unsubscribe:
            if parse_mailto(uri) is not None:
                return Unsubscribe(UnsubscribeWay.MAIL, uri)
        web = https or [u for u in self.unsubscribe if u.lower().startswith("http://")]
        return Unsubscribe(UnsubscribeWay.WEB, web[0]) if web else None

    def links(self) -> list[tuple[str, str]]:
        """(what, URI) for the reader's links list: archive, help, subscribe, owner."""
        return [(what, uri) for what, uris in (("list archive", self.archive),
                                                ("list help", self.help),
                                                ("list subscribe", self.subscribe),
                                                ("list owner", self.owner))
                for uri in uris]


_ID = re.compile(r"<\s*([^<>\s]+)\s*>")


def mailing_list(get: Callable[[str], str | None] | Mapping[str, str]) -> MailingList | None:
    """The list a message came through, from its headers (`get(name)` gives the first value of
    a header, raw, or None), or None when it has no list headers."""
    first: Callable[[str], str | None] = get.get if isinstance(get, Mapping) else get
    raw_id = first("list-id")
    post_value = first("list-post")
    unsubscribe = list_uris(first("list-unsubscribe"))
    others = {name: list_uris(first(f"list-{name}"))
              for name in ("archive", "help", "subscribe", "owner")}
    if raw_id is None and post_value is None and not unsubscribe and not any(others.values()):
        return None
    list_id, name = "", ""
    if raw_id:
        text = decode_header_text(raw_id)
        found = _ID.search(text)
        if found:
            list_id = found.group(1)
            name = text[: found.start()].strip().strip('"').strip()
        else:
            list_id = clean_value(raw_id).strip()
    posts = [m for m in (parse_mailto(u) for u in list_uris(post_value)) if m is not None]
    allowed = not (post_value is not None and clean_value(post_value).strip().upper() == "NO")
    one_click = _ONE_CLICK in "".join((first("list-unsubscribe-post") or "").split()).lower()
    return MailingList(
        id=list_id, name=name, post=posts[0].to if posts else "", posting_allowed=allowed,
        unsubscribe=unsubscribe, one_click=one_click, archive=others["archive"],
        help=others["help"], subscribe=others["subscribe"], owner=others["owner"],
    )


def list_of_message(raw: bytes) -> MailingList | None:
    """The list a message (its raw bytes) came through, read from its header block only."""
    from tui_mail.mail.authresults import header_block

    headers: dict[str, str] = {}
    for name, value in header_block(raw):
        headers.setdefault(name, value)
    return mailing_list(headers)


_DKIM_TAG = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*=(.*)$", re.DOTALL)
_SIGNED_FOR_ONE_CLICK = frozenset({"list-unsubscribe", "list-unsubscribe-post"})


def _dkim_tags(value: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for part in value.split(";"):
        found = _DKIM_TAG.match(part)
        if found:
            tags.setdefault(found.group(1).lower(), "".join(found.group(2).split()))
    return tags


def one_click_signed(raw: bytes, authserv_id: str | None = None) -> bool:
    """Whether the message meets RFC 8058's condition for one-click: a DKIM signature that
    the user's own server found valid (its Authentication-Results, believed as the header
    block's "Verified" line is: see mail.authresults) and whose signed headers (h=) include
    List-Unsubscribe and List-Unsubscribe-Post. The signature is matched by its domain, and
    by its selector and the start of its value when the result names them."""
    from tui_mail.mail.authresults import header_block, trusted_results

    headers = header_block(raw)
    results = trusted_results(headers, authserv_id)
    if results is None:
        return False
    passed = [r.properties for r in results.results if r.method == "dkim" and r.result == "pass"]
    if not passed:
        return False
    for name, value in headers:
        if name != "dkim-signature":
            continue
        tags = _dkim_tags(value)
        signed = {h.strip().lower() for h in tags.get("h", "").split(":")}
        if not _SIGNED_FOR_ONE_CLICK.issubset(signed):
            continue
        domain = tags.get("d", "").lower().rstrip(".")
        for props in passed:
            said = (props.get("header.d") or props.get("header.i", "").rpartition("@")[2])
            if not domain or said.lower().rstrip(".") != domain:
                continue
            if props.get("header.s") and props["header.s"].lower() != tags.get("s", "").lower():
                continue
            if props.get("header.b") and not tags.get("b", "").startswith(props["header.b"]):
                continue
            return True
    return False
