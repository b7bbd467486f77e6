"""Parsing a message into the values the cache stores (the write side of `Store`).

Kept apart from `db.py` so that opening the cache to read it (the interface's first paint)
does not load the MIME parser and the search-text extraction.

A bulk import parses in worker processes: they are sent the raw bytes (`prepare_raw`) and
send back `Prepared.packed()`, a tuple of plain values (no copy of the message, no
dataclasses to pickle), which the writer turns back into a Prepared with `Prepared.unpack`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import tui_mail.store.extract as extract
from tui_mail.mail.headers import HeaderSummary
from tui_mail.model import Address
from tui_mail.store.blobs import pack, pack_text
from tui_mail.store.types import NewMessage


def local_key(item: NewMessage) -> str:
    """The dedupe key of a message without a UID: a hash of its bytes."""
    return hashlib.sha256(item.raw if item.raw is not None else item.raw_headers or b"").hexdigest()


def prepare(item: NewMessage) -> Prepared:
    """Parse a NewMessage into the values to insert (CPU-bound; picklable for a process pool)."""
    return Prepared.of(item)


def prepare_raw(raw: bytes, internaldate: datetime | None) -> tuple[Any, ...]:
    """`prepare` of a whole local message (no UID), packed for the trip back from a worker,
    with what the cache stores compressed already (CPU taken off the one writing process)."""
    prepared = Prepared.of(NewMessage(uid=None, raw=raw, size=len(raw),
                                      internaldate=internaldate))
    prepared.stored_raw = pack(raw)
    prepared.stored_body = pack_text(prepared.search.body)
    return prepared.packed()


def prepare_fetched(raw: bytes, internaldate: float | None, size: int) -> tuple[Any, ...]:
    """`prepare` of a whole message fetched from a server (its UID is the writer's), packed
    with plain values only (a worker answers in `marshal`): the Date header goes back as
    None, the row's date is `seconds` already. `internaldate` in unix seconds; `size` the
    listed size (the row keeps the larger of it and the bytes, as a body written onto a
    headers-only row does)."""
    when = None if internaldate is None else datetime.fromtimestamp(internaldate, UTC)
    prepared = Prepared.of(NewMessage(uid=0, raw=raw, size=max(size, len(raw)),
                                      internaldate=when))
    prepared.stored_raw = pack(raw)
    prepared.stored_body = pack_text(prepared.search.body)
    prepared.headers = dataclasses.replace(prepared.headers, date=None)
    return prepared.packed()


def _pairs(addrs: tuple[Address, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((a.name, a.email) for a in addrs)


def _addresses(pairs: tuple[tuple[str, str], ...]) -> tuple[Address, ...]:
    return tuple(Address(name, email) for name, email in pairs)


# What `Prepared.packed` sends back from an import worker, field by field by name: a field
# added to either class travels too, and a changed order cannot shift values between fields.
_HEADER_FIELDS = tuple(f.name for f in dataclasses.fields(HeaderSummary))
_SEARCH_FIELDS = tuple(f.name for f in dataclasses.fields(extract.SearchText))
_ADDRESS_FIELDS = frozenset({"from_", "to", "cc"})


def _values(obj: object, names: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    return ((name, getattr(obj, name)) for name in names)


class Prepared:
    """A NewMessage parsed (outside any transaction) into the values to insert."""

    __slots__ = (
        "item",
        "headers",
        "seconds",
        "size",
        "local_key",
        "preview",
        "has_attachment",
        "search",
        "to_text",
        "cc_text",
        "sender_sort",
        "subject_sort",
        "stored_raw",
        "stored_body",
    )

    item: NewMessage
    headers: HeaderSummary
    seconds: int
    size: int
    local_key: str | None
    preview: str
    has_attachment: bool
    search: extract.SearchText
    to_text: str
    cc_text: str
    sender_sort: str
    subject_sort: str
    # What the cache stores for the raw message and the body text (`blobs.pack`), when the
    # worker that parsed the message compressed them already; None: the writer does it.
    stored_raw: bytes | None
    stored_body: str | bytes | None

    @classmethod
    def of(cls, item: NewMessage) -> Prepared:
        self = cls()
        self.item = item
        source = item.raw if item.raw is not None else (item.raw_headers or b"")
        self.headers = extract.headers_of(source)
        self.seconds = extract.date_seconds(self.headers.date, item.internaldate, time.time())
        self.size = item.size or len(source)
        self.local_key = None if item.uid is not None else local_key(item)
        search = extract.header_search_text(self.headers)
        self.preview = ""
        self.has_attachment = self.headers.has_attachment
        if item.raw is not None:
            body = extract.body_text(item.raw)
            self.preview = body.preview
            self.has_attachment = body.has_attachment
            search = extract.SearchText(
                search.subject,
                search.sender,
                search.to_addr,
                search.cc_addr,
                body.text,
                body.attachment_names,
            )
        self.search = search
        self.to_text = extract.addresses_header(self.headers.to)
        self.cc_text = extract.addresses_header(self.headers.cc)
        self.sender_sort = extract.sender_sort_key(self.headers)
        self.subject_sort = extract.subject_sort_key(self.headers.subject)
        self.stored_raw = self.stored_body = None
        return self

    def packed(self) -> tuple[Any, ...]:
        """Everything but the item, as nested tuples of strings, numbers and datetimes."""
        h = tuple(_pairs(v) if name in _ADDRESS_FIELDS else v
                  for name, v in _values(self.headers, _HEADER_FIELDS))
        return (
            h, self.seconds, self.size, self.local_key, self.preview, self.has_attachment,
            tuple(v for _, v in _values(self.search, _SEARCH_FIELDS)), self.to_text,
            self.cc_text, self.sender_sort,
            self.subject_sort, self.stored_raw, self.stored_body,
        )

    @classmethod
    def unpack(cls, item: NewMessage, packed: tuple[Any, ...]) -> Prepared:
        """The Prepared of `item` from what `packed` gave for it."""
        self = cls()
        self.item = item
        (h, self.seconds, self.size, self.local_key, self.preview, self.has_attachment, search,
         self.to_text, self.cc_text, self.sender_sort, self.subject_sort, self.stored_raw,
         self.stored_body) = packed
        headers = dict(zip(_HEADER_FIELDS, h, strict=True))
        for name in _ADDRESS_FIELDS:
            headers[name] = _addresses(headers[name])
        self.headers = HeaderSummary(**headers)
        self.search = extract.SearchText(**dict(zip(_SEARCH_FIELDS, search, strict=True)))
        return self
