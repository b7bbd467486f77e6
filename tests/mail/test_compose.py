"""compose.py: a Draft becomes RFC 5322 bytes (pure, no servers)."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from tui_mail.errors import TuiMailError
from tui_mail.mail.compose import (
    ComposeError,
    compose,
    format_flowed,
    guess_content_type,
    parse_address_list,
    prepare_message,
)
from tui_mail.model import Address, Draft

ALICE = Address("Zoë Ünder", "alice@example.test")


def parsed(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


def draft(**kw: Any) -> Draft:
    base: dict[str, Any] = {"identity": ALICE, "to": (Address("Bob", "bob@example.test"),), "subject": "Hi",
            "body": "Hello\n"}
    base.update(kw)
    return Draft(**base)


def test_parse_address_list_keeps_display_names_with_commas_and_non_ascii() -> None:
    found = parse_address_list('"Doe, Jane" <jane@x.test>, Zoë <zoe@y.test>,bob@z.test')
    assert found == (
        Address("Doe, Jane", "jane@x.test"), Address("Zoë", "zoe@y.test"), Address("", "bob@z.test")
    )


def test_parse_address_list_turns_idn_domains_into_punycode() -> None:
    assert parse_address_list("Jörg <j@bücher.example>") == (Address("Jörg", "j@xn--bcher-kva.example"),)


@pytest.mark.parametrize(
    ("text", "words"),
    [("bob", "needs a user and a domain"), ("foo <bar", "not a valid address"),
     ("a@b.test c@d.test", "not a valid address"), ("josé@x.test", "SMTPUTF8"),
     ("a@b.test\r\nBcc: evil@x.test", "line breaks")],
)
def test_parse_address_list_names_the_bad_entry(text: str, words: str) -> None:
    with pytest.raises(ComposeError, match=words):
        parse_address_list(text)


def test_compose_error_is_a_user_facing_error() -> None:
    assert issubclass(ComposeError, TuiMailError)


def test_empty_address_list_is_empty() -> None:
    assert parse_address_list("  ") == ()


def test_headers_are_encoded_and_bcc_is_only_in_the_envelope() -> None:
    d = draft(
        to=(Address("Bob Ärger", "bob@example.test"),), cc=(Address("", "carol@example.test"),),
        bcc=(Address("Dave", "dave@example.test"),), subject="Grüße — réunion",
    )
    out = compose(d, date=datetime(2025, 6, 3, 10, 4, tzinfo=UTC))
    assert out.raw.isascii()
    assert b"dave" not in out.raw.lower()
    assert b"\r\n" in out.raw and b"\n" not in out.raw.replace(b"\r\n", b"")
    msg = parsed(out.raw)
    assert msg["Subject"] == "Grüße — réunion"
    assert msg["From"].addresses[0].display_name == "Zoë Ünder"
    assert msg["To"].addresses[0].display_name == "Bob Ärger"
    assert msg["Cc"].addresses[0].addr_spec == "carol@example.test"
    assert msg["Bcc"] is None
    assert msg["Date"].datetime == datetime(2025, 6, 3, 10, 4, tzinfo=UTC)
    assert out.mail_from == "alice@example.test"
    assert out.rcpts == ("bob@example.test", "carol@example.test", "dave@example.test")


def test_message_id_is_on_the_senders_domain() -> None:
    out = compose(draft())
    assert out.message_id.startswith("<") and out.message_id.endswith("@example.test>")
    assert parsed(out.raw)["Message-ID"] == out.message_id


def test_idn_sender_domain_is_punycode_everywhere() -> None:
    out = compose(draft(identity=Address("", "me@bücher.example")))
    assert out.mail_from == "me@xn--bcher-kva.example"
    assert out.message_id.endswith("@xn--bcher-kva.example>")


def test_envelope_recipients_are_unique_case_insensitively() -> None:
    out = compose(draft(to=(Address("", "Bob@Example.test"),), cc=(Address("B", "bob@example.test"),)))
    assert out.rcpts == ("Bob@Example.test",)


def test_threading_headers() -> None:
    out = compose(draft(in_reply_to="<b@x>", references=("<a@x>", "b@x")))
    msg = parsed(out.raw)
    assert msg["In-Reply-To"] == "<b@x>"
    assert msg["References"] == "<a@x> <b@x>"


def test_body_is_utf8_text_with_signature() -> None:
    out = compose(draft(body="Héllo wörld"), signature="Zoë\nexample.test")
    msg = parsed(out.raw)
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert msg.get_content().replace("\r\n", "\n") == "Héllo wörld\n-- \nZoë\nexample.test\n"


def test_format_flowed_wraps_with_trailing_spaces_and_stuffs() -> None:
    text = format_flowed("word " * 30 + "\nFrom here\n> quoted")
    lines = text.split("\n")
    assert all(len(line) <= 73 for line in lines)
    assert lines[0].endswith(" ")
    assert " From here" in lines
    assert "> quoted" in lines
    out = compose(draft(body="a " * 60), flowed=True)
    assert parsed(out.raw)["Content-Type"].params["format"] == "flowed"


@pytest.mark.parametrize("field", ["subject", "name", "email", "in_reply_to"])
def test_header_injection_is_refused(field: str) -> None:
    evil = "x\r\nBcc: victim@evil.test"
    if field == "subject":
        d = draft(subject=evil)
    elif field == "name":
        d = draft(to=(Address(evil, "bob@example.test"),))
    elif field == "email":
        d = draft(to=(Address("", "bob@example.test\nBcc: victim@evil.test"),))
    else:
        d = draft(in_reply_to="<a@b>\nBcc: victim@evil.test")
    with pytest.raises(ComposeError, match="line breaks"):
        compose(d)


def test_no_recipient_is_an_error() -> None:
    with pytest.raises(ComposeError, match="no recipients"):
        compose(draft(to=()))


def test_attachments_are_byte_identical_and_typed() -> None:
    blob = bytes(range(256)) * 10
    text = "naïve\r\nline\n".encode()
    pdf = b"%PDF-1.4\n..."
    paths = (Path("/tmp/data.bin"), Path("/tmp/notes.txt"), Path("/tmp/report"))
    out = compose(draft(attachments=paths),
                  attachment_data={paths[0]: blob, paths[1]: text, paths[2]: pdf})
    parts = list(parsed(out.raw).iter_attachments())
    assert [p.get_filename() for p in parts] == ["data.bin", "notes.txt", "report"]
    assert [p.get_content_type() for p in parts] == [
        "application/octet-stream", "text/plain", "application/pdf"]
    assert [p.get_payload(decode=True) for p in parts] == [blob, text, pdf]


def test_missing_attachment_data_is_an_error() -> None:
    with pytest.raises(ComposeError, match="not provided"):
        compose(draft(attachments=(Path("/x/y.txt"),)))


def test_guess_content_type_prefers_content_but_trusts_names_for_zip_formats() -> None:
    assert guess_content_type("photo.txt", b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert guess_content_type("doc.docx", b"PK\x03\x04...").endswith("wordprocessingml.document")
    assert guess_content_type("noext", b"PK\x03\x04...") == "application/zip"
    assert guess_content_type("noext", "plain text ü".encode()) == "text/plain"
    assert guess_content_type("noext", b"\x00\x01\x02") == "application/octet-stream"


def test_forwarded_message_is_attached_as_message_rfc822() -> None:
    original = b"From: a@b.test\r\nSubject: Old news\r\nMessage-ID: <o@b>\r\n\r\nbody\r\n"
    out = compose(draft(attached_messages=(original,)))
    part = next(parsed(out.raw).iter_attachments())
    assert part.get_content_type() == "message/rfc822"
    assert part.get_filename() == "Old news.eml"
    assert part.get_content()["Message-ID"] == "<o@b>"


def test_prepare_message_takes_recipients_from_headers_and_strips_bcc() -> None:
    raw = (b"From: Alice <alice@example.test>\nTo: bob@example.test\nCc: Carol <carol@example.test>\n"
           b"Bcc: dave@example.test,\n  erin@example.test\nSubject: hi\n\nbody line\n\xc3\xa9\n")
    out = prepare_message(raw, ALICE)
    assert out.rcpts == ("bob@example.test", "carol@example.test", "dave@example.test",
                         "erin@example.test")
    assert b"dave" not in out.raw and b"erin" not in out.raw
    assert out.raw.endswith(b"\r\n\r\nbody line\r\n\xc3\xa9\r\n")
    msg = parsed(out.raw)
    assert msg["Message-ID"] == out.message_id and out.message_id.endswith("@example.test>")
    assert msg["Date"] is not None
    assert out.mail_from == "alice@example.test"


def test_prepare_message_without_recipients_is_an_error() -> None:
    with pytest.raises(ComposeError, match="no To, Cc or Bcc"):
        prepare_message(b"Subject: x\n\nbody\n", ALICE)
