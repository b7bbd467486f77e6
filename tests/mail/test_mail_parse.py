"""Parsing degrades gracefully: bogus charsets, broken MIME, bad dates, flowed text."""

from __future__ import annotations

from datetime import UTC, datetime

from tui_mail.mail import parse_headers, parse_message, render_message
from tui_mail.mail.flowed import unflow
from tui_mail.model import Address


def _msg(headers: str, body: bytes = b"hello\r\n") -> bytes:
    return headers.replace("\n", "\r\n").encode() + b"\r\n" + body


def test_unknown_charset_is_shown_as_latin_text_with_a_note() -> None:
    raw = _msg("Subject: x\nContent-Type: text/plain; charset=foo\n", b"caf\xe9\r\n")
    msg = parse_message(raw)
    assert msg.text_body == "café\n"
    assert "unknown charset 'foo', shown as windows-1252" in msg.defects


def test_bytes_invalid_for_the_declared_charset_fall_back_without_raising() -> None:
    raw = _msg("Content-Type: text/plain; charset=us-ascii\n", "naïve\r\n".encode())
    assert parse_message(raw).text_body == "naïve\n"


def test_unknown_8bit_label_is_guessed_silently() -> None:
    raw = _msg("Content-Type: text/plain; charset=unknown-8bit\n", "grüß\r\n".encode())
    msg = parse_message(raw)
    assert msg.text_body == "grüß\n"
    assert msg.defects == ()


def test_encoded_words_in_several_charsets_and_split_multibyte_characters() -> None:
    raw = _msg(
        "Subject: =?utf-8?q?caf=C3?= =?utf-8?q?=A9?= and =?iso-8859-1?b?Z3L832U=?=\n"
        "From: =?windows-1251?b?yOLg7SDP5fLw7uI=?= <ivan@example.ru>\n"
    )
    msg = parse_message(raw)
    assert msg.subject == "café and grüße"
    assert msg.from_ == (Address("Иван Петров", "ivan@example.ru"),)


def test_raw_8bit_headers_are_read_as_utf8_or_windows_1252() -> None:
    utf8 = parse_message("Subject: Grüße\r\n\r\nx".encode())
    latin = parse_message(b"Subject: Gr\xfc\xdfe\r\n\r\nx")
    assert utf8.subject == latin.subject == "Grüße"
    assert parse_headers(b"Subject: Gr\xfc\xdfe\r\n\r\n").subject == "Grüße"


def test_broken_encoded_word_is_left_readable() -> None:
    msg = parse_message(_msg("Subject: =?utf-8?x?broken?= =?nosuch?q?abc?=\n"))
    assert msg.subject == "=?utf-8?x?broken?= abc"


def test_missing_boundary_shows_the_body_as_text() -> None:
    raw = _msg("Content-Type: multipart/mixed\n", b"--x\r\nplain words\r\n--x--\r\n")
    msg = parse_message(raw)
    assert "plain words" in (msg.text_body or "")
    assert any("multipart" in d for d in msg.defects)


def test_boundary_never_found_keeps_the_text() -> None:
    raw = _msg('Content-Type: multipart/mixed; boundary="nope"\n', b"only text here\r\n")
    msg = parse_message(raw)
    assert "only text here" in render_message(msg).text
    assert msg.defects


def test_bad_date_gives_none_and_a_note() -> None:
    msg = parse_message(_msg("Date: the day after tomorrow\n"))
    assert msg.date is None
    assert msg.defects == ("unreadable date 'the day after tomorrow'",)


def test_date_without_zone_is_aware_utc() -> None:
    msg = parse_message(_msg("Date: Mon, 1 Jan 2024 10:00:00 -0000\n"))
    assert msg.date == datetime(2024, 1, 1, 10, 0, tzinfo=UTC)


def test_message_ids_are_normalised() -> None:
    raw = _msg(
        "Message-ID:  <a@b>  \n"
        "In-Reply-To: <c@d> (message from Someone)\n"
        "References: <x@y>\n <c@d>\n\t<x@y> <yes>\n"
    )
    for parsed in (parse_message(raw), parse_headers(raw)):
        assert parsed.message_id == "<a@b>"
        assert parsed.in_reply_to == "<c@d>"
        assert parsed.references == ("<x@y>", "<c@d>")


def test_garbage_addresses_degrade_to_names() -> None:
    raw = _msg("From: just some text\nTo: undisclosed-recipients:;\nCc: a@b, , <c@d>\n")
    msg = parse_message(raw)
    assert msg.from_[0].display() == "just some text"
    assert msg.to == ()
    assert [a.email for a in msg.cc] == ["a@b", "c@d"]


def test_parse_headers_guesses_attachments_and_reads_list_post() -> None:
    summary = parse_headers(
        b"Subject: s\r\nContent-Type: multipart/mixed; boundary=x\r\n"
        b"List-Post: <mailto:list@example.org>\r\n\r\nbody"
    )
    assert summary.has_attachment
    assert summary.list_post == "list@example.org"
    assert not parse_headers(b"Content-Type: multipart/alternative; b=x\r\n\r\n").has_attachment


def test_inline_image_is_flagged_inline() -> None:
    raw = _msg(
        'Content-Type: multipart/related; boundary="R"\n',
        b"--R\r\nContent-Type: text/html\r\n\r\n<img src='cid:i1'>\r\n"
        b"--R\r\nContent-Type: image/png\r\nContent-ID: <i1>\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--R--\r\n",
    )
    msg = parse_message(raw)
    assert msg.html_body is not None
    (image,) = msg.attachments
    assert image.inline and image.content_type == "image/png" and image.size == 8


def test_format_flowed_joins_soft_line_breaks() -> None:
    raw = _msg(
        "Content-Type: text/plain; charset=utf-8; format=flowed\n",
        b"This is a long \r\nparagraph.\r\n> quoted \r\n> more\r\n \r\n-- \r\nsig\r\n",
    )
    msg = parse_message(raw)
    assert msg.text_body == "This is a long paragraph.\n> quoted more\n\n-- \nsig\n"


def test_format_flowed_delsp_removes_the_breaking_space() -> None:
    assert unflow("Zusammen \ngesetzt\n", delsp=True) == "Zusammengesetzt\n"
    assert unflow("Zusammen \ngesetzt\n") == "Zusammen gesetzt\n"


def test_space_stuffed_lines_are_unstuffed() -> None:
    assert unflow(" From here\n >not a quote\n") == "From here\n>not a quote\n"


def test_an_unnamed_calendar_part_is_offered_as_an_ics_file() -> None:
    raw = (b"From: a@example.test\r\nSubject: Invitation\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
           b"Content-Type: text/plain\r\n\r\nCome along.\r\n--b\r\n"
           b"Content-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\n"
           b"END:VCALENDAR\r\n--b--\r\n")
    [attachment] = parse_message(raw).attachments
    assert attachment.filename == "attachment-1.ics"
