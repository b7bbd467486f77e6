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


def test_keys_learned_by_autocrypt_are_listed_and_one_is_imported_on_request(
        tui_mail: TuiMail, own_gnupg: Keyring) -> None:
    from tui_mail.mail.autocrypt import autocrypt_header
    from tui_mail.model import FolderRole
    from tui_mail.store import NewMessage, Store

    assert tui_mail("keys", "autocrypt").stdout.startswith("No Autocrypt key learned yet")
    key = own_gnupg.gpg("--export", "mallory@example.org", home=own_gnupg.other)
    raw = ("From: Mallory <mallory@example.org>\r\nTo: alice@example.org\r\nSubject: Hi\r\n"
           "Date: Mon, 30 Nov 2026 09:00:00 +0000\r\nMessage-ID: <hi@mallory>\r\n"
           f"Autocrypt: {autocrypt_header('mallory@example.org', key, True)}\r\n\r\nHi\r\n")
    cache = tui_mail.home / "data" / "tui-mail" / "cache.sqlite3"
    cache.parent.mkdir(parents=True, exist_ok=True)
    with Store.open(cache) as store:
        store.ensure_folder("work", "INBOX", FolderRole.INBOX)
        store.add_messages("work", "INBOX", [NewMessage(uid=1, raw=raw.encode())])

    listed = tui_mail("keys", "autocrypt")
    assert listed.returncode == 0, listed.output
    fingerprint = grouped(own_gnupg.fingerprints["mallory@example.org"])
    assert listed.stdout.splitlines() == [
        "mallory@example.org  (work; prefers encryption; key sent 2026-11-30, mail last seen"
        " 2026-11-30)", f"       {fingerprint}"]
    assert "Mallory" not in tui_mail("keys").stdout  # learned, not in the keyring

    unknown = tui_mail("keys", "import", "--autocrypt", "bob@example.net")
    assert unknown.returncode == 2 and "no Autocrypt key learned for bob@example.net" \
        in unknown.stderr
    imported = tui_mail("keys", "import", "--autocrypt", "Mallory@example.org")
    assert imported.returncode == 0, imported.output
    assert imported.stdout.startswith("imported key    Mallory <mallory@example.org>")
    assert fingerprint in tui_mail("keys").stdout
