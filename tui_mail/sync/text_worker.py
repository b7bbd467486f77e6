"""A worker process of `body_pool.TextPool` (started by `body_pool.worker_command`).

Reads batches of raw messages on stdin and writes their search text on stdout, each a frame:
8 bytes of length (big-endian), then a `marshal` of the value (a list of bytes in; a list of
`(text, attachment names, has attachment)` or None out). marshal: plain values only, quicker
than pickle, and nothing in a frame can run code. Ends at end of input.

A message whose extraction fails (a defect) comes back as None: it is kept without search
text instead of failing its batch and the download with it. Ctrl-C is left to the parent.
"""

from __future__ import annotations

import marshal
import signal
import sys
from typing import IO

from tui_mail.store.extract import body_text

Extracted = tuple[str, str, bool]
HEADER = 8


def read_frame(stream: IO[bytes]) -> bytes | None:
    """One frame's payload; None at end of input."""
    header = stream.read(HEADER)
    if len(header) < HEADER:
        return None
    size = int.from_bytes(header, "big")
    payload = stream.read(size)
    if len(payload) < size:
        return None
    return payload


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(len(payload).to_bytes(HEADER, "big"))
    stream.write(payload)
    stream.flush()


def extract_batch(raws: list[bytes]) -> list[Extracted | None]:
    out: list[Extracted | None] = []
    for raw in raws:
        try:
            body = body_text(raw)
        except Exception:  # noqa: BLE001 - see the module docstring
            out.append(None)
            continue
        out.append((body.text, body.attachment_names, body.has_attachment))
    return out


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while (payload := read_frame(stdin)) is not None:
        write_frame(stdout, marshal.dumps(extract_batch(marshal.loads(payload))))


if __name__ == "__main__":
    main()
