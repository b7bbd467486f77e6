"""Drafts as bytes and back, and the completion helpers (no interface)."""

from __future__ import annotations

from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

from tui_mail.mail.draftfile import DraftFields, draft_from_bytes, draft_to_bytes
from tui_mail.model import Address, AttachedFile
from tui_mail.ui.widgets.compose_fields import complete_address, complete_path, last_item


def forwarded() -> bytes:
    msg = EmailMessage()
    msg["From"] = "a@example.org"
    msg["Subject"] = "Inner"
    msg.set_content("inner body\n")
    return msg.as_bytes()


def test_a_half_written_draft_round_trips_with_non_ascii_and_a_forwarded_message() -> None:
    fields = DraftFields(
        account="wörk", sender="Zoë <zoe@example.net>", to="Bób <bob@exa", cc="",
        bcc="hidden@example.org", subject="Grüße 🎉 — plans", body="Hallo\n\nZoë\n",
        attachments=(Path("/tmp/données.pdf"),), in_reply_to="<a@b>",
        references=("<x@y>", "<a@b>"), attached_messages=(forwarded(),),
    )
    raw = draft_to_bytes(fields, "<draft-1@example.net>")
    assert raw.isascii()
    back, message_id = draft_from_bytes(raw)
    assert message_id == "<draft-1@example.net>"
    assert back.attached_messages and b"Subject: Inner" in back.attached_messages[0]
    assert back == DraftFields(**{**fields.__dict__, "attached_messages": back.attached_messages})


def test_a_draft_keeps_its_signing_choice_and_whether_it_answers_signed_mail() -> None:
    """F5 turned on (or off) and 'it answers a signed message' survive a saved draft, so the
    reopened message is signed as it was going to be."""
    from tests.support.accounts import work_account
    from tui_mail.crypto.outgoing import SecurityChoice
    from tui_mail.model import SignPolicy

    for sign in (True, False, None):
        fields = DraftFields(account="work", sender="a@example.org", to="b@example.org",
                             subject="Re: signed", body="ok\n", answers_signed=True, sign=sign)
        back, _ = draft_from_bytes(draft_to_bytes(fields, "<d@x>"))
        assert (back.sign, back.answers_signed) == (sign, True)
    replying = work_account(sign=SignPolicy.IF_REPLYING_TO_SIGNED)
    back, _ = draft_from_bytes(draft_to_bytes(
        DraftFields(account="work", sender="a@example.org", answers_signed=True), "<d@x>"))
    assert SecurityChoice.initial(replying, back).sign  # the policy still sees the answer
    turned_off = replace(back, sign=False)
    assert not SecurityChoice.initial(work_account(sign=SignPolicy.ALWAYS), turned_off).sign


def test_a_draft_keeps_its_encryption_choice_and_whether_it_answers_encrypted_mail() -> None:
    """F6 as the user chose it, and 'it answers an encrypted message', survive a saved draft:
    the reopened message is encrypted (or not) as it was going to be, whatever Autocrypt or
    the account would say."""
    from tests.support.accounts import work_account
    from tui_mail.crypto.outgoing import Encrypt, SecurityChoice
    from tui_mail.model import EncryptPolicy

    for encrypt in (True, False, None):
        for answers in ((True, True), (False, True), (True, False), (False, False)):
            fields = DraftFields(account="work", sender="a@example.org", encrypt=encrypt,
                                 answers_signed=answers[0], answers_encrypted=answers[1])
            back, _ = draft_from_bytes(draft_to_bytes(fields, "<d@x>"))
            assert (back.encrypt, back.answers_signed, back.answers_encrypted) == (
                encrypt, *answers)
    back, _ = draft_from_bytes(draft_to_bytes(
        DraftFields(account="work", sender="a@example.org", answers_encrypted=True,
                    encrypt=False), "<d@x>"))
    choice = SecurityChoice.initial(work_account(encrypt=EncryptPolicy.ALWAYS), back)
    assert (choice.encrypts, choice.chosen) == (Encrypt.OFF, True)  # F6 pressed: in clear
    back = replace(back, encrypt=None)
    assert SecurityChoice.initial(work_account(), back).encrypts is Encrypt.ON


def test_files_carried_by_their_contents_round_trip_byte_for_byte() -> None:
    """A forwarded attachment (or one kept in a draft) is saved inside the draft, not as a path;
    the parts inside a forwarded message stay the forwarded message's."""
    inner = EmailMessage()
    inner["Subject"] = "Inner"
    inner.set_content("inner body\n")
    inner.add_attachment(b"inner file", maintype="application", subtype="octet-stream",
                         filename="inner.bin")
    files = (AttachedFile("données.pdf", "application/pdf", bytes(range(256)) * 3),
             AttachedFile("notes.txt", "text/plain", b"plain text\r\nline two\n"))
    fields = DraftFields(account="w", sender="s@example.org", body="see attached\n",
                         attached_files=files, attached_messages=(inner.as_bytes(),))
    raw = draft_to_bytes(fields, "<d@x>")
    assert raw.isascii()
    back, _ = draft_from_bytes(raw)
    assert back.body == "see attached\n"
    assert back.attached_files == files
    assert len(back.attached_messages) == 1


def test_a_line_break_typed_into_a_header_cannot_start_a_new_header() -> None:
    raw = draft_to_bytes(DraftFields(account="w", sender="s@example.org",
                                     subject="hi\r\nBcc: evil@example.org"), "<d@x>")
    assert b"\r\nBcc:" not in raw


def test_the_last_address_of_a_list_is_the_one_completed() -> None:
    assert last_item("a@x.org, Bo") == ("a@x.org, ", "Bo")
    assert last_item("bo") == ("", "bo")
    people = [Address("Bob Baker", "bob@example.org"), Address("", "bea@example.com")]
    assert complete_address("bo", people) == "Bob Baker <bob@example.org>"
    assert complete_address("bob@", people) == "bob@example.org"
    assert complete_address("zed", people) is None


def test_paths_complete_to_a_file_or_a_directory_with_a_slash(tmp_path: Path) -> None:
    (tmp_path / "report.pdf").write_bytes(b"x")
    (tmp_path / "reports").mkdir()
    (tmp_path / ".hidden").write_bytes(b"x")
    assert complete_path(str(tmp_path / "report.")) == str(tmp_path / "report.pdf")
    assert complete_path(str(tmp_path / "reports")) == str(tmp_path / "reports") + "/"
    assert complete_path(str(tmp_path / "repos")) is None
    assert complete_path(str(tmp_path) + "/") == str(tmp_path / "report.pdf")
    assert complete_path(str(tmp_path / ".h")) == str(tmp_path / ".hidden")


def test_a_carried_file_is_written_as_standard_base64_lines() -> None:
    """The base64 text is spliced in after generation: it must still be a well-formed part."""
    import base64
    from email import message_from_bytes, policy

    data = bytes(range(256)) * 50
    raw = draft_to_bytes(DraftFields(account="w", sender="s@example.org", body="x\n",
                                     attached_files=(AttachedFile("a.bin", "image/png", data),)),
                         "<d@x>")
    assert b"tui-mail-part-" not in raw
    msg = message_from_bytes(raw, policy=policy.default)
    [part] = msg.iter_attachments()
    assert part.get_content_type() == "image/png" and part.get_content() == data
    assert not msg.defects and not part.defects
    payload = part.get_payload()
    assert isinstance(payload, str)
    lines = payload.splitlines()
    assert all(len(line) <= 76 for line in lines)
    assert base64.b64decode("".join(lines)) == data


def test_the_headers_of_a_draft_are_read_without_its_body_or_files() -> None:
    from tui_mail.mail.draftfile import draft_headers

    fields = DraftFields(account="wörk", sender="Zoë <zoe@example.net>", to="bob@example.org",
                         subject="Grüße", body="long body\n",
                         attached_files=(AttachedFile("a.bin", "application/pdf", b"x" * 1000),))
    headers = draft_headers(draft_to_bytes(fields, "<d@x>"))
    assert (headers.account, headers.sender, headers.to, headers.subject) == (
        "wörk", "Zoë <zoe@example.net>", "bob@example.org", "Grüße")
    assert headers.body == "" and headers.attached_files == ()
