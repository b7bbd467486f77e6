"""Read the messages of an mbox file in one sequential pass, holding one message at a time.

`mailbox.mbox` first builds a table of every message's offsets (a dict that grows with the
file: hundreds of MB at a million messages) and then seeks back to each one. This reader
gives the same bytes as `mailbox.mbox(path).get_bytes(key)` for every key, in order:

- a message starts at a line beginning with "From " (at the start of the file or after LF);
  that envelope line is not part of the message; anything before the first one is ignored;
- a message ends before the next "From " line, less the empty line ("\\n" alone) just
  before it, if there is one; the last message likewise before the end of the file;
- the bytes are kept as written: like `mailbox`, ">From " lines are not unescaped (so a
  message imported by an earlier version has the same bytes, hence the same dedupe key).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

_FROM = b"\nFrom "
_BLOCK = 1 << 20  # bytes read at a time


def _message(buf: bytearray, end: int) -> bytes:
    """The message held in buf[:end] (its "From " line first): without that line, nor the
    empty line that ends it when its last line is LF alone."""
    newline = buf.find(b"\n", 0, end)
    if newline < 0:
        return b""
    if end >= 2 and buf[end - 1] == 10 and buf[end - 2] == 10:
        end -= 1
    with memoryview(buf) as view:
        return bytes(view[newline + 1 : max(end, newline + 1)])


def _fill(fh: BinaryIO, buf: bytearray, block: int) -> bool:
    """Append the next block to buf; False at the end of the file."""
    data = fh.read(block)
    buf += data
    return bool(data)


def mbox_messages(path: Path, block: int = _BLOCK) -> Iterator[bytes]:
    """Each message of the mbox file at `path`, as `mailbox.mbox.get_bytes` reads it."""
    with Path(path).open("rb") as fh:
        buf = bytearray()
        more = True
        while more and len(buf) < len(_FROM):
            more = _fill(fh, buf, block)
        if not buf.startswith(b"From "):  # skip what comes before the first "From " line
            while (at := buf.find(_FROM)) < 0:
                if not more:
                    return
                del buf[: -(len(_FROM) - 1)]
                more = _fill(fh, buf, block)
            del buf[: at + 1]
        searched = 0  # buf holds no message start before this position
        while True:
            at = buf.find(_FROM, max(0, searched - (len(_FROM) - 1)))
            if at >= 0:
                yield _message(buf, at + 1)
                del buf[: at + 1]
                searched = 0
                continue
            if not more:
                yield _message(buf, len(buf))
                return
            searched = len(buf)
            more = _fill(fh, buf, block)
