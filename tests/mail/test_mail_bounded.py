"""Issue 17: the work of showing a message is bounded, whatever its shape.

These tests pin what is shown (notes, cuts, markers), never how long it takes:
benchmarks/hostile.py measures that.
"""

from __future__ import annotations

from tui_mail.mail.parse import MAX_DEPTH, MAX_PARTS, parse_message

HEAD = ("From: a@example.org\r\nTo: b@example.org\r\nSubject: s\r\n"
        "Date: Mon, 01 Jan 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\n")


def many_parts(count: int) -> bytes:
    out = [HEAD, 'Content-Type: multipart/mixed; boundary="P"\r\n\r\n',
           "--P\r\nContent-Type: text/plain\r\n\r\nThe text.\r\n"]
    out += [f'--P\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment;'
            f' filename="part{i}.bin"\r\n\r\ndata {i}\r\n' for i in range(count)]
    out.append("--P--\r\n")
    return "".join(out).encode()


def nested(depth: int) -> bytes:
    out = [HEAD, 'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n']
    out += [f'--b{i - 1}\r\nContent-Type: multipart/mixed; boundary="b{i}"\r\n\r\n'
            for i in range(1, depth)]
    out.append(f"--b{depth - 1}\r\nContent-Type: text/plain\r\n\r\nthe bottom\r\n")
    out += [f"--b{i}--\r\n" for i in range(depth - 1, -1, -1)]
    return "".join(out).encode()


def test_a_message_of_many_parts_lists_the_first_and_says_the_rest_are_not_shown() -> None:
    msg = parse_message(many_parts(10_000))
    assert msg.text_body is not None and "The text." in msg.text_body
    # the root and the text part are parts too
    assert len(msg.attachments) == MAX_PARTS - 2
    assert msg.attachments[0].filename == "part0.bin"
    assert msg.attachments[-1].filename == f"part{MAX_PARTS - 3}.bin"
    assert any(f"more than {MAX_PARTS:,} MIME parts" in d and "not shown" in d
               for d in msg.defects)


def test_a_message_just_under_the_part_limit_is_read_whole_without_a_note() -> None:
    msg = parse_message(many_parts(MAX_PARTS - 2))
    assert len(msg.attachments) == MAX_PARTS - 2
    assert not any("MIME parts" in d for d in msg.defects)


def test_nesting_beyond_the_depth_limit_is_not_walked_and_says_so() -> None:
    msg = parse_message(nested(1000))
    assert msg.subject == "s"
    assert any(f"nested more than {MAX_DEPTH} deep" in d for d in msg.defects)


def test_nesting_within_the_limit_reaches_the_text() -> None:
    msg = parse_message(nested(MAX_DEPTH - 5))
    assert msg.text_body is not None and "the bottom" in msg.text_body
    assert not any("nested" in d for d in msg.defects)


def test_rfc2231_file_names_are_decoded_in_their_charset() -> None:
    raw = (HEAD + 'Content-Type: multipart/mixed; boundary="P"\r\n\r\n--P\r\n'
           "Content-Type: text/plain\r\n\r\nx\r\n--P\r\nContent-Type: text/plain\r\n"
           "Content-Disposition: attachment; filename*=UTF-8''Fr%C3%B6sche.txt\r\n\r\n"
           "y\r\n--P--\r\n").encode()
    assert parse_message(raw).attachments[0].filename == "Frösche.txt"


def _text_message(body: str, content_type: str = "text/plain", subject: str = "s") -> bytes:
    return (HEAD.replace("Subject: s", f"Subject: {subject}")
            + f"Content-Type: {content_type}; charset=utf-8\r\n\r\n{body}").encode()


def test_runs_of_blank_lines_collapse_to_one_blank_line() -> None:
    from tui_mail.mail.render import render_message

    msg = parse_message(_text_message("top\r\n" + "\r\n" * 50_000 + "  \r\n\t\r\nbottom\r\n"))
    body = render_message(msg)
    assert body.text == "top\n\nbottom"
    assert body.cut == ""


def test_html_over_the_limit_is_rendered_up_to_it_with_a_note_and_whole_on_request() -> None:
    from tui_mail.mail.render import HTML_LIMIT, render_message

    html = "<p>first words</p>" + "<p>filler paragraph</p>" * (HTML_LIMIT // 22 + 10) + "<p>LAST</p>"
    msg = parse_message(_text_message(html, "text/html"))
    cut = render_message(msg)
    assert "first words" in cut.text and "LAST" not in cut.text
    assert cut.cut.startswith("Only the first ") and "HTML part are shown" in cut.cut
    whole = render_message(msg, whole=True)
    assert "LAST" in whole.text and whole.cut == ""


def test_markup_dense_html_is_cut_by_its_tags_before_its_size_and_links_past_the_cut_are_not_read(
        ) -> None:
    """What HTML costs goes by the tag: 20,000 tags in 100 KB are cut at the tag limit."""
    from tui_mail.mail.render import HTML_LIMIT, HTML_TAG_LIMIT, render_headers, render_message

    tail = '<a href="https://evil.example/">https://bank.example/</a>'
    html = "<b>x</b>" * HTML_TAG_LIMIT + tail
    assert len(html) < HTML_LIMIT
    msg = parse_message(_text_message(html, "text/html"))
    cut = render_message(msg)
    assert "HTML part are shown" in cut.cut and "evil.example" not in cut.links
    assert not any("bank.example" in value for _label, value in render_headers(msg))
    whole = render_message(msg, whole=True)
    assert whole.cut == "" and "https://evil.example/" in whole.links


def test_a_newsletter_is_rendered_whole() -> None:
    from tui_mail.mail.render import render_message

    html = "<table><tr><td><p>Hello <a href='https://example.org/a'>there</a></p></td></tr>" \
        "</table>" * 150
    assert render_message(parse_message(_text_message(html, "text/html"))).cut == ""


def test_text_over_the_limit_is_cut_at_a_line_with_a_note() -> None:
    from tui_mail.mail.render import TEXT_LIMIT, render_message

    msg = parse_message(_text_message("x" * (2 * TEXT_LIMIT) + "\r\nEND\r\n"))
    cut = render_message(msg)
    assert len(cut.text) <= TEXT_LIMIT and "END" not in cut.text and "text are shown" in cut.cut
    assert render_message(msg, whole=True).text.endswith("END")


def test_a_huge_subject_is_cut_with_a_marker_and_not_empty() -> None:
    from tui_mail.mail.headers import MAX_HEADER_CHARS, parse_headers

    subject = "lorem ipsum " * 100_000
    raw = _text_message("body", subject=subject)
    for value in (parse_message(raw).subject, parse_headers(raw).subject):
        assert value.startswith("lorem ipsum lorem")
        assert value.endswith("…") and len(value) <= MAX_HEADER_CHARS


def test_a_cut_body_says_so_in_the_text_tui_mail_show_prints() -> None:
    from tui_mail.mail.render import HTML_LIMIT
    from tui_mail.mail.textview import message_as_text

    msg = parse_message(_text_message("<p>a</p>" * (HTML_LIMIT // 8 + 50), "text/html"))
    text = message_as_text(msg, rest_hint="--whole shows the rest.")
    assert "HTML part are shown. --whole shows the rest.]" in text
    assert "shows the rest" not in message_as_text(msg, whole=True)


def test_newsletter_spacing_of_non_breaking_spaces_collapses_like_blank_lines() -> None:
    from tui_mail.mail.render import render_message

    html = "<p>top</p>" + "<p>&nbsp;</p>" * 50 + "<p>\u2800</p><p>bottom</p>"
    text = render_message(parse_message(_text_message(html, "text/html"))).text
    assert text.split("\n") == ["top", "", "bottom"]


def test_a_huge_to_header_is_cut_for_show_as_for_the_viewer() -> None:
    from tui_mail.mail.headers import MAX_HEADER_CHARS
    from tui_mail.mail.render import render_headers

    to = ", ".join(f"user{i}@example.org" for i in range(20_000))
    raw = (f"From: a@example.org\r\nTo: {to}\r\nSubject: s\r\n\r\nbody\r\n").encode()
    rows = dict(render_headers(parse_message(raw)))
    assert len(rows["To"]) <= MAX_HEADER_CHARS and rows["To"].endswith("…")


def test_a_reply_to_an_html_body_cut_for_length_says_what_it_left_out() -> None:
    from tui_mail.mail.render import HTML_LIMIT
    from tui_mail.mail.reply import readable_text

    html = "<p>first</p>" + "<p>filler paragraph</p>" * (HTML_LIMIT // 22 + 10) + "<p>THE END</p>"
    quoted = readable_text(parse_message(_text_message(html, "text/html")))
    assert quoted.startswith("first") and "THE END" not in quoted
    assert quoted.endswith("HTML part are quoted.]")


def test_the_feedparsers_line_end_search_finds_what_the_stdlib_pattern_finds() -> None:
    """parse.py searches a payload's last line end from its end (the stdlib tries every
    position of a 20 MB payload first); the matches must be the stdlib's own."""
    import re
    from email import feedparser

    stdlib = re.compile(r"(\r\n|\r|\n)\Z")
    for text in ["", "a", "\n", "\r", "\r\n", "ab\r\n", "ab\n", "ab\r", "a\n\r", "x\r\n\n",
                 "abc", "a\r\n" * 1000]:
        # NLCRE_eol is private to the stdlib (tui_mail/mail/parse.py replaces it), not stubbed.
        ours = feedparser.NLCRE_eol.search(text)  # type: ignore[attr-defined]
        theirs = stdlib.search(text)
        assert (ours and ours.group(0)) == (theirs and theirs.group(0)), repr(text)
