"""`tui-mail show` opens signed and encrypted mail as the reader does: the same header lines,
the decrypted body, and no question where there is no terminal to ask on."""

from __future__ import annotations

import os
import pty
import select
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli import TuiMail
from tests.support.crypto import CAROL_PASSPHRASE, Keyring, text_part

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


def test_show_in_a_terminal_asks_for_the_passphrase_and_prints_the_text(
        tui_mail: TuiMail, gnupg: Keyring, tmp_path: Path) -> None:
    eml = tmp_path / "for-carol.eml"
    eml.write_bytes(gnupg.pgp_encrypted(text_part("For Carol.\n"), to="carol@example.com"))
    command = [sys.executable, "-m", "tui_mail", "--config", str(tui_mail.config), "show",
               str(eml)]
    said = run_in_terminal(command, tui_mail.env(), answer=CAROL_PASSPHRASE,
                           after="Passphrase for Carol <carol@example.com>: ")
    assert "For Carol." in said and "\nEncrypted: OpenPGP" in said.replace("\r\n", "\n")
    assert CAROL_PASSPHRASE not in said  # not echoed


def run_in_terminal(command: list[str], env: dict[str, str], *, answer: str,
                    after: str) -> str:
    """Run `command` on a pseudo-terminal of its own, type `answer` once `after` was shown,
    and give everything it wrote."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command, on the terminal
        os.execvpe(command[0], command, env)
    seen = b""
    answered = False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # the command ended: the terminal is gone
                    break
                if not chunk:
                    break
                seen += chunk
            if not answered and after.encode() in seen:
                os.write(fd, answer.encode() + b"\n")
                answered = True
        assert answered, seen.decode(errors="replace")
    finally:
        os.close(fd)
        os.waitpid(pid, 0)
    return seen.decode(errors="replace")
