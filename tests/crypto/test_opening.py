"""Signed and encrypted messages opened with the user's GnuPG: the suite's real keys
(tests/support/crypto.py), messages made by the gpg and openssl commands as other programs
make them, and what the header block then says."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

import pytest

from tests.support.crypto import CAROL_PASSPHRASE, Keyring, smime_certificate_of_stranger, text_part
from tui_mail.crypto.gnupg import GnuPG
from tui_mail.crypto.opening import Keyrings, open_message
from tui_mail.mail.security import security_rows
from tui_mail.model import CryptoKind, Encryption, KeyValidity, Signature, SignatureState

pytestmark = pytest.mark.usefixtures("gnupg")


def body_of(raw: bytes) -> str:
    message = message_from_bytes(raw, policy=default)
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def only_signature(layers: tuple) -> Signature:
    signatures = [layer for layer in layers if isinstance(layer, Signature)]
    assert len(signatures) == 1, layers
    return signatures[0]


def test_a_pgp_mime_signature_by_the_users_own_key_is_good_and_names_its_key(
        gnupg: Keyring) -> None:
    raw = gnupg.pgp_signed(text_part("Lunch at noon?\nAlice\n"))
    opened = open_message(raw)
    signature = only_signature(opened.layers)
    assert signature.kind is CryptoKind.OPENPGP
    assert signature.state is SignatureState.GOOD
    assert signature.fingerprint == gnupg.fingerprints["alice@example.org"]
    assert signature.user_id == "Alice <alice@example.org>"
    assert signature.validity is KeyValidity.FULL and signature.matches_sender
    assert body_of(opened.raw) == "Lunch at noon?\nAlice\n"
    assert not opened.decrypted
    label, value = security_rows(opened.layers)[0]
    assert label == "Signed"
    fingerprint = gnupg.fingerprints["alice@example.org"]
    assert value == (f"Alice <alice@example.org> · key {fingerprint[:4]} {fingerprint[4:8]} "
                     f"{' '.join(fingerprint[i:i + 4] for i in range(8, 40, 4))} (OpenPGP)")


def test_a_body_changed_after_signing_is_a_bad_signature(gnupg: Keyring) -> None:
    raw = gnupg.pgp_signed(text_part("Pay 10 EUR to Bob\n"))
    tampered = raw.replace(b"Pay 10 EUR", b"Pay 90 EUR")
    signature = only_signature(open_message(tampered).layers)
    assert signature.state is SignatureState.BAD
    assert security_rows([signature])[0][0] == "✗ Bad signature"
    assert "changed after it was signed" in security_rows([signature])[0][1]


def test_a_signature_by_a_key_nobody_certified_is_good_but_says_so(gnupg: Keyring) -> None:
    raw = gnupg.pgp_signed(text_part("From Bob\n"), signer="bob@example.net")
    signature = only_signature(open_message(raw).layers)
    assert signature.state is SignatureState.GOOD
    assert signature.validity is KeyValidity.UNKNOWN
    label, value = security_rows([signature])[0]
    assert label == "⚠ Signed" and "nothing certifies the key is theirs" in value


def test_a_signature_by_a_key_not_in_the_keyring_cannot_be_checked(gnupg: Keyring) -> None:
    raw = gnupg.pgp_signed(text_part("Hi\n"), signer="mallory@example.org")
    signature = only_signature(open_message(raw).layers)
    assert signature.state is SignatureState.UNKNOWN_KEY
    assert signature.key_id or signature.fingerprint
    label, value = security_rows([signature])[0]
    assert label == "⚠ Signed" and "not in your keyring" in value


def test_a_good_signature_by_someone_else_than_the_sender_is_flagged(gnupg: Keyring) -> None:
    forged_from = ("From: Carol <carol@example.com>\r\nTo: <alice@example.org>\r\n"
                   "Subject: Trust me\r\nMIME-Version: 1.0\r\n")
    raw = gnupg.pgp_signed(text_part("It is me, Carol\n"), headers=forged_from)
    signature = only_signature(open_message(raw).layers)
    assert signature.state is SignatureState.GOOD and not signature.matches_sender
    label, value = security_rows([signature])[0]
    assert label == "⚠ Signed" and "not the From address" in value


def test_an_encrypted_and_signed_message_is_decrypted_for_reading(gnupg: Keyring) -> None:
    raw = gnupg.pgp_encrypted(text_part("The code is 4711\n"), signer="bob@example.net")
    opened = open_message(raw)
    encryption, signature = opened.layers
    assert isinstance(encryption, Encryption) and encryption.decrypted
    assert isinstance(signature, Signature) and signature.state is SignatureState.GOOD
    assert signature.user_id == "Bob <bob@example.net>"
    assert body_of(opened.raw) == "The code is 4711\n"
    assert opened.decrypted
    assert b"4711" not in raw  # the plaintext exists only in what was opened
    label, value = security_rows(opened.layers)[0]  # named as the keyring knows the key
    assert (label, value) == ("Encrypted", "OpenPGP, to Alice <alice@example.org>; decrypted"
                                           " for reading only")


def test_a_message_encrypted_to_another_key_says_it_cannot_be_decrypted_and_why(
        gnupg: Keyring) -> None:
    raw = gnupg.pgp_encrypted(text_part("For Dave only\n"), to="dave@example.net")
    opened = open_message(raw)
    (encryption,) = opened.layers
    assert isinstance(encryption, Encryption) and not encryption.decrypted
    assert "not in your keyring" in encryption.error
    assert encryption.recipients  # the key id the message names
    assert opened.raw == raw and not opened.decrypted
    label, value = security_rows(opened.layers)[0]
    assert label == "⚠ Encrypted" and value.startswith("OpenPGP, not decrypted: it is encrypted")


def test_a_key_with_a_passphrase_asks_for_it_and_a_wrong_one_is_said(gnupg: Keyring) -> None:
    raw = gnupg.pgp_encrypted(text_part("Carol's secret\n"), to="carol@example.com")
    first = open_message(raw)
    wanted = first.needs_passphrase
    assert wanted is not None and "Carol <carol@example.com>" in wanted.key_hint
    wrong = open_message(raw, passphrase="not it")
    assert wrong.needs_passphrase is not None
    assert wrong.needs_passphrase.error == "the passphrase was wrong"
    right = open_message(raw, passphrase=CAROL_PASSPHRASE)
    assert right.needs_passphrase is None and right.decrypted
    assert body_of(right.raw) == "Carol's secret\n"


def test_inline_pgp_clearsigned_and_encrypted_text_are_opened(gnupg: Keyring) -> None:
    signed = open_message(gnupg.inline_signed("Signed inline\n"))
    assert only_signature(signed.layers).state is SignatureState.GOOD
    assert body_of(signed.raw).strip() == "Signed inline"
    encrypted = open_message(gnupg.inline_encrypted("Encrypted inline, été\n"))
    assert encrypted.decrypted and body_of(encrypted.raw) == "Encrypted inline, été\n"


def test_an_armored_message_that_is_only_signed_is_checked_not_called_encrypted(
        gnupg: Keyring) -> None:
    """gpg --sign --armor makes a PGP MESSAGE block that is signed, not encrypted."""
    body = gnupg.gpg("--armor", "--sign", "--local-user", "alice@example.org",
                     data=b"Signed, not secret\n")
    raw = (b"From: Alice <alice@example.org>\r\nTo: <bob@example.net>\r\nSubject: Hi\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body.replace(b"\n", b"\r\n"))
    opened = open_message(raw)
    signature = only_signature(opened.layers)
    assert signature.state is SignatureState.GOOD and signature.matches_sender
    assert not any(isinstance(layer, Encryption) for layer in opened.layers)
    assert body_of(opened.raw) == "Signed, not secret\n"


def test_text_after_an_inline_signed_block_is_said_to_be_there_and_not_signed(
        gnupg: Keyring) -> None:
    raw = gnupg.inline_signed("Meet at noon\n") + b"\r\nP.S. and bring the money\r\n"
    opened = open_message(raw)
    assert only_signature(opened.layers).state is SignatureState.GOOD
    assert "money" not in body_of(opened.raw)
    label, value = security_rows(opened.layers)[-1]
    assert label == "⚠ Not shown" and value.startswith("text after the signed block")
    clean = open_message(gnupg.inline_signed("Meet at noon\n") + b"\r\n\r\n")
    assert [row[0] for row in security_rows(clean.layers)] == ["Signed"]


def test_smime_detached_and_opaque_signatures_by_a_certified_certificate_are_good(
        gnupg: Keyring) -> None:
    for opaque in (False, True):
        opened = open_message(gnupg.smime_signed(text_part("Signed by S/MIME\n"),
                                                 opaque=opaque))
        signature = only_signature(opened.layers)
        assert signature.kind is CryptoKind.SMIME
        assert signature.state is SignatureState.GOOD, (opaque, signature)
        assert signature.user_id == "Alice <alice@example.org>"
        assert signature.validity is KeyValidity.FULL
        assert body_of(opened.raw) == "Signed by S/MIME\n"
        assert security_rows(opened.layers)[0][0] == "Signed"


def test_a_changed_smime_signed_message_is_a_bad_signature(gnupg: Keyring) -> None:
    raw = gnupg.smime_signed(text_part("Meet at 10\n"))
    signature = only_signature(open_message(raw.replace(b"Meet at 10", b"Meet at 11")).layers)
    assert signature.state is SignatureState.BAD


def test_smime_encrypted_mail_is_decrypted_and_mail_to_another_certificate_is_not(
        gnupg: Keyring) -> None:
    opened = open_message(gnupg.smime_encrypted(text_part("S/MIME secret\n")))
    (encryption,) = opened.layers
    assert isinstance(encryption, Encryption) and encryption.decrypted
    assert encryption.kind is CryptoKind.SMIME
    assert body_of(opened.raw) == "S/MIME secret\n"
    stranger = smime_certificate_of_stranger(gnupg)
    refused = open_message(gnupg.smime_encrypted(text_part("Not yours\n"),
                                                 certificate=stranger))
    (encryption,) = refused.layers
    assert isinstance(encryption, Encryption) and not encryption.decrypted
    assert "not in your keyring" in encryption.error


def test_protected_headers_inside_the_encryption_replace_the_outer_ones(gnupg: Keyring) -> None:
    inner = (b'Content-Type: text/plain; charset=utf-8; protected-headers="v1"\r\n'
             b"Subject: The real subject\r\n\r\nHidden subject inside\r\n")
    outer = ("From: Bob <bob@example.net>\r\nTo: <alice@example.org>\r\nSubject: ...\r\n"
             "MIME-Version: 1.0\r\n")
    opened = open_message(gnupg.pgp_encrypted(inner, signer="bob@example.net", headers=outer))
    message = message_from_bytes(opened.raw, policy=default)
    assert message["Subject"] == "The real subject"
    assert message["From"] == "Bob <bob@example.net>"


def test_without_gnupg_installed_the_message_says_what_to_install(gnupg: Keyring) -> None:
    raw = gnupg.pgp_signed(text_part("Hi\n"))
    missing = Keyrings(GnuPG("gpg-not-installed-here"), GnuPG("gpgsm-not-installed-here"))
    opened = open_message(raw, missing)
    signature = only_signature(opened.layers)
    assert signature.state is SignatureState.ERROR
    assert "gpg-not-installed-here is not installed" in signature.error
    assert "not checked" in security_rows(opened.layers)[0][1]
