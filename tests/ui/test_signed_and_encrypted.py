"""Signed and encrypted messages in the reader: the header block says who signed and whether it
holds, an encrypted body is shown decrypted while the cache keeps what the server sent, and a
key that needs its passphrase asks for it on the message screen."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import pytest
from textual.widgets import Input, Static, TextArea

from tests.support import app as support
from tests.support.accounts import OFFLINE
from tests.support.crypto import CAROL_PASSPHRASE, Keyring, text_part
from tests.support.pilot import open_first, run_until, screen_text, settle, type_query
from tui_mail.crypto.keys import list_keys
from tui_mail.mail.security import grouped
from tui_mail.model import Address, AutocryptMode
from tui_mail.store.db import Store
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.screens.ask_text import AskText
from tui_mail.ui.screens.composer import ComposerScreen
from tui_mail.ui.screens.message import MessageScreen
from tui_mail.ui.screens.picker import AttachmentPicker
from tui_mail.ui.widgets.search_bar import SearchBar


@pytest.fixture
def app_with(tmp_path: Path) -> Callable[[Sequence[bytes]], TuiMailApp]:
    """An app over a cache holding `raws` in the offline account's INBOX, newest first."""

    def make(raws: Sequence[bytes]) -> TuiMailApp:
        return support.app_over(tmp_path, raws, OFFLINE)

    return make


async def test_a_signed_message_says_who_signed_it_with_the_keys_fingerprint(
        gnupg: Keyring, app_with: Callable[[Sequence[bytes]], TuiMailApp]) -> None:
    app = app_with([gnupg.pgp_signed(text_part("See you at the station.\n"))])
    async with app.run_test(size=(140, 40)) as pilot:
        await open_first(pilot)
        text = screen_text(app)
        fingerprint = gnupg.fingerprints["alice@example.org"]
        assert f"Signed: Alice <alice@example.org> · key {fingerprint[:4]} {fingerprint[4:8]}" \
            in text
        assert "See you at the station." in text
        assert "signature.asc" not in text  # the signature is not an attachment to open


async def test_a_tampered_message_says_bad_signature(
        gnupg: Keyring, app_with: Callable[[Sequence[bytes]], TuiMailApp]) -> None:
    raw = gnupg.pgp_signed(text_part("Transfer 10 EUR\n")).replace(b"10 EUR", b"99 EUR")
    app = app_with([raw])
    async with app.run_test(size=(140, 40)) as pilot:
        await open_first(pilot)
        assert "✗ Bad signature: Alice <alice@example.org>" in screen_text(app)


async def test_an_encrypted_message_is_read_decrypted_and_its_plaintext_stays_out_of_the_cache(
        gnupg: Keyring, app_with: Callable[[Sequence[bytes]], TuiMailApp],
        tmp_path: Path) -> None:
    raw = gnupg.pgp_encrypted(text_part("The door code is 4711.\n"), signer="bob@example.net")
    app = app_with([raw])
    async with app.run_test(size=(140, 40)) as pilot:
        await open_first(pilot)
        text = screen_text(app)
        assert "The door code is 4711." in text
        assert "Encrypted: OpenPGP" in text
        assert "⚠ Signed: Bob <bob@example.net>" in text  # Bob's key is not certified
        await pilot.press("q")
        await type_query(pilot, "4711")
        assert "No messages match" in screen_text(app)  # the plaintext was never indexed
    with Store.open(tmp_path / f"{OFFLINE.name}.sqlite3", readonly=True) as store:
        (row,) = store.listing.search("from:bob", account=OFFLINE.name, folder="INBOX")
        assert store.raw_message(row.id) == raw  # what the server sent, still encrypted


async def test_changing_the_view_keeps_the_security_lines_and_raw_shows_the_servers_bytes(
        gnupg: Keyring, app_with: Callable[[Sequence[bytes]], TuiMailApp]) -> None:
    """h, R and back render again from what was opened (nothing is decrypted twice): the
    Encrypted and Signed lines stay, and the raw source is the ciphertext the server has."""
    inner = (b'Content-Type: text/plain; charset=utf-8; protected-headers="v1"\r\n'
             b"Subject: The real subject\r\n\r\nThe door code is 4711.\r\n")
    app = app_with([gnupg.pgp_encrypted(inner, signer="bob@example.net")])
    async with app.run_test(size=(140, 40)) as pilot:
        await open_first(pilot)
        for key in ("h", "h", "R"):
            await pilot.press(key)
            await settle(pilot)
            text = screen_text(app)
            if key == "R":
                assert "-----BEGIN PGP MESSAGE-----" in text
                assert "4711" not in text and "The real subject" not in text
            else:
                assert "Encrypted: OpenPGP" in text and "⚠ Signed: Bob <bob@example.net>" in text
                assert "The door code is 4711." in text and "The real subject" in text
        await pilot.press("R")
        await settle(pilot)
        text = screen_text(app)
        assert "Encrypted: OpenPGP" in text and "The door code is 4711." in text


async def test_opening_encrypted_group_mail_learns_the_keys_it_gossips(
        gnupg: Keyring, tmp_path: Path) -> None:
    """Autocrypt gossip: Bob's encrypted mail to the user and Mallory carries Mallory's key
    inside; opening it keeps that key for Mallory, and ignores one for a non-recipient and one
    for the user's own address (Sam's: their key is their own, not Bob's word)."""
    from tui_mail.mail.autocrypt import autocrypt_header

    mallory = gnupg.gpg("--export", "mallory@example.org", home=gnupg.other)
    gossip = "".join(f"Autocrypt-Gossip: {autocrypt_header(address, mallory, False)}\r\n"
                     for address in ("mallory@example.org", "eve@example.com",
                                     "sam@example.com"))
    inner = gossip.encode() + text_part("Lunch, all three of us?\n")
    outer = ("From: Bob <bob@example.net>\r\nTo: <alice@example.org>, <mallory@example.org>,"
             " <sam@example.com>\r\nSubject: Lunch\r\nMIME-Version: 1.0\r\n")
    raw = gnupg.pgp_encrypted(inner, signer="bob@example.net", headers=outer)
    for autocrypt in (AutocryptMode.OFF, AutocryptMode.MUTUAL):
        folder = tmp_path / autocrypt.value
        app = support.app_over(folder, [raw], replace(OFFLINE, autocrypt=autocrypt))
        async with app.run_test(size=(140, 40)) as pilot:
            await open_first(pilot)
            assert "Lunch, all three of us?" in screen_text(app)
        with Store.open(folder / f"{OFFLINE.name}.sqlite3", readonly=True) as store:
            peer = store.autocrypt_peer(OFFLINE.name, "mallory@example.org")
            if autocrypt is AutocryptMode.OFF:  # an account without Autocrypt learns nothing
                assert peer is None
                continue
            assert peer is not None and peer.gossip_key == mallory and peer.public_key is None
            assert store.autocrypt_peer(OFFLINE.name, "eve@example.com") is None
            assert store.autocrypt_peer(OFFLINE.name, "sam@example.com") is None


async def test_a_key_with_a_passphrase_asks_on_the_message_screen_and_again_when_wrong(
        gnupg: Keyring, app_with: Callable[[Sequence[bytes]], TuiMailApp]) -> None:
    app = app_with([gnupg.pgp_encrypted(text_part("Only for Carol.\n"),
                                        to="carol@example.com")])
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await run_until(pilot, lambda: isinstance(app.screen, AskText))
        assert "Passphrase for Carol <carol@example.com>" in screen_text(app)
        app.screen.query_one(Input).value = "not the passphrase"
        await pilot.press("enter")
        await run_until(pilot, lambda: isinstance(app.screen, AskText)
                        and "Wrong passphrase" in screen_text(app))
        app.screen.query_one(Input).value = CAROL_PASSPHRASE
        await pilot.press("enter")
        await run_until(pilot, lambda: "Only for Carol." in screen_text(app))
        assert isinstance(app.screen, MessageScreen)
        assert "Encrypted: OpenPGP" in screen_text(app)


async def test_escape_leaves_the_message_encrypted_and_says_why(
        gnupg: Keyring, app_with: Callable[[Sequence[bytes]], TuiMailApp]) -> None:
    app = app_with([gnupg.pgp_encrypted(text_part("Only for Carol.\n"),
                                        to="carol@example.com")])
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await run_until(pilot, lambda: isinstance(app.screen, AskText))
        await pilot.press("escape")
        await settle(pilot)
        text = screen_text(app)
        assert isinstance(app.screen, MessageScreen)
        assert "⚠ Encrypted: OpenPGP, not decrypted: the key needs its passphrase" in text
        assert "Only for Carol." not in text


async def test_a_reply_to_an_encrypted_message_quotes_its_text_and_starts_encrypted(
        gnupg: Keyring, app_with: Callable[[Sequence[bytes]], TuiMailApp]) -> None:
    raw = gnupg.pgp_encrypted(text_part("The door code is 4711.\n"), signer="bob@example.net")
    app = app_with([raw])
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")  # from the list: the message was never opened
        await run_until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        await settle(pilot)
        body = app.screen.query_one("#body", TextArea).text
        assert "> The door code is 4711." in body
        assert "BEGIN PGP MESSAGE" not in body
        security = str(app.screen.query_one("#security", Static).render())
        assert "encrypted to every recipient (and you)" in security


async def test_a_reply_to_an_encrypted_message_is_kept_as_a_draft_only_encrypted_to_you(
        gnupg: Keyring, tmp_path: Path) -> None:
    """Drafts go to the cache and the server's Drafts folder: a reply that quotes decrypted
    text is kept there encrypted to the user's own key, and D opens it again decrypted."""
    raw = gnupg.pgp_encrypted(text_part("The door code is 4711.\n"), signer="bob@example.net")
    alice = replace(OFFLINE, address=Address("Alice", "alice@example.org"))
    app = support.app_over(tmp_path, [raw], alice)
    app.autosave_seconds = 0.05
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await run_until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        await settle(pilot)
        app.screen.query_one("#body", TextArea).insert("Thanks, noted.\n")
        await run_until(pilot, lambda: bool(app.store.queues.drafts()))
        await pilot.press("ctrl+q")  # kept: no question
        await settle(pilot)
    with Store.open(tmp_path / f"{OFFLINE.name}.sqlite3", readonly=True) as store:
        [kept] = store.queues.drafts()
    assert b"4711" not in kept.raw and b"Thanks, noted" not in kept.raw
    assert b"multipart/encrypted" in kept.raw and b"Subject: ...\r\n" in kept.raw
    app = support.make_app(tmp_path / f"{OFFLINE.name}.sqlite3",
                           support.config_in(tmp_path, (alice,)), sync_on_start=False,
                           state_dir=tmp_path / "state")
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("D")
        await settle(pilot)
        assert "(encrypted)  → Bob <bob@example.net>" in screen_text(app)
        await pilot.press("enter")
        await run_until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        await settle(pilot)
        body = app.screen.query_one("#body", TextArea).text
        assert body.startswith("Thanks, noted.\n") and "> The door code is 4711." in body
        assert "Re: A protected note" in screen_text(app)
        security = str(app.screen.query_one("#security", Static).render())
        assert "encrypted to every recipient (and you)" in security


async def test_a_secret_draft_without_a_key_of_yours_is_not_kept_and_says_why(
        gnupg: Keyring, app_with: Callable[[Sequence[bytes]], TuiMailApp],
        tmp_path: Path) -> None:
    """Sam has no key: his reply to encrypted mail cannot be kept encrypted, so it is kept
    nowhere; autosave says why once, ctrl+s again, and closing and quitting ask first."""
    raw = gnupg.pgp_encrypted(text_part("The door code is 4711.\n"), signer="bob@example.net")
    app = app_with([raw])
    app.autosave_seconds = 0.05
    why = "there is no key of yours for sam@example.com to encrypt it to"
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await run_until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        await settle(pilot)
        app.screen.query_one("#body", TextArea).insert("Thanks, noted.\n")
        await run_until(pilot, lambda: any(why in n.message for n in app.notified))
        app.screen.query_one("#body", TextArea).insert("More.\n")
        await pilot.pause(0.2)  # several autosave ticks: said once
        assert sum(why in n.message for n in app.notified) == 1
        await pilot.press("ctrl+s")
        await run_until(pilot, lambda: sum(why in n.message for n in app.notified) == 2)
        await pilot.press("escape")
        await settle(pilot)
        assert "It is not kept as a draft" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert "Quit and lose the message being written?" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
    with Store.open(tmp_path / f"{OFFLINE.name}.sqlite3", readonly=True) as store:
        assert store.queues.drafts() == []


async def test_the_preview_says_a_passphrase_is_needed_and_asks_nothing(
        gnupg: Keyring, app_with: Callable[[Sequence[bytes]], TuiMailApp]) -> None:
    app = app_with([gnupg.pgp_encrypted(text_part("Only for Carol.\n"),
                                        to="carol@example.com")])
    async with app.run_test(size=(200, 50)) as pilot:  # wide: the preview is beside the list
        await settle(pilot)
        await run_until(pilot, lambda: "the key needs its passphrase" in screen_text(app))
        await settle(pilot)
        assert not isinstance(app.screen, AskText)
        assert "Only for Carol." not in screen_text(app)


async def test_a_key_sent_as_an_attachment_is_imported_from_the_attachment_list(
        own_gnupg: Keyring, app_with: Callable[[Sequence[bytes]], TuiMailApp]) -> None:
    key = own_gnupg.gpg("--armor", "--export", "mallory@example.org", home=own_gnupg.other)
    mail = EmailMessage()
    mail["From"] = "Mallory <mallory@example.org>"
    mail["To"] = "alice@example.org"
    mail["Subject"] = "My key"
    mail.set_content("Here is my key.\n")
    mail.add_attachment(key, maintype="application", subtype="pgp-keys",
                        filename="mallory.asc")
    app = app_with([mail.as_bytes()])
    async with app.run_test(size=(140, 40)) as pilot:
        await open_first(pilot)
        await pilot.press("a")
        await run_until(pilot, lambda: isinstance(app.screen, AttachmentPicker))
        await pilot.press("i")
        await run_until(pilot, lambda: any(n.message.startswith("Imported: Mallory")
                                           for n in app.notified))
    said = next(n.message for n in app.notified if n.message.startswith("Imported"))
    assert grouped(own_gnupg.fingerprints["mallory@example.org"]) in said
    assert any(k.fingerprint == own_gnupg.fingerprints["mallory@example.org"]
               for k in list_keys())


async def test_an_smime_certificate_sent_as_an_attachment_is_imported_with_i(
        own_gnupg: Keyring, app_with: Callable[[Sequence[bytes]], TuiMailApp]) -> None:
    from tests.support.crypto import smime_correspondent
    from tui_mail.crypto.gnupg import GnuPG
    from tui_mail.crypto.sealing import usable_encryption_key

    certificate, _key = smime_correspondent(own_gnupg)
    mail = EmailMessage()
    mail["From"] = "Bob <bob@example.net>"
    mail["To"] = "alice@example.org"
    mail["Subject"] = "My certificate"
    mail.set_content("Here is my certificate.\n")
    mail.add_attachment(certificate.read_bytes(), maintype="application",
                        subtype="x-x509-user-cert", filename="bob.crt")
    app = app_with([mail.as_bytes()])
    async with app.run_test(size=(140, 40)) as pilot:
        await open_first(pilot)
        await pilot.press("a")
        await run_until(pilot, lambda: isinstance(app.screen, AttachmentPicker))
        await pilot.press("i")
        await run_until(pilot, lambda: any(n.message.startswith("Imported: <bob@example.net>")
                                           for n in app.notified))
    assert usable_encryption_key(GnuPG("gpgsm"), "bob@example.net")


async def test_search_says_how_many_messages_are_encrypted_and_so_not_searched(
        gnupg: Keyring, app_with: Callable[[Sequence[bytes]], TuiMailApp]) -> None:
    app = app_with([gnupg.pgp_encrypted(text_part("The door code is 4711.\n")),
                    gnupg.pgp_signed(text_part("Signed, and searchable: 4711.\n"))])
    async with app.run_test(size=(140, 40)) as pilot:
        await type_query(pilot, "4711")
        status = app.screen.query_one(SearchBar).status_text
        assert status == "1 result · 1 message is encrypted: its text is not searched"


async def test_an_encrypted_message_held_in_the_outbox_is_edited_decrypted_and_stays_encrypted(
        gnupg: Keyring, tmp_path: Path) -> None:
    """The outbox keeps what it sends, sealed: `e` opens it decrypted in the composer, with
    encryption and signing on as it was, and it leaves the outbox only then."""
    from tui_mail.crypto.outgoing import Encrypt, SecurityChoice, sealed
    from tui_mail.mail.compose import Composed
    from tui_mail.model import CryptoKind
    from tui_mail.store.types import OutboxState

    alice = replace(OFFLINE, address=Address("Alice", "alice@example.org"))
    plain = (b"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Held plans\r\n"
             b"Date: Mon, 30 Nov 2026 09:00:00 +0000\r\nMessage-ID: <held@alice>\r\n"
             b"Content-Type: text/plain; charset=utf-8\r\n\r\nMeet at the old mill.\r\n")
    composed = sealed(Composed(plain, "alice@example.org", ("bob@example.net",), "<held@alice>"),
                      SecurityChoice(sign=True, encrypt=Encrypt.ON, kind=CryptoKind.OPENPGP),
                      "alice@example.org")
    assert b"old mill" not in composed.raw
    app = support.app_over(tmp_path, [], alice)
    with Store.open(tmp_path / f"{OFFLINE.name}.sqlite3") as store:
        entry = store.queues.outbox_add(OFFLINE.name, composed.raw, "alice@example.org",
                                        ["bob@example.net"], "<held@alice>")
        store.queues.outbox_set_state(entry, OutboxState.HELD, "550 no thanks")
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        await pilot.press("e")
        await run_until(pilot, lambda: isinstance(app.screen, ComposerScreen))
        await settle(pilot)
        assert app.screen.query_one("#body", TextArea).text.startswith("Meet at the old mill.")
        assert "Held plans" in screen_text(app)
        security = str(app.screen.query_one("#security", Static).render())
        assert security.startswith("signed as alice@example.org · encrypted to every recipient")
        assert app.store.queues.outbox_list() == []
        [kept] = app.store.queues.drafts()
        assert b"old mill" not in kept.raw  # the draft it became is the sealed message
