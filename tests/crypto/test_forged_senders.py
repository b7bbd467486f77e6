"""What a forger cannot make the header block say: protected headers count only when their
layer holds, the From shown is never replaced by one inside, and a key proves the sender only
through the user id that is the From address (with that user id's own validity)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from tests.support.crypto import Keyring, text_part
from tui_mail.crypto.opening import open_message
from tui_mail.mail.security import security_rows
from tui_mail.model import KeyValidity, ProtectedSender, Signature, SignatureState


def protected(text: str, headers: str) -> bytes:
    """A text part carrying protected headers (RFC 9788)."""
    entity = (f'Content-Type: text/plain; charset=utf-8; protected-headers="v1"\r\n'
              f"{headers}\r\n{text}")
    return entity.replace("\r\n", "\n").replace("\n", "\r\n").encode()


def shown(raw: bytes) -> tuple[str, str]:
    message = message_from_bytes(raw, policy=default)
    return str(message["From"]), str(message["Subject"])


def signatures_of(layers: tuple) -> list[Signature]:
    return [layer for layer in layers if isinstance(layer, Signature)]


def test_a_bad_signature_changes_no_header(gnupg: Keyring) -> None:
    inner = protected("Pay 10 EUR\n", "Subject: Invoice 10 EUR\r\n")
    signed = gnupg.pgp_signed(inner)
    assert shown(open_message(signed).raw)[1] == "Invoice 10 EUR"
    raw = signed.replace(b"Pay 10 EUR", b"Pay 90 EUR").replace(
        b"Subject: Invoice 10 EUR", b"Subject: Invoice 90 EUR")
    opened = open_message(raw)
    assert signatures_of(opened.layers)[0].state is SignatureState.BAD
    assert shown(opened.raw) == ("Alice <alice@example.org>", "A protected note")


def test_a_signature_that_cannot_be_checked_changes_no_header(gnupg: Keyring) -> None:
    inner = protected("Hello\n", "Subject: Urgent: your account\r\n")
    opened = open_message(gnupg.pgp_signed(inner, signer="mallory@example.org"))
    assert signatures_of(opened.layers)[0].state is SignatureState.UNKNOWN_KEY
    assert shown(opened.raw)[1] == "A protected note"


def test_a_good_signature_shows_the_protected_subject(gnupg: Keyring) -> None:
    inner = protected("Hello\n", "Subject: The signed subject\r\n")
    opened = open_message(gnupg.pgp_signed(inner))
    assert signatures_of(opened.layers)[0].state is SignatureState.GOOD
    assert shown(opened.raw)[1] == "The signed subject"


def test_a_protected_from_never_replaces_the_from_and_is_shown_beside_it(
        gnupg: Keyring) -> None:
    """Bob encrypts and signs, saying inside that he is Alice: the From shown stays Bob's,
    his signature is checked against it, and a line says what the inside claims."""
    inner = protected("It is me, Alice\n", "From: Alice <alice@example.org>\r\n"
                      "Subject: From Alice, really\r\n")
    outer = ("From: Bob <bob@example.net>\r\nTo: <alice@example.org>\r\nSubject: ...\r\n"
             "MIME-Version: 1.0\r\n")
    opened = open_message(gnupg.pgp_encrypted(inner, signer="bob@example.net", headers=outer))
    assert shown(opened.raw) == ("Bob <bob@example.net>", "From Alice, really")
    (signature,) = signatures_of(opened.layers)
    assert signature.state is SignatureState.GOOD and signature.matches_sender
    (claim,) = [layer for layer in opened.layers if isinstance(layer, ProtectedSender)]
    assert claim.address == "alice@example.org" and claim.signed
    label, value = security_rows(opened.layers)[-1]
    assert label == "⚠ Sender"
    assert value.startswith("the signed part says it is from alice@example.org, not the From")


def test_a_protected_from_that_is_the_from_adds_no_line(gnupg: Keyring) -> None:
    inner = protected("Hi\n", "From: Robert <BOB@example.net>\r\nSubject: Real\r\n")
    outer = ("From: Bob <bob@example.net>\r\nTo: <alice@example.org>\r\nSubject: ...\r\n"
             "MIME-Version: 1.0\r\n")
    opened = open_message(gnupg.pgp_encrypted(inner, signer="bob@example.net", headers=outer))
    assert not [layer for layer in opened.layers if isinstance(layer, ProtectedSender)]


def test_a_signed_message_without_a_from_does_not_match_a_sender(gnupg: Keyring) -> None:
    no_from = "To: <bob@example.net>\r\nSubject: Anonymous\r\nMIME-Version: 1.0\r\n"
    opened = open_message(gnupg.pgp_signed(text_part("Who am I?\n"), headers=no_from))
    (signature,) = signatures_of(opened.layers)
    assert signature.state is SignatureState.GOOD and not signature.matches_sender
    assert security_rows(opened.layers)[0][0] == "⚠ Signed"


@pytest.fixture
def erin(own_gnupg: Keyring) -> Iterator[Keyring]:
    """Erin's key with two user ids, erin@example.net (certified by the user's own key) and
    security@bank.example (which nobody certified: anyone can add any user id to a key)."""
    home = Path(tempfile.mkdtemp(prefix="e", dir="/tmp"))
    home.chmod(0o700)

    def gpg(*args: str, data: bytes = b"", at: Path = home) -> bytes:
        return subprocess.run(["gpg", "--batch", "--no-tty", "--homedir", str(at),
                               "--pinentry-mode", "loopback", "--passphrase", "", *args],
                              input=data, capture_output=True, check=True, timeout=60).stdout

    gpg("--quick-gen-key", "Erin <erin@example.net>", "ed25519", "sign,cert", "never")
    fingerprint = next(line.split(":")[9] for line in gpg(
        "--with-colons", "--list-keys", "erin@example.net").decode().splitlines()
        if line.startswith("fpr:"))
    gpg("--quick-add-uid", fingerprint, "Bank Security <security@bank.example>")
    gpg("--import", data=gpg("--export", fingerprint), at=own_gnupg.home)
    gpg("--quick-lsign-key", fingerprint, "Erin <erin@example.net>", at=own_gnupg.home)
    own_gnupg.fingerprints["erin"] = fingerprint
    yield Keyring(own_gnupg.home, home, own_gnupg.fingerprints, own_gnupg.smime)
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True,
                   check=False, timeout=30)
    shutil.rmtree(home, ignore_errors=True)


def erin_signed(keyring: Keyring, sender: str) -> bytes:
    headers = (f"From: <{sender}>\r\nTo: <alice@example.org>\r\nSubject: Your account\r\n"
               "MIME-Version: 1.0\r\n")
    inner = text_part("Please confirm your password.\n")
    signature = subprocess.run(
        ["gpg", "--batch", "--homedir", str(keyring.other), "--armor", "--detach-sign",
         "--local-user", keyring.fingerprints["erin"]], input=inner, capture_output=True,
        check=True, timeout=60).stdout
    boundary = "b0undary"
    return (f"{headers}Content-Type: multipart/signed; protocol=\"application/pgp-signature\";"
            f" micalg=pgp-sha256; boundary=\"{boundary}\"\r\n\r\n--{boundary}\r\n").encode() \
        + inner + (f"\r\n--{boundary}\r\nContent-Type: application/pgp-signature\r\n\r\n"
                   ).encode() + signature.replace(b"\n", b"\r\n") \
        + f"\r\n--{boundary}--\r\n".encode()


def test_a_key_certified_for_one_address_proves_only_that_address(erin: Keyring) -> None:
    (certified,) = signatures_of(open_message(erin_signed(erin, "erin@example.net")).layers)
    assert certified.validity is KeyValidity.FULL and certified.matches_sender
    assert security_rows([certified])[0][0] == "Signed"

    (claimed,) = signatures_of(open_message(erin_signed(erin, "security@bank.example")).layers)
    assert claimed.state is SignatureState.GOOD and claimed.matches_sender
    assert claimed.validity is KeyValidity.UNKNOWN  # the key is valid, that user id is not
    assert claimed.user_id == "Bank Security <security@bank.example>"
    label, value = security_rows([claimed])[0]
    assert label == "⚠ Signed" and "nothing certifies the key is theirs" in value
