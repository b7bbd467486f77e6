"""Parsing a message into the values the cache stores (the write side of `Store`).

Kept apart from `db.py` so that opening the cache to read it (the interface's first paint)
does not load the MIME parser and the search-text extraction.
"""

from __future__ import annotations

import hashlib
import time

import tui_mail.store.extract as extract
from tui_mail.store.types import NewMessage


def local_key(item: NewMessage) -> str:
    """The dedupe key of a message without a UID: a hash of its bytes."""
    return hashlib.sha256(item.raw if item.raw is not None else item.raw_headers or b"").hexdigest()


def prepare(item: NewMessage) -> Prepared:
    """Parse a NewMessage into the values to insert (CPU-bound; picklable for a process pool)."""
    return Prepared.of(item)


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
    )

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
        return self
