"""The composer's $EDITOR file: fields and body out, and back without losing a word."""

from __future__ import annotations

from tui_mail.mail.editor_text import editor_text, read_editor_text


def test_the_file_lists_every_field_then_an_empty_line_then_the_body() -> None:
    text = editor_text({"From": "Sam <sam@example.org>", "To": "ann@example.org",
                        "Subject": "Lunch\non Friday"}, "Hello,\n\nsee you.\n")
    assert text == ("From: Sam <sam@example.org>\nTo: ann@example.org\nCc:\nBcc:\n"
                    "Subject: Lunch on Friday\n\nHello,\n\nsee you.\n")


def test_an_edited_file_gives_its_fields_and_body_back() -> None:
    got = read_editor_text("From: Sam <sam@example.org>\nto: ann@example.org,\n bob@example.org"
                           "\nCc:\nSubject:  New subject \n\nBody\n\nwith: colons\n")
    assert got.headers == {"From": "Sam <sam@example.org>",
                           "To": "ann@example.org, bob@example.org", "Cc": "",
                           "Subject": "New subject"}
    assert got.body == "Body\n\nwith: colons\n"
    assert got.problems == []


def test_an_unknown_or_repeated_field_goes_to_the_body_and_is_named_by_line() -> None:
    got = read_editor_text("To: a@example.org\nReply-To: x@example.org\n folded@example.org\n"
                           "Subject: one\nSubject: two\nTo: b@example.org\n\nB")
    assert got.headers == {"To": "a@example.org, b@example.org", "Subject": "one"}
    assert got.problems == [
        "line 2: 'Reply-To' is not a field the composer has (From, To, Cc, Bcc, Subject);"
        " the line was put at the top of the body",
        "line 5: Subject is given twice; the first is kept and the second put at the top of"
        " the body"]
    assert got.body == "Reply-To: x@example.org\n folded@example.org\nSubject: two\nB"


def test_a_body_line_that_looks_like_a_field_is_kept_when_the_empty_line_is_missing() -> None:
    got = read_editor_text("To: a@example.org\nNote: the meeting moved\nsee you\n")
    assert got.headers == {"To": "a@example.org"}
    assert got.body == "Note: the meeting moved\nsee you\n"


def test_a_missing_empty_line_starts_the_body_where_the_fields_stop() -> None:
    got = read_editor_text("To: a@example.org\nSubject: s\nHello there\nmore\n")
    assert got.headers == {"To": "a@example.org", "Subject": "s"}
    assert got.body == "Hello there\nmore\n"
    assert got.problems == ["line 3: the empty line between the fields and the body is"
                            " missing; the body starts at this line"]


def test_removed_field_lines_make_all_of_the_text_the_body() -> None:
    got = read_editor_text("Dear Ann,\n\nthanks.\n")
    assert got.headers == {} and got.body == "Dear Ann,\n\nthanks.\n"
    assert got.problems and "fields are unchanged" in got.problems[0]


def test_a_file_of_fields_only_has_an_empty_body() -> None:
    got = read_editor_text("To: a@example.org\nSubject: s")
    assert got.headers == {"To": "a@example.org", "Subject": "s"} and got.body == ""


def test_crlf_line_ends_from_a_windows_editor_are_read() -> None:
    got = read_editor_text("To: a@example.org\r\n\r\nbody\r\n")
    assert got.headers == {"To": "a@example.org"} and got.body == "body\n"


def test_control_characters_in_a_bad_line_are_not_echoed() -> None:
    got = read_editor_text("X-\x1b[2J: y\n\nb")
    assert "\x1b" not in got.problems[0]
