"""A worker process of `body_pool.TextPool` (started by `body_pool.worker_command`).

Reads batches of raw messages on stdin and writes their search text on stdout (or, for a
batch sent as ("prepare", items), the packed values of their whole cache rows), each a frame:
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
from typing import IO, Any

from tui_mail.store.extract import body_text

Extracted = tuple[str, str, bool]
# A whole fetched message to prepare: raw, INTERNALDATE in unix seconds, listed size.
FetchedItem = tuple[bytes, float | None, int]
# What a worker is sent: raw messages, or ("prepare", items).
Job = list[bytes] | tuple[str, list[FetchedItem]]
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


def prepare_batch(items: list[FetchedItem]) -> list[tuple[Any, ...] | None]:
    """Whole fetched messages (raw, INTERNALDATE in unix seconds, listed size) to the packed
    values of their cache rows (`prepare.prepare_fetched`); None for one that fails."""
    from tui_mail.store.prepare import prepare_fetched

    out: list[tuple[Any, ...] | None] = []
    for raw, when, size in items:
        try:
            out.append(prepare_fetched(raw, when, size))
        except Exception:  # noqa: BLE001 - see the module docstring
            out.append(None)
    return out


def run_batch(batch: Job) -> list[Extracted | None] | list[tuple[Any, ...] | None]:
    """A list of raw messages: their search text; ("prepare", items): `prepare_batch`."""
    if isinstance(batch, tuple):
        return prepare_batch(batch[1])
    return extract_batch(batch)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while (payload := read_frame(stdin)) is not None:
        write_frame(stdout, marshal.dumps(run_batch(marshal.loads(payload))))


if __name__ == "__main__":
    main()
