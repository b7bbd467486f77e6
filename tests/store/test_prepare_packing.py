"""What an import worker sends back (`Prepared.packed`) rebuilds the same Prepared in the
writer, every field included (a field that did not travel would be cached empty)."""

from __future__ import annotations

import dataclasses

from tests.store.builders import make_raw
from tui_mail.store.prepare import Prepared, prepare
from tui_mail.store.types import NewMessage


def test_a_packed_prepared_message_comes_back_whole() -> None:
    head, body = make_raw(3, body="see the attached list").split(b"\r\n\r\n", 1)
    raw = (head + b"\r\nCc: Carol <carol@example.org>, dave@example.org"
           b"\r\nList-Post: <mailto:dev@lists.example.org>\r\n\r\n" + body)
    item = NewMessage(uid=None, raw=raw, size=len(raw))
    original = prepare(item)
    back = Prepared.unpack(item, original.packed())
    assert back.headers == original.headers
    assert back.headers.list_post == "dev@lists.example.org"
    assert len(back.headers.cc) == 2
    assert dataclasses.astuple(back.search) == dataclasses.astuple(original.search)
    for name in ("seconds", "size", "local_key", "preview", "has_attachment", "to_text",
                 "cc_text", "sender_sort", "subject_sort", "stored_raw", "stored_body"):
        assert getattr(back, name) == getattr(original, name), name
