"""`tui-mail keys`: the keyring's OpenPGP keys with their fingerprints, and a key file
imported."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import TuiMail
from tests.support.crypto import Keyring
from tui_mail.mail.security import grouped


@pytest.fixture
def tui_mail(tmp_path: Path) -> TuiMail:
    return TuiMail.without_accounts(tmp_path)


def test_keys_lists_yours_first_with_fingerprints_to_compare(
        tui_mail: TuiMail, own_gnupg: Keyring) -> None:
    run = tui_mail("keys")
    assert run.returncode == 0, run.output
    lines = run.stdout.splitlines()
    assert lines[0] == "yours  Alice <alice@example.org>  (ultimate; sign/encrypt)"
    assert lines[1] == "       " + grouped(own_gnupg.fingerprints["alice@example.org"])
    assert "key    Bob <bob@example.net>  (unknown; sign/encrypt)" in lines


def test_keys_import_takes_a_key_file_and_says_to_compare_its_fingerprint(
        tui_mail: TuiMail, own_gnupg: Keyring, tmp_path: Path) -> None:
    key = tmp_path / "mallory.asc"
    key.write_bytes(own_gnupg.gpg("--armor", "--export", "mallory@example.org",
                                  home=own_gnupg.other))
    run = tui_mail("keys", "import", str(key))
    assert run.returncode == 0, run.output
    assert run.stdout.startswith("imported key    Mallory <mallory@example.org>")
    assert grouped(own_gnupg.fingerprints["mallory@example.org"]) in run.stdout
    assert "Compare the fingerprint" in run.stdout
    assert "Mallory <mallory@example.org>" in tui_mail("keys").stdout

    not_a_key = tmp_path / "note.txt"
    not_a_key.write_text("hello\n")
    refused = tui_mail("keys", "import", str(not_a_key))
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"tui-mail: {not_a_key}: no OpenPGP key in it")
