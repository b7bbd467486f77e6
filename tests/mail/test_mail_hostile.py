"""Hostile text in any field comes out with no escape sequence or invisible character."""

from __future__ import annotations

import re

import pytest

from tui_mail.mail import (
    parse_headers,
    parse_message,
    render_headers,
    render_message,
    render_raw,
    sanitize_filename,
    sanitize_line,
    sanitize_text,
)

OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
CLEAR = "\x1b[2J\x1b[H"
MOVE = "\x1b[10;5H\x1b[3A"
BIDI = "\u202eevil\u202c\u2066x\u2069"
ZW = "a\u200bb\u200dc\u2060d\ufeffe"
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b-\u200d\u2060\ufeff]")


def _hostile_message() -> bytes:
    evil = f"{OSC52}{CLEAR}{MOVE}{BIDI}{ZW}\x07\x00"
    long_line = "x" * 20_000
    html = (
        "<p>Hello &#27;]52;c;cGF5bG9hZA==&#7; &#27;[2J"
        '<a href="javascript:alert(1)">click</a> '
        '<a href="https://example.org/ok">fine</a>'
        '<img src="https://tracker.example/p.gif" width="1" height="1">'
        '<img src="https://example.org/logo.png" alt="Logo"></p>'
    )
    return (
        f"From: {evil} <evil@example.org>\r\n"
        f"To: victim@example.org\r\n"
        f"Subject: Hi {evil} there\r\n"
        "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
        "Message-ID: <hostile@example.org>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="B"\r\n'
        "\r\n"
        "--B\r\n"
        'Content-Type: multipart/alternative; boundary="A"\r\n'
        "\r\n"
        "--A\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"Body {evil} end\r\n{long_line}\r\n\ttabbed\r\n"
        "--A\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        "\r\n"
        f"{html}\r\n"
        "--A--\r\n"
        "--B\r\n"
        "Content-Type: application/octet-stream\r\n"
        f'Content-Disposition: attachment; filename="../../{OSC52}etc/passwd"\r\n'
        "\r\n"
        "data\r\n"
        "--B--\r\n"
    ).encode("utf-8", "surrogateescape")


def _assert_clean(text: str) -> None:
    assert UNSAFE.search(text) is None, repr(UNSAFE.search(text))
    assert "52;c;" not in text and "[2J" not in text and "[10;5H" not in text


def test_hostile_headers_and_bodies_come_out_clean() -> None:
    raw = _hostile_message()
    msg = parse_message(raw)
    for _label, value in render_headers(msg):
        _assert_clean(value)
    assert msg.subject == "Hi evilxabcde there"
    assert msg.from_[0].email == "evil@example.org"
    text = render_message(msg)
    _assert_clean(text.text)
    assert "Body evilxabcde end" in text.text
    assert "x" * 20_000 in text.text
    assert "        tabbed" in text.text
    html = render_message(msg, prefer_html=True)
    _assert_clean(html.text)
    assert html.source == "html"
    assert UNSAFE.search(render_raw(raw).replace("\n", "")) is None
    summary = parse_headers(raw)
    _assert_clean(summary.subject)
    _assert_clean(str(summary.from_[0]))


def test_html_drops_javascript_links_and_tracking_pixels_but_numbers_real_links() -> None:
    html = render_message(parse_message(_hostile_message()), prefer_html=True)
    assert html.links == ("https://example.org/ok",)
    assert "fine[1]" in html.text
    assert "click" in html.text and "javascript" not in html.text
    assert "tracker.example" not in html.text
    assert "[image: Logo]" in html.text


def test_attachment_name_cannot_escape_the_download_folder() -> None:
    msg = parse_message(_hostile_message())
    assert msg.attachments[0].filename == "passwd"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        (".bashrc", "bashrc"),
        ("a\x00b", "ab"),
        ("CON", "_CON"),
        ("lpt1.txt", "_lpt1.txt"),
        ("", "attachment"),
        ("..", "attachment"),
        ("report\u202egnp.exe", "reportgnp.exe"),
        ('what?<is>:"this"|*', "what__is___this___"),
    ],
)
def test_sanitize_filename_makes_names_safe(name: str, expected: str) -> None:
    assert sanitize_filename(name) == expected


def test_sanitize_filename_caps_length_and_keeps_the_extension() -> None:
    name = sanitize_filename("é" * 500 + ".pdf")
    assert name.endswith(".pdf")
    assert len(name.encode("utf-8")) <= 200


def test_sanitize_text_removes_whole_escape_sequences() -> None:
    text = f"a{OSC52}b{CLEAR}c\x1bP1$r0m\x1b\\d\x9b31me\x1b(Bf\x1b]8;;http://x\x1b\\g"
    assert sanitize_text(text) == "abcdefg"


def test_unterminated_osc_is_removed_up_to_the_end_of_its_line() -> None:
    assert sanitize_text("ok\x1b]52;c;secret\nnext") == "ok\nnext"


def test_sanitize_text_keeps_newlines_expands_tabs_and_drops_cr() -> None:
    assert sanitize_text("a\tb\r\nc\rd") == "a       b\ncd"
    assert sanitize_text("a\nb", keep_newlines=False) == "a b"


def test_sanitize_line_folds_whitespace() -> None:
    assert sanitize_line("  Re:\r\n\t hello \x07 world ") == "Re: hello world"
