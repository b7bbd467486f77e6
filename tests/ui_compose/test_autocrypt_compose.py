"""Autocrypt in the composer: an account that takes part sends the user's key in an Autocrypt
header, learns correspondents' keys from theirs, follows level 1's recommendation on the
Security line, and encrypts with a key from a header without putting it in the keyring."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from tests.support.composer import type_into
from tests.support.crypto import Keyring
from tests.support.pilot import run_until, settle
from tests.support.sendmail import calls, last_message
from tests.ui_compose.test_signing_and_encrypting import security_line, sending_account, write
from tui_mail.crypto.keys import list_keys
from tui_mail.mail.autocrypt import autocrypt_header, parse_autocrypt
from tui_mail.model import AutocryptMode, FolderRole
from tui_mail.store import NewMessage, Store
from tui_mail.ui.app import TuiMailApp

pytestmark = pytest.mark.usefixtures("gnupg")
MALLORY = "mallory@example.org"  # her key is in no keyring of the user's


def mallory_wrote(gnupg: Keyring, cache: Path, *, mutual: bool) -> None:
    """A message from Mallory, her key in its Autocrypt header, cached in `work`'s INBOX."""
    key = gnupg.gpg("--export", MALLORY, home=gnupg.other)
    raw = (f"From: Mallory <{MALLORY}>\r\nTo: alice@example.org\r\nSubject: Hello\r\n"
           f"Date: Mon, 30 Nov 2026 09:00:00 +0000\r\nMessage-ID: <hello@mallory>\r\n"
           f"Autocrypt: {autocrypt_header(MALLORY, key, mutual)}\r\n\r\nHi Alice\r\n").encode()
    with Store.open(cache) as store:
        store.ensure_folder("work", "INBOX", FolderRole.INBOX)
        store.add_messages("work", "INBOX", [NewMessage(uid=901, raw=raw)])


def mallory_reads(gnupg: Keyring, sent: bytes) -> bytes:
    armored = sent[sent.index(b"-----BEGIN PGP MESSAGE"):]
    return gnupg.gpg("--decrypt", data=armored, home=gnupg.other)


async def test_mail_to_a_mutual_peer_is_encrypted_with_the_key_from_her_header(
        make_app: Callable[..., TuiMailApp], tmp_path: Path, gnupg: Keyring) -> None:
    mallory_wrote(gnupg, tmp_path / "cache.sqlite3", mutual=True)
    app = make_app(accounts=(sending_account(tmp_path, autocrypt=AutocryptMode.MUTUAL),))
    async with app.run_test(size=(140, 36)) as pilot:
        await write(pilot, MALLORY, subject="Our secret")
        await run_until(pilot, lambda: "Autocrypt" in security_line(app))
        assert security_line(app).startswith(
            "not signed · encrypted to every recipient (and you) · Autocrypt: every recipient"
            " asks for it")
        await pilot.press("ctrl+t")
        await run_until(pilot, lambda: bool(calls(tmp_path)))
    sent = last_message(tmp_path)
    outer = message_from_bytes(sent, policy=default)
    assert outer.get_content_type() == "multipart/encrypted" and outer["Subject"] == "..."
    assert b"Dinner at eight" in mallory_reads(gnupg, sent)
    # The user's key travels in the header, for Mallory's mail program to learn.
    own = parse_autocrypt([str(v) for v in outer.get_all("Autocrypt", [])],
                          "alice@example.org")
    assert own is not None and own.mutual
    shown = gnupg.gpg("--show-keys", "--with-colons", data=own.keydata).decode()
    assert gnupg.fingerprints["alice@example.org"] in shown
    assert "uid:" in shown and shown.count("uid:") == 1
    # Her key was used from the cache: the user's keyring does not hold it.
    assert not any(key.fingerprint == gnupg.fingerprints[MALLORY] for key in list_keys())


async def test_a_peer_without_a_preference_is_offered_and_f6_encrypts_to_her(
        make_app: Callable[..., TuiMailApp], tmp_path: Path, gnupg: Keyring) -> None:
    mallory_wrote(gnupg, tmp_path / "cache.sqlite3", mutual=False)
    app = make_app(accounts=(sending_account(tmp_path, autocrypt=AutocryptMode.MUTUAL),))
    async with app.run_test(size=(140, 36)) as pilot:
        await write(pilot, MALLORY)
        await run_until(pilot, lambda: "Autocrypt" in security_line(app))
        assert security_line(app).startswith(
            "not signed · not encrypted · Autocrypt: every recipient has a key")
        await pilot.press("f6")
        assert security_line(app).startswith(
            "not signed · encrypted to every recipient (and you)")
        await pilot.press("ctrl+t")
        await run_until(pilot, lambda: bool(calls(tmp_path)))
    assert b"Dinner at eight" in mallory_reads(gnupg, last_message(tmp_path))


async def test_a_recipient_nobody_knows_turns_the_recommendation_off(
        make_app: Callable[..., TuiMailApp], tmp_path: Path, gnupg: Keyring) -> None:
    mallory_wrote(gnupg, tmp_path / "cache.sqlite3", mutual=True)
    app = make_app(accounts=(sending_account(tmp_path, autocrypt=AutocryptMode.MUTUAL),))
    async with app.run_test(size=(140, 36)) as pilot:
        await write(pilot, MALLORY)
        await run_until(pilot, lambda: "Autocrypt" in security_line(app))
        await type_into(pilot, "to", ", stranger@example.com")
        await run_until(pilot, lambda: "Autocrypt" not in security_line(app))
        assert security_line(app).startswith("not signed · not encrypted  (")
        await pilot.press("ctrl+t")
        await run_until(pilot, lambda: bool(calls(tmp_path)))
    sent = message_from_bytes(last_message(tmp_path), policy=default)
    assert sent.get_content_type() == "text/plain" and sent["Autocrypt"] is not None


async def test_a_copy_to_oneself_keeps_the_recommendation(
        make_app: Callable[..., TuiMailApp], tmp_path: Path, gnupg: Keyring) -> None:
    """The user's own address in Cc is encrypted to their own key anyway: it does not turn
    Autocrypt's advice off (review F8)."""
    mallory_wrote(gnupg, tmp_path / "cache.sqlite3", mutual=True)
    app = make_app(accounts=(sending_account(tmp_path, autocrypt=AutocryptMode.MUTUAL),))
    async with app.run_test(size=(140, 36)) as pilot:
        await write(pilot, MALLORY)
        await type_into(pilot, "cc", "alice@example.org")
        await run_until(pilot, lambda: "Autocrypt: every recipient asks" in security_line(app))


async def test_a_header_whose_key_cannot_be_used_counts_as_no_key(
        make_app: Callable[..., TuiMailApp], tmp_path: Path, gnupg: Keyring) -> None:
    """A forged or broken header (prefer-encrypt=mutual, keydata that is no key) must not
    make the composer encrypt a message it then cannot send (review F1)."""
    raw = (f"From: Mallory <{MALLORY}>\r\nTo: alice@example.org\r\nSubject: Hello\r\n"
           "Date: Mon, 30 Nov 2026 09:00:00 +0000\r\nMessage-ID: <bad@mallory>\r\n"
           f"Autocrypt: {autocrypt_header(MALLORY, b'not a key at all', True)}\r\n\r\nHi\r\n")
    with Store.open(tmp_path / "cache.sqlite3") as store:
        store.ensure_folder("work", "INBOX", FolderRole.INBOX)
        store.add_messages("work", "INBOX", [NewMessage(uid=902, raw=raw.encode())])
    app = make_app(accounts=(sending_account(tmp_path, autocrypt=AutocryptMode.MUTUAL),))
    async with app.run_test(size=(140, 36)) as pilot:
        await write(pilot, MALLORY)
        await settle(pilot)  # the recommendation's timer and worker have run
        assert security_line(app).startswith("not signed · not encrypted  (")
        await pilot.press("ctrl+t")
        await run_until(pilot, lambda: bool(calls(tmp_path)))
    assert message_from_bytes(last_message(tmp_path), policy=default).get_content_type() \
        == "text/plain"


async def test_an_account_without_autocrypt_sends_no_header(
        make_app: Callable[..., TuiMailApp], tmp_path: Path, gnupg: Keyring) -> None:
    mallory_wrote(gnupg, tmp_path / "cache.sqlite3", mutual=True)
    app = make_app(accounts=(sending_account(tmp_path),))
    async with app.run_test(size=(140, 36)) as pilot:
        await write(pilot, MALLORY)
        await settle(pilot)  # the recommendation's timer and worker would have run (F13)
        assert "Autocrypt" not in security_line(app)
        await pilot.press("ctrl+t")
        await run_until(pilot, lambda: bool(calls(tmp_path)))
    sent = message_from_bytes(last_message(tmp_path), policy=default)
    assert sent["Autocrypt"] is None and sent.get_content_type() == "text/plain"


def test_the_security_line_says_each_recommendation_in_words() -> None:
    from tui_mail.crypto.outgoing import SecurityChoice
    from tui_mail.mail.autocrypt import Recommendation

    def line(recommendation: Recommendation) -> str:
        return SecurityChoice(recommendation=recommendation).describe("a@example.org")

    assert line(Recommendation.ENCRYPT) == ("not signed · encrypted to every recipient (and you)"
                                            " · Autocrypt: every recipient asks for it")
    assert line(Recommendation.AVAILABLE).endswith("· Autocrypt: every recipient has a key")
    assert line(Recommendation.DISCOURAGE).endswith(
        "· Autocrypt: a recipient's key is old or known only from others")
    assert line(Recommendation.DISABLE) == "not signed · not encrypted"
    # F6 over "encrypt": the user's choice holds, and the line no longer claims Autocrypt's
    turned_off = SecurityChoice(recommendation=Recommendation.ENCRYPT).toggle_encrypt()
    assert turned_off.describe("a@example.org") == "not signed · not encrypted"
