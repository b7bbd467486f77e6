"""The MIME tree of a well-formed message, built without `email.feedparser`'s line machinery.

The feed parser reads a message a line at a time through a stack of end-of-part matchers,
with a regex or two per line: about a quarter of a millisecond for a 3 KB message, the
largest single cost of importing one. Most mail has a simple shape: a header block, an empty
line, then a body or parts between boundary lines. `mime_tree` builds, for such a message,
the very tree the feed parser builds (the same `email.message.Message` objects, headers as
`header_source_parse` stores them, payload strings cut at the same places), finding lines
with `str.find` instead. Whatever is unusual it declines (returns None) and the caller uses
the feed parser: a malformed or suspicious header block, envelope ("From ") lines, line
breaks other than LF and CRLF, a missing or odd boundary, a part that does not close,
repeated boundary lines, message/* parts and digests, and trees near the parser's bounds.
So it never has to reproduce a defect, only the trees of messages that have none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import message as _message
from email.message import Message
from email.policy import Policy
from email.utils import unquote

_HEADER = re.compile(r"[\x21-\x39\x3b-\x7e]+:")  # feedparser.headerRE, less the empty name
_SAFE_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,./:=?-]+(?: +[0-9A-Za-z'()+_,./:=?-]+)*")


class _Declined(Exception):
    """The message has a shape left to the feed parser."""


class _Builder:
    def __init__(self, text: str, policy: Policy, max_parts: int, max_depth: int) -> None:
        self.text = text
        self.policy = policy
        self.parts_left = max_parts - 1
        self.max_depth = max_depth

    def headers(self, msg: Message, pos: int, end: int) -> int:
        """Read the header block at `pos` into msg (each header as compat32's
        `header_source_parse` makes it); the position after the empty line that ends it."""
        text = self.text
        if text.startswith("\n", pos, end) or text.startswith("\r\n", pos, end):
            return text.find("\n", pos) + 1  # no headers
        stop = text.find("\n\n", pos, end)
        crlf = text.find("\n\r\n", pos, stop + 2 if stop >= 0 else end)
        if crlf >= 0:
            stop, after = crlf, crlf + 3
        elif stop >= 0:
            after = stop + 2
        else:
            raise _Declined  # no empty line before the end of the part
        headers = msg._headers  # type: ignore[attr-defined]
        name = ""
        value: list[str] = []
        for line in text[pos : stop + 1].split("\n")[:-1]:
            first = line[:1]
            if first == " " or first == "\t":
                if not name:
                    raise _Declined
                value.append(line + "\n")
                continue
            colon = line.find(":")
            if colon <= 0 or line.startswith("From ") or not _HEADER.match(line, 0, colon + 1):
                raise _Declined
            if name:
                headers.append((name, "".join(value).rstrip("\r\n")))
            name = line[:colon]
            value = [line[colon + 1 :].lstrip(" \t") + "\n"]
        headers.append((name, "".join(value).rstrip("\r\n")))
        return after

    def part(self, pos: int, end: int, depth: int, outer: tuple[str, ...],
             inner: bool) -> Message:
        """The part at text[pos:end] (a part of a multipart when `inner`)."""
        if self.parts_left <= 0 or depth >= self.max_depth:
            raise _Declined
        self.parts_left -= 1
        msg = Message(policy=self.policy)
        body = self.headers(msg, pos, end)
        ctype = msg.get_content_type()
        maintype = ctype.split("/", 1)[0]
        if maintype == "message" or ctype == "multipart/digest":
            raise _Declined
        if maintype == "multipart":
            self.multipart(msg, body, end, depth, outer)
            return msg
        payload = self.text[body:end]
        if inner:  # the line break before a boundary line belongs to the boundary
            if payload.endswith("\r\n"):
                payload = payload[:-2]
            elif payload.endswith("\n"):
                payload = payload[:-1]
        msg.set_payload(payload)
        return msg

    def multipart(self, msg: Message, pos: int, end: int, depth: int,
                  outer: tuple[str, ...]) -> None:
        """Read the parts of the multipart `msg` whose body is text[pos:end]. As in the feed
        parser, a line that ends an enclosing part is looked for first."""
        boundary = _boundary(msg)
        cte = str(msg.get("content-transfer-encoding", "8bit")).lower()
        if boundary is None or cte not in ("7bit", "8bit", "binary"):
            raise _Declined
        text = self.text
        separator = "--" + boundary
        enclosing = (*outer, separator)
        start = -1  # where the current part begins, once the first boundary was seen
        parts: list[Message | str] = []
        for line_start, line_end in self._dash_lines(pos, end):
            line = text[line_start:line_end]
            if any(_boundary_line(line, other) for other in outer):
                raise _Declined  # an enclosing part ends before this one closed
            kind = _boundary_line(line, separator)
            if not kind:
                continue
            if start >= 0:
                parts.append(self.part(start, line_start, depth + 1, enclosing, True))
            if kind == 2:
                if start < 0:
                    raise _Declined
                msg.set_payload(parts)
                return
            start = line_end
            if text.startswith("--", start, end):
                newline = text.find("\n", start, end)
                following = text[start : end if newline < 0 else newline + 1]
                if any(_boundary_line(following, other) for other in enclosing):
                    raise _Declined  # boundary lines repeated
        raise _Declined  # no closing boundary

    def _dash_lines(self, pos: int, end: int) -> Iterator[tuple[int, int]]:
        """(start, end) of each line in text[pos:end] that starts with "--"."""
        text = self.text
        if text.startswith("--", pos, end):
            at = pos
        else:
            found = text.find("\n--", pos, end)
            at = found + 1 if found >= 0 else -1
        while at >= 0:
            newline = text.find("\n", at, end)
            yield at, end if newline < 0 else newline + 1
            if newline < 0:
                return
            found = text.find("\n--", newline, end)
            at = found + 1 if found >= 0 else -1


def _boundary_line(line: str, separator: str) -> int:
    """What the feed parser's boundary regex says of `line`: 0 not a boundary line, 1 a
    separator, 2 the closing one (`--` after the separator)."""
    if not line.startswith(separator):
        return 0
    rest = line[len(separator) :]
    close = rest.startswith("--")
    rest = rest[2:] if close else rest
    if rest.lstrip(" \t") in ("", "\n", "\r\n", "\r"):
        return 2 if close else 1
    return 0


def _boundary(msg: Message) -> str | None:
    """`msg.get_boundary()` for a plain boundary parameter, else None (left to the parser)."""
    value = msg.get("content-type")
    if value is None or "*" in value or "\\" in value:
        return None
    found = None
    for param in _message._parseparam(value)[1:]:  # type: ignore[attr-defined]
        name, sep, val = param.partition("=")
        if sep and name.strip().lower() == "boundary":
            found = unquote(val.strip())
            break
    if found is None or not _SAFE_BOUNDARY.fullmatch(found):
        return None
    return found.rstrip()


def _odd_breaks(text: str) -> bool:
    """Whether `text` has line breaks that str.splitlines (which the feed parser splits
    lines with) knows besides LF and CRLF: a lone CR, VT, FF, and FS, GS, RS."""
    return ("\x0b" in text or "\x0c" in text or "\x1c" in text or "\x1d" in text
            or "\x1e" in text or text.count("\r") != text.count("\r\n"))


def mime_tree(text: str, policy: Policy, max_parts: int, max_depth: int) -> Message | None:
    """The feed parser's tree of `text` (a message decoded as ASCII with surrogateescape),
    or None when its shape is left to the feed parser (see the module's docstring).

    `max_parts` and `max_depth` are the caller's bounds: a message near them is declined."""
    if not text or _odd_breaks(text):
        return None
    try:
        return _Builder(text, policy, max_parts, max_depth).part(0, len(text), 0, (), False)
    except _Declined:
        return None
