"""Compression of what the cache stores in bulk: whole messages, header blocks, search text.

A stored value is either the bytes as they were (every cache written before compression, and
values that do not shrink) or `MAGIC` followed by one zstd frame with its checksum. `MAGIC`
starts with a NUL byte, which RFC 5322 forbids anywhere in a message, so no message is
mistaken for a compressed one; and a value that starts with NUL anyway is always compressed,
so what `unpack` reads is never ambiguous. Old caches keep working without a rewrite.

Why zstd (the `zstandard` package) and not the stdlib's zlib, measured on the generated mail
and on the real messages of the shared corpus (benchmarks/README.md, "Cache size"): the same
ratio within 1-3%, compression 4-7x cheaper (35 against 141 microseconds a generated message,
117 against 820 a corpus message: an import of a million messages would spend minutes of CPU
in zlib) and decompression 2-3x cheaper. A dictionary trained on the cache's own mail gained
3% on the real messages (much more on the generated ones, whose vocabulary is tiny): not
worth a dictionary table that every reader must load and that can never change.

Every read of `bodies.raw` / `bodies.headers` goes through `unpack`, every write through
`pack`; `search_text.body` through `pack_text` and, inside SQL (the FTS triggers must hand
FTS5 the text it indexed), the function `tm_text` that `register` adds to a connection.
"""

from __future__ import annotations

import sqlite3
import threading

from tui_mail.errors import CacheError
from tui_mail.lazy_logging import get_logger

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (`search` needs none)

if TYPE_CHECKING:
    import zstandard

MAGIC = b"\x00z"  # then a zstd frame (content size and checksum included)
LEVEL = 3  # higher levels cost 3-25x the CPU for 1-2% less
TEXT_MIN = 64  # shorter search text is kept as it is: a frame's overhead would eat the gain
SQL_TEXT = "tm_text"  # the SQL function that gives back the text of a packed search text

log = get_logger(__name__)  # logging is imported at the first record
_local = threading.local()  # zstd contexts are not thread-safe: one pair per thread


def _compressor() -> zstandard.ZstdCompressor:
    c = getattr(_local, "compressor", None)
    if c is None:
        import zstandard

        c = _local.compressor = zstandard.ZstdCompressor(level=LEVEL, write_checksum=True)
    return c


def _decompressor() -> zstandard.ZstdDecompressor:
    d = getattr(_local, "decompressor", None)
    if d is None:
        import zstandard  # imported on the first read of a packed value: `--version` skips it

        d = _local.decompressor = zstandard.ZstdDecompressor()
    return d


def pack(data: bytes) -> bytes:
    """What to store for `data`: compressed when that is smaller (or when `data` starts with
    NUL, so it cannot be read as compressed), else `data` itself."""
    packed = MAGIC + _compressor().compress(data)
    if len(packed) < len(data) or data.startswith(MAGIC[:1]):
        return packed
    return data


def unpack(stored: bytes, what: str = "a stored message") -> bytes:
    """The bytes `pack` was given; a CacheError (naming `what`) when a compressed value is
    damaged, since handing on garbage would show or re-send a corrupt message."""
    if not stored.startswith(MAGIC):
        return bytes(stored)
    import zstandard

    try:
        return bytes(_decompressor().decompress(stored[len(MAGIC):]))
    except zstandard.ZstdError as exc:
        raise CacheError(
            f"{what} in the cache is damaged ({exc}); remove the message from the cache"
            " (it is fetched again from the server) or move the cache aside and run"
            " `tui-mail sync` to build a new one"
        ) from exc


def pack_text(text: str) -> str | bytes:
    """A search text as `search_text.body` keeps it: compressed bytes, or the text itself
    when short (FTS5 gets it back through `tm_text`)."""
    if len(text) < TEXT_MIN:
        return text
    packed = pack(text.encode("utf-8"))
    return packed if packed.startswith(MAGIC) else text


def text_of(value: str | bytes | None) -> str | None:
    """`tm_text(x)`: the text of a `search_text.body` value, packed or (rows written before
    compression) plain.

    Only the search index's triggers call it, to hand FTS5 the words of a row being replaced
    or removed. A damaged value gives no words (and a warning in the log) rather than an
    error: an error would fail the whole statement, so one damaged row would stop every
    expunge of its batch, on every sync; without its words the index keeps stale entries for
    a message that is gone, which searches never show (hits are joined to the messages)."""
    if value is None or isinstance(value, str):
        return value
    try:
        return unpack(value, "the search text of a message").decode("utf-8")
    except (CacheError, UnicodeDecodeError) as exc:
        log.warning("a damaged search text in the cache was dropped: %s", exc)
        return ""


def register(conn: sqlite3.Connection) -> None:
    """Give `conn` the SQL function the search index triggers call."""
    conn.create_function(SQL_TEXT, 1, text_of, deterministic=True)
