"""Real messages give the right subject, sender and body, whatever their charset or structure."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_mail.mail import attachment_bytes, parse_message, render_message

CORPUS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "corpus"

CASES = [
    # (file, subject, sender email, fragment of the rendered body)
    ("cpython-email/msg_45.txt.eml", "test", "foo@bar.baz", "This is the signed contents."),
    (
        "cpython-email/msg_16.txt.eml",
        "Delivery Notification: Delivery has failed",
        "postmaster@ucla.edu",
        "This report relates to a message you sent",
    ),
    (
        "mimekit/UnitTests__TestData__messages__japanese.txt.eml",
        "日本語メールテスト (testing Japanese emails)",
        "x@x.com",
        "日本語が",
    ),
    ("ruby-mail/multi_charset__japanese_iso_2022.eml", "まみむめも", "raasdnil@gmail.com", "すみません。"),
    ("ruby-mail/multi_charset__ks_c_5601-1987.eml", "test", "from@example.com", "스티해"),
    ("ruby-mail/plain_emails__raw_email10.eml", "", "xxx@xxxx.xxx", "Test test. Hi. Waving."),
    (
        "zbateson-mail-mime-parser/invalid-charset.txt.eml",
        "Test invalid charset",
        "doug@example.com",
        "The Hare and the Tortoise",
    ),
    (
        "zbateson-mail-mime-parser/m0006.txt.eml",
        "Die Hasen und die Frösche (Microsoft Outlook 00)",
        "doug@example.com",
        "Die Hasen klagten einst über ihre mißliche",
    ),
    ("php-mime-mail-parser/m0018.eml", "[Korea] Name", "name@company.com", "Le Pliage"),
    (
        "notmuch/lkml__cur__1354585346.000261_2,.eml",
        "[notmuch] [PATCH 1/2] lib/message: Add function to get maildir flags.",
        "stefan@datenfreihafen.org",
        "maildir",
    ),
    (
        "mimekit/UnitTests__TestData__messages__feedback-report.txt.eml",
        "FW: Earn money",
        "abusedesk@example.com",
        "This is an email abuse report",
    ),
    ("notmuch/html__attribute-text.eml", "test html attachment", "david@example.net", "hunter2"),
]


@pytest.mark.parametrize(("name", "subject", "sender", "fragment"), CASES)
def test_real_message_reads_right(name: str, subject: str, sender: str, fragment: str) -> None:
    msg = parse_message((CORPUS / name).read_bytes())
    assert msg.subject == subject
    assert msg.from_[0].email == sender
    body = render_message(msg, prefer_html=True)
    assert fragment in body.text


def test_a_byte_order_mark_before_the_headers_does_not_hide_them() -> None:
    raw = (CORPUS / "mimekit/UnitTests__TestData__messages__feedback-report.txt.eml").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    msg = parse_message(raw)
    assert msg.subject == "FW: Earn money"
    assert any(a.content_type == "message/feedback-report" for a in msg.attachments)


def test_korean_attachment_name_is_decoded_and_broken_base64_is_reported() -> None:
    raw = (CORPUS / "php-mime-mail-parser/m0018.eml").read_bytes()
    msg = parse_message(raw)
    photo = next(a for a in msg.attachments if a.filename == "사진.JPG")
    assert photo.content_type == "image/jpeg"
    assert len(attachment_bytes(raw, photo.index)) == photo.size
    assert "broken MIME: invalid base64 length" in msg.defects


def test_attachment_bytes_returns_the_decoded_signature() -> None:
    raw = (CORPUS / "cpython-email/msg_45.txt.eml").read_bytes()
    msg = parse_message(raw)
    assert [a.filename for a in msg.attachments] == ["signature.asc"]
    assert attachment_bytes(raw, 0).startswith(b"-----BEGIN PGP SIGNATURE-----")
    with pytest.raises(IndexError):
        attachment_bytes(raw, 1)


def test_encrypted_message_lists_its_pgp_parts_as_attachments() -> None:
    msg = parse_message((CORPUS / "notmuch/crypto__basic-encrypted.eml").read_bytes())
    assert msg.subject == "Here is the password"
    assert [a.content_type for a in msg.attachments] == [
        "application/pgp-encrypted",
        "application/octet-stream",
    ]
    assert msg.text_body is None


def test_attached_message_is_an_attachment_not_the_body() -> None:
    msg = parse_message((CORPUS / "cpython-email/msg_05.txt.eml").read_bytes())
    assert [a.content_type for a in msg.attachments] == ["message/rfc822"]
    assert msg.attachments[0].filename.endswith(".eml")
