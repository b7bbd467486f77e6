"""Autocrypt's Setup Message: the user's secret key sent to themselves, encrypted with a Setup
Code, and taken over by another device that is given the code; made and opened with the real
gpg, and opened as another Autocrypt program makes it."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest

from tests.support.crypto import CAROL_PASSPHRASE, Keyring
from tui_mail.crypto.autocrypt_setup import (
    SETUP_TYPE,
    SetupPassphraseNeeded,
    normalized_code,
    passphrase_begin,
    setup_code,
    setup_message,
    take_over,
)
from tui_mail.crypto.gnupg import CryptoError, GnuPG

WHEN = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def other_device() -> Iterator[GnuPG]:
    """An empty GnuPG home: the user's other device."""
    home = Path(tempfile.mkdtemp(prefix="d", dir="/tmp"))
    home.chmod(0o700)
    yield GnuPG("gpg", home=home)
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True,
                   check=False, timeout=30)
    shutil.rmtree(home, ignore_errors=True)


def attachment(raw: bytes) -> bytes:
    part: Message = next(p for p in message_from_bytes(raw).walk()
                         if p.get_content_type() == SETUP_TYPE)
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload


def test_a_setup_code_is_36_random_digits_in_nine_groups() -> None:
    code = setup_code()
    assert re.fullmatch(r"\d{4}(-\d{4}){8}", code)
    assert setup_code() != code
    assert normalized_code(code.replace("-", " ")) == code
    assert normalized_code(code.replace("-", "")) == code
    assert normalized_code("1234-5678") == ""


def test_the_message_is_to_and_from_the_user_with_the_setup_as_level_1_gives_it(
        gnupg: Keyring) -> None:
    code = setup_code()
    raw = setup_message(GnuPG("gpg"), "alice@example.org", True, code, when=WHEN,
                        message_id="<setup@alice>")
    message = message_from_bytes(raw)
    assert (message["From"], message["To"]) == ("<alice@example.org>", "<alice@example.org>")
    assert message["Subject"] == "Autocrypt Setup Message"
    assert message["Autocrypt-Setup-Message"] == "v1"
    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/mixed", "text/plain", SETUP_TYPE]
    page = attachment(raw)
    assert b"-----BEGIN PGP MESSAGE-----\r\nPassphrase-Format: numeric9x4\r\n" \
        b"Passphrase-Begin: " + code[:2].encode() in page
    assert passphrase_begin(page) == code[:2]
    assert b"PRIVATE KEY" not in raw  # only encrypted


def test_another_gpg_given_the_code_opens_it_as_another_client_would(gnupg: Keyring) -> None:
    code = setup_code()
    page = attachment(setup_message(GnuPG("gpg"), "alice@example.org", False, code,
                                    when=WHEN, message_id="<setup@alice>"))
    block = page[page.index(b"-----BEGIN PGP MESSAGE"):page.index(b"</pre>")]
    plain = gnupg.gpg("--pinentry-mode", "loopback", "--passphrase", code, "--decrypt",
                      data=block)
    assert plain.startswith(b"-----BEGIN PGP PRIVATE KEY BLOCK-----\r\n"
                            b"Autocrypt-Prefer-Encrypt: nopreference\r\n")


def test_the_other_device_takes_the_key_over_with_the_code_and_can_decrypt(
        gnupg: Keyring, other_device: GnuPG) -> None:
    code = setup_code()
    page = attachment(setup_message(GnuPG("gpg"), "alice@example.org", True, code,
                                    when=WHEN, message_id="<setup@alice>"))
    with pytest.raises(CryptoError, match="the Setup Code does not open it"):
        take_over(other_device, page, "1111-" * 8 + "1111")
    with pytest.raises(CryptoError, match="36 digits"):
        take_over(other_device, page, "1234")
    done = take_over(other_device, page, " ".join(code.split("-")))
    [key] = done.imported.changed
    assert key.fingerprint == gnupg.fingerprints["alice@example.org"]
    assert key.secret and key.validity == "ultimate" and done.mutual
    secret = gnupg.gpg("--armor", "--trust-model", "always", "--encrypt", "--recipient",
                       "alice@example.org", data=b"for both devices\n", home=gnupg.other)
    opened = other_device.run(["--decrypt"], secret)
    assert opened.output == b"for both devices\n"
    again = take_over(other_device, page, code)
    assert again.imported.changed == () and len(again.imported.unchanged) == 1


def test_a_setup_message_made_by_another_program_is_taken_over(
        gnupg: Keyring, other_device: GnuPG) -> None:
    """As level 1's own example is made: the armored secret key, symmetrically encrypted with
    the code, in the attachment's <pre>."""
    code = "1742-0185-6197-1303-7016-8412-3581-4441-0597"
    secret = gnupg.gpg("--armor", "--export-secret-keys", "alice@example.org")
    secret = secret.replace(b"-----\n", b"-----\nAutocrypt-Prefer-Encrypt: mutual\n", 1)
    block = gnupg.gpg("--pinentry-mode", "loopback", "--passphrase", code, "--symmetric",
                      "--armor", "--cipher-algo", "AES128", data=secret)
    block = block.replace(b"-----\n", b"-----\nPassphrase-Format: numeric9x4\n"
                                      b"Passphrase-Begin: 17\n", 1)
    page = b"<html><body><pre>\n" + block + b"</pre></body></html>\n"
    done = take_over(other_device, page, code)
    assert [k.fingerprint for k in done.imported.changed] == [
        gnupg.fingerprints["alice@example.org"]]
    assert done.mutual


def test_a_key_with_a_passphrase_asks_for_it_before_it_is_exported(gnupg: Keyring) -> None:
    with pytest.raises(SetupPassphraseNeeded) as asked:
        setup_message(GnuPG("gpg"), "carol@example.com", False, setup_code(), when=WHEN,
                      message_id="<setup@carol>")
    assert asked.value.key_hint == "Carol <carol@example.com>"
    raw = setup_message(GnuPG("gpg"), "carol@example.com", False, setup_code(), when=WHEN,
                        message_id="<setup@carol>", passphrase=CAROL_PASSPHRASE)
    assert b"Autocrypt-Setup-Message: v1" in raw


def test_no_secret_key_for_the_address_is_said_in_words(gnupg: Keyring) -> None:
    with pytest.raises(CryptoError, match="no secret key for bob@example.net"):
        setup_message(GnuPG("gpg"), "bob@example.net", False, setup_code(), when=WHEN,
                      message_id="<setup@bob>")
    with pytest.raises(CryptoError, match="not an Autocrypt Setup Message"):
        take_over(GnuPG("gpg"), b"<html>hello</html>", setup_code())


def test_a_setup_holding_another_key_beside_the_secret_one_is_refused(
        gnupg: Keyring, other_device: GnuPG) -> None:
    """Everything a setup holds would be trusted as the user's own: a key for someone else
    packed in beside theirs makes it refused whole (review F7)."""
    code = "1742-0185-6197-1303-7016-8412-3581-4441-0597"
    secret = gnupg.gpg("--armor", "--export-secret-keys", "alice@example.org")
    planted = gnupg.gpg("--armor", "--export", "mallory@example.org", home=gnupg.other)
    block = gnupg.gpg("--pinentry-mode", "loopback", "--passphrase", code, "--symmetric",
                      "--armor", data=secret + planted)
    with pytest.raises(CryptoError, match="it holds 2 keys where a setup holds your one"):
        take_over(other_device, b"<pre>\n" + block + b"</pre>", code)
    assert other_device.run(["--list-keys", "--with-colons"]).output.count(b"pub:") == 0
