"""`tui-mail show` opens signed and encrypted mail as the reader does: the same header lines,
the decrypted body, and no question where there is no terminal to ask on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import TuiMail
from tests.support.crypto import Keyring, text_part

pytestmark = pytest.mark.usefixtures("gnupg")


@pytest.fixture
def tui_mail(tmp_path: Path) -> TuiMail:
    return TuiMail.without_accounts(tmp_path)


def test_show_says_who_signed_a_message_and_prints_its_text(
        tui_mail: TuiMail, gnupg: Keyring, tmp_path: Path) -> None:
    eml = tmp_path / "signed.eml"
    eml.write_bytes(gnupg.pgp_signed(text_part("Signed words.\n")))
    run = tui_mail("show", str(eml))
    assert run.returncode == 0, run.output
    fingerprint = gnupg.fingerprints["alice@example.org"]
    assert f"\nSigned: Alice <alice@example.org> · key {fingerprint[:4]} " in run.stdout
    assert "Signed words." in run.stdout


def test_show_prints_an_encrypted_message_decrypted(
        tui_mail: TuiMail, gnupg: Keyring, tmp_path: Path) -> None:
    eml = tmp_path / "encrypted.eml"
    eml.write_bytes(gnupg.smime_encrypted(text_part("S/MIME for Alice.\n")))
    run = tui_mail("show", str(eml))
    assert run.returncode == 0, run.output
    assert "\nEncrypted: S/MIME" in run.stdout and "S/MIME for Alice." in run.stdout


def test_show_from_standard_input_does_not_ask_for_a_passphrase_and_says_why_not(
        tui_mail: TuiMail, gnupg: Keyring) -> None:
    raw = gnupg.pgp_encrypted(text_part("For Carol.\n"), to="carol@example.com")
    run = tui_mail("show", "-", stdin=raw.decode())
    assert run.returncode == 0, run.output
    assert "⚠ Encrypted: OpenPGP, not decrypted: the key needs its passphrase" in run.stdout
    assert "For Carol." not in run.stdout
