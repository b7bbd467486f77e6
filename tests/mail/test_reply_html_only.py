"""A reply or inline forward of an HTML-only message carries its rendered text, as the reader
shows it: readable words, never tags, never an empty quote. A text/plain part stays preferred."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tui_mail.mail.parse import parse_message
from tui_mail.mail.render import render_message
from tui_mail.mail.reply import forward_inline, reply
from tui_mail.model import Account, Address, Protocol, Security, ServerConfig

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "corpus"
VENDORED = REPO / "tests" / "fixtures" / "corpus"
CORPUS = SHARED if SHARED.is_dir() else VENDORED

ALICE = Account(
    name="work", address=Address("Alice", "alice@example.test"),
    incoming=ServerConfig(Protocol.IMAP, "localhost", 993, Security.TLS, "alice"), smtp=None,
)
TAG = re.compile(r"<\s*/?\s*(?:html|head|body|div|p|span|table|tr|td|a|b|br|font|img|input)\b",
                 re.IGNORECASE)

HEADERS = (
    b"From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nSubject: Report\r\n"
    b"Date: Tue, 03 Jun 2025 10:04:00 +0000\r\nMessage-ID: <h1@example.test>\r\n"
    b"MIME-Version: 1.0\r\n"
)
HTML = (
    b"<html><head><style>p { color: red }</style></head><body>"
    b"<div style=\"display:none\">preheader nobody should quote</div>"
    b"<p>Hello <b>Alice</b></p>"
    b"<p>See <a href=\"https://example.test/report\">the report</a> for Q3.</p>"
    b"<p>Bob</p></body></html>\r\n"
)
HTML_ONLY = HEADERS + b"Content-Type: text/html; charset=utf-8\r\n\r\n" + HTML


def _alternative(text: bytes) -> bytes:
    return (
        HEADERS + b"Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n"
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + b"\r\n"
        b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + HTML + b"--b--\r\n"
    )


def _quoted_lines(body: str) -> list[str]:
    return [line for line in body.split("\n") if line.startswith(">")]


def test_a_reply_to_an_html_only_message_quotes_its_rendered_text() -> None:
    draft = reply(parse_message(HTML_ONLY), ALICE)
    quoted = _quoted_lines(draft.body)
    assert "> Hello **Alice**" in quoted
    assert "> See the report[1] for Q3." in quoted
    assert "> [1] https://example.test/report" in quoted
    assert "> Bob" in quoted
    assert not TAG.search(draft.body)
    assert "preheader" not in draft.body and "color: red" not in draft.body


def test_an_inline_forward_of_an_html_only_message_carries_its_rendered_text() -> None:
    draft = forward_inline(parse_message(HTML_ONLY), ALICE)
    assert "---------- Forwarded message ----------" in draft.body
    lines = draft.body.split("\n")
    assert "See the report[1] for Q3." in lines
    assert "[1] https://example.test/report" in lines
    assert not TAG.search(draft.body)


def test_the_text_part_of_an_alternative_stays_the_one_quoted() -> None:
    message = parse_message(_alternative(b"Plain words from Bob.\r\n"))
    assert _quoted_lines(reply(message, ALICE).body) == ["> Plain words from Bob."]
    assert "Plain words from Bob." in forward_inline(message, ALICE).body
    assert "the report" not in forward_inline(message, ALICE).body


def test_an_alternative_with_an_empty_text_part_quotes_the_html_part() -> None:
    quoted = _quoted_lines(reply(parse_message(_alternative(b"  \r\n")), ALICE).body)
    assert "> See the report[1] for Q3." in quoted


def test_a_real_html_only_message_is_quoted_as_its_words_not_its_tags() -> None:
    raw = (VENDORED / "notmuch" / "html__attribute-text.eml").read_bytes()
    draft = reply(parse_message(raw), ALICE)
    assert _quoted_lines(draft.body) == ["> hunter2"]
    assert "swordfish" not in draft.body  # an attribute's text is not body text


def test_a_real_html_newsletter_is_quoted_with_its_links_listed() -> None:
    path = SHARED / "spamassassin" / "welcomelists__winxpnews.com.eml"
    if not path.is_file():
        pytest.skip("the shared corpus is not here")
    draft = reply(parse_message(path.read_bytes()), ALICE)
    quoted = _quoted_lines(draft.body)
    assert "> **Time To Patch Your Windows Media Player**" in quoted
    assert "> [1] http://www.winxpnews.com/?id=33" in quoted
    assert not TAG.search(draft.body)
    assert all(line == line.rstrip() for line in quoted)


def _html_only_corpus() -> list[Path]:
    found = []
    for path in sorted(CORPUS.rglob("*.eml")):
        message = parse_message(path.read_bytes())
        if message.html_body is not None and not (message.text_body or "").strip():
            found.append(path)
    return found


@pytest.mark.parametrize("path", _html_only_corpus(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_every_html_only_corpus_message_is_quoted_when_the_reader_shows_text(path: Path) -> None:
    message = parse_message(path.read_bytes())
    body = reply(message, ALICE).body
    assert not TAG.search(body)
    if render_message(message).text.strip():
        assert _quoted_lines(body), "the reader shows text but the reply quotes nothing"
