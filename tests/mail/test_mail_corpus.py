"""Every real-world message parses and renders without an exception or a control character."""

from __future__ import annotations

import mailbox
import re
from pathlib import Path

import pytest

from tui_mail.mail import parse_headers, parse_message, render_headers, render_message, render_raw

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "corpus"
VENDORED = REPO / "tests" / "fixtures" / "corpus"
CORPUS = SHARED if SHARED.is_dir() else VENDORED

UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b-\u200d\u2060\ufeff]")


def _messages() -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for path in sorted(CORPUS.rglob("*.eml")):
        out.append((str(path.relative_to(CORPUS)), path.read_bytes()))
    for path in sorted(CORPUS.glob("mimekit-mbox/*")):
        for i, message in enumerate(mailbox.mbox(path)):
            out.append((f"{path.relative_to(CORPUS)}#{i}", message.as_bytes()))
    return out


MESSAGES = _messages()


def _assert_clean(text: str, where: str) -> None:
    bad = UNSAFE.search(text)
    assert bad is None, f"{where}: control character {bad.group(0)!r} in rendered text"


def test_the_corpus_was_found() -> None:
    assert len(MESSAGES) >= 30


@pytest.mark.parametrize(("name", "raw"), MESSAGES, ids=[name for name, _ in MESSAGES])
def test_message_parses_and_renders_clean(name: str, raw: bytes) -> None:
    msg = parse_message(raw)
    for prefer_html in (False, True):
        body = render_message(msg, prefer_html=prefer_html)
        _assert_clean(body.text, name)
        assert len(body.quote_depths) == body.text.count("\n") + 1
        for link in body.links:
            _assert_clean(link, name)
    for label, value in render_headers(msg):
        _assert_clean(value, f"{name} {label}")
    for attachment in msg.attachments:
        _assert_clean(attachment.filename, name)
        assert "/" not in attachment.filename and not attachment.filename.startswith(".")
    summary = parse_headers(raw)
    _assert_clean(summary.subject, name)
    _assert_clean(render_raw(raw).replace("\n", ""), name)
