"""Rendering chooses the right part, marks quotes and keeps display text safe."""

from __future__ import annotations

from tui_mail.mail import parse_message, quote_depth, render_headers, render_message

RAW = (
    b"From: Ann <ann@example.org>\r\nTo: bob@example.org\r\nSubject: Hi\r\n"
    b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/alternative; boundary="A"\r\n\r\n'
    b"--A\r\nContent-Type: text/plain\r\n\r\nHello\r\n> quoted\r\n>> deeper\r\nend\r\n"
    b"--A\r\nContent-Type: text/html\r\n\r\n<p>Hello <b>HTML</b></p>\r\n--A--\r\n"
)


def test_plain_text_is_preferred_and_quotes_are_marked() -> None:
    body = render_message(parse_message(RAW))
    assert body.source == "text"
    assert body.text == "Hello\n> quoted\n>> deeper\nend"
    assert body.quote_depths == (0, 1, 2, 0)
    assert body.quoted_lines == (1, 2)


def test_prefer_html_renders_the_html_part() -> None:
    body = render_message(parse_message(RAW), prefer_html=True)
    assert body.source == "html"
    assert "Hello **HTML**" in body.text


def test_width_wraps_long_lines_keeping_the_quote_marker() -> None:
    raw = b"Subject: w\r\n\r\n> " + b"word " * 30 + b"\r\n"
    body = render_message(parse_message(raw), width=40)
    lines = body.text.split("\n")
    assert len(lines) > 1 and all(len(line) <= 40 for line in lines)
    assert all(line.startswith("> ") for line in lines)


def test_quote_depth_counts_spaced_markers() -> None:
    assert quote_depth("> > > x") == 3
    assert quote_depth("x > y") == 0


def test_render_headers_lists_the_fields_to_show() -> None:
    assert render_headers(parse_message(RAW)) == [
        ("From", "Ann <ann@example.org>"),
        ("To", "bob@example.org"),
        ("Date", "Mon, 01 Jan 2024 10:00 +0000"),
        ("Subject", "Hi"),
    ]
