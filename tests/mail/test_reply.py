"""reply.py: replies and forwards built from a parsed message (pure, no servers)."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from tui_mail.mail.compose import compose
from tui_mail.mail.parse import parse_message
from tui_mail.mail.reply import (
    forward_as_attachment,
    forward_inline,
    forward_subject,
    quote,
    reply,
    reply_subject,
)
from tui_mail.model import Account, Address, Identity, Protocol, Security, ServerConfig

SERVER = ServerConfig(Protocol.IMAP, "localhost", 993, Security.TLS, "alice")
ALICE = Account(
    name="work", address=Address("Alice", "alice@example.test"), incoming=SERVER, smtp=None,
    identities=(Identity(Address("Alice", "alice@alias.test")),),
)

ORIGINAL = (
    b"From: Bob Example <bob@example.test>\r\n"
    b"To: Alice <ALICE@example.test>, Carol <carol@example.test>\r\n"
    b"Cc: alice@alias.test, Dave <dave@example.test>, carol@EXAMPLE.test\r\n"
    b"Subject: =?utf-8?q?R=C3=A9union?=\r\n"
    b"Date: Tue, 03 Jun 2025 10:04:00 +0000\r\n"
    b"Message-ID: <m2@example.test>\r\n"
    b"In-Reply-To: <m1@example.test>\r\n"
    b"References: <m0@example.test> <m1@example.test>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"First line\r\n\r\n> older\r\n-- \r\nBob's signature\r\n"
)


@pytest.fixture
def original():
    return parse_message(ORIGINAL)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [("Hello", "Re: Hello"), ("Re: Hello", "Re: Hello"), ("RE: re: Aw: Hello", "Re: Hello"),
     ("Re[2]: Hello", "Re: Hello"), ("", "Re:")],
)
def test_reply_subject_is_not_doubled(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


@pytest.mark.parametrize(
    ("subject", "expected"),
    [("Hello", "Fwd: Hello"), ("Fwd: Hello", "Fwd: Hello"), ("FW: Hello", "Fwd: Hello"),
     ("Re: Hello", "Fwd: Re: Hello")],
)
def test_forward_subject_is_not_doubled(subject: str, expected: str) -> None:
    assert forward_subject(subject) == expected


def test_quote_prefixes_every_line() -> None:
    assert quote("a\n\n> b\nc\n") == "> a\n>\n>> b\n> c"


def test_reply_goes_to_the_author_and_threads(original) -> None:
    draft = reply(original, ALICE)
    assert draft.to == (Address("Bob Example", "bob@example.test"),)
    assert draft.cc == ()
    assert draft.subject == "Re: Réunion"
    assert draft.in_reply_to == "<m2@example.test>"
    assert draft.references == ("<m0@example.test>", "<m1@example.test>", "<m2@example.test>")
    assert draft.identity == ALICE.address
    assert "On Tue, 3 Jun 2025 at 10:04, Bob Example wrote:" in draft.body
    assert "> First line\n>\n>> older" in draft.body
    assert "signature" not in draft.body


def test_reply_prefers_reply_to() -> None:
    msg = parse_message(ORIGINAL.replace(b"Subject:", b"Reply-To: list@lists.test\r\nSubject:"))
    assert reply(msg, ALICE).to == (Address("", "list@lists.test"),)


def test_reply_all_leaves_out_our_addresses_and_duplicates(original) -> None:
    draft = reply(original, ALICE, reply_all=True)
    assert draft.to == (Address("Bob Example", "bob@example.test"),)
    assert [a.email.lower() for a in draft.cc] == ["carol@example.test", "dave@example.test"]


def test_reply_all_with_reply_to_keeps_the_author_in_cc() -> None:
    msg = parse_message(ORIGINAL.replace(b"Subject:", b"Reply-To: list@lists.test\r\nSubject:"))
    draft = reply(msg, ALICE, reply_all=True)
    assert draft.to == (Address("", "list@lists.test"),)
    assert [a.email.lower() for a in draft.cc] == [
        "bob@example.test", "carol@example.test", "dave@example.test"]


def test_replying_to_our_own_message_goes_to_its_recipients() -> None:
    mine = parse_message(
        b"From: Alice <alice@example.test>\r\nTo: Bob <bob@example.test>\r\n"
        b"Subject: Plan\r\nMessage-ID: <mine@example.test>\r\n\r\nbody\r\n"
    )
    assert reply(mine, ALICE).to == (Address("Bob", "bob@example.test"),)


def test_reply_is_sent_from_the_identity_that_was_addressed() -> None:
    msg = parse_message(ORIGINAL.replace(b"ALICE@example.test", b"x@elsewhere.test"))
    assert reply(msg, ALICE).identity == Address("Alice", "alice@alias.test")


def test_reply_composes_into_a_threaded_message(original) -> None:
    out = compose(reply(original, ALICE, reply_all=True))
    msg = message_from_bytes(out.raw, policy=policy.default)
    assert msg["In-Reply-To"] == "<m2@example.test>"
    assert msg["References"] == "<m0@example.test> <m1@example.test> <m2@example.test>"
    assert msg["Subject"] == "Re: Réunion"


def test_forward_inline_carries_the_text_and_a_header_block(original) -> None:
    draft = forward_inline(original, ALICE)
    assert draft.to == () and draft.subject == "Fwd: Réunion"
    assert "---------- Forwarded message ----------" in draft.body
    assert "From: Bob Example <bob@example.test>" in draft.body
    assert "Subject: Réunion" in draft.body
    assert "First line" in draft.body


WITH_ATTACHMENTS = (
    b"From: Bob Example <bob@example.test>\r\n"
    b"To: alice@example.test\r\n"
    b"Subject: Photos\r\n"
    b"Message-ID: <m3@example.test>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/signed; protocol="application/pgp-signature"; boundary="s"\r\n'
    b"\r\n--s\r\n"
    b'Content-Type: multipart/mixed; boundary="m"\r\n'
    b"\r\n--m\r\n"
    b'Content-Type: multipart/related; boundary="r"\r\n'
    b"\r\n--r\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    b'<p>See <img src="cid:logo@x"></p>\r\n'
    b"--r\r\n"
    b"Content-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Disposition: inline\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
    b"--r--\r\n"
    b"--m\r\n"
    b"Content-Type: application/pdf\r\n"
    b"Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKAP8=\r\n"
    b"--m--\r\n"
    b"--s\r\n"
    b"Content-Type: application/pgp-signature\r\n\r\n"
    b"-----BEGIN PGP SIGNATURE-----\r\n-----END PGP SIGNATURE-----\r\n"
    b"--s--\r\n"
)


def test_forward_inline_carries_the_attachments_but_not_inline_images_or_signatures() -> None:
    draft = forward_inline(parse_message(WITH_ATTACHMENTS), ALICE, WITH_ATTACHMENTS)
    assert [(f.filename, f.content_type, f.data) for f in draft.attached_files] == [
        ("résumé.pdf", "application/pdf", b"%PDF-1.4\n\x00\xff")]
    out = compose(draft.__class__(**{**draft.__dict__, "to": (Address("", "erin@example.test"),)}))
    [part] = message_from_bytes(out.raw, policy=policy.default).iter_attachments()
    assert part.get_filename() == "résumé.pdf"
    assert part.get_content_type() == "application/pdf"
    assert part.get_content() == b"%PDF-1.4\n\x00\xff"


def test_forward_inline_without_the_original_bytes_carries_no_attachment() -> None:
    assert forward_inline(parse_message(WITH_ATTACHMENTS), ALICE).attached_files == ()


def test_forward_as_attachment_attaches_the_original_bytes(original) -> None:
    draft = forward_as_attachment(original, ORIGINAL, ALICE)
    assert draft.attached_messages == (ORIGINAL,)
    out = compose(draft.__class__(**{**draft.__dict__, "to": (Address("", "erin@example.test"),)}))
    part = next(message_from_bytes(out.raw, policy=policy.default).iter_attachments())
    assert part.get_content_type() == "message/rfc822"
    assert part.get_content()["Message-ID"] == "<m2@example.test>"
