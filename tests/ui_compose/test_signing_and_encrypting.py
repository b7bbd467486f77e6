"""Signed and encrypted mail from the composer: the account's settings choose where it starts,
F5 and F6 change it, the outbox gets the sealed bytes, who has no key is said before anything
is sent, and a signing key's passphrase is asked for."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static

from tests.support.accounts import work_account
from tests.support.composer import composer, type_into
from tests.support.crypto import CAROL_PASSPHRASE, Keyring
from tests.support.pilot import run_until, settle
from tests.support.sendmail import calls, fake_sendmail, last_message
from tui_mail.crypto.opening import open_message
from tui_mail.mail.parse import parse_message
from tui_mail.model import (
    Address,
    CryptoKind,
    Encryption,
    EncryptPolicy,
    Signature,
    SignatureState,
    SignPolicy,
)
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.screens.ask_text import AskText

pytestmark = pytest.mark.usefixtures("gnupg")


def sending_account(tmp_path: Path, address: str = "alice@example.org", **policy: Any) -> Any:
    return work_account(address=Address("Alice", address), identities=(), smtp=None,
                        sendmail_command=fake_sendmail(tmp_path), **policy)


def security_line(app: TuiMailApp) -> str:
    return str(app.screen.query_one("#security", Static).render())


async def write(pilot: Any, to: str, subject: str = "Plans") -> None:  # noqa: ANN401
    app = pilot.app
    await settle(pilot)
    await app.run_action("compose")
    await settle(pilot)
    await type_into(pilot, "to", to)
    await type_into(pilot, "subject", subject)
    await type_into(pilot, "body", "Dinner at eight?\n")


async def test_an_account_that_always_signs_sends_a_good_signature(
        make_app: Callable[..., TuiMailApp], tmp_path: Path) -> None:
    app = make_app(accounts=(sending_account(tmp_path, sign=SignPolicy.ALWAYS),))
    async with app.run_test(size=(120, 36)) as pilot:
        await write(pilot, "bob@example.net")
        assert security_line(app).startswith("signed as alice@example.org · not encrypted")
        await pilot.press("ctrl+t")
        await run_until(pilot, lambda: bool(calls(tmp_path)))
    opened = open_message(last_message(tmp_path))
    [signature] = opened.layers
    assert isinstance(signature, Signature) and signature.state is SignatureState.GOOD
    assert parse_message(opened.raw).subject == "Plans"


async def test_f5_and_f6_sign_and_encrypt_one_message_to_every_recipient_and_the_sender(
        make_app: Callable[..., TuiMailApp], tmp_path: Path) -> None:
    app = make_app(accounts=(sending_account(tmp_path),))
    async with app.run_test(size=(120, 36)) as pilot:
        await write(pilot, "bob@example.net", subject="Secret plans")
        assert security_line(app).startswith("not signed · not encrypted")
        await pilot.press("f5", "f6")
        assert security_line(app).startswith(
            "signed as alice@example.org · encrypted to every recipient (and you)")
        await pilot.press("ctrl+t")
        await run_until(pilot, lambda: bool(calls(tmp_path)))
    sent = last_message(tmp_path)
    assert b"Secret plans" not in sent and b"Dinner at eight" not in sent
    opened = open_message(sent)  # the sender's own key opens it
    assert [type(layer) for layer in opened.layers] == [Encryption, Signature]
    shown = parse_message(opened.raw)
    assert shown.subject == "Secret plans" and shown.text_body == "Dinner at eight?\n"


async def test_encrypting_to_someone_without_a_key_names_them_and_sends_nothing(
        make_app: Callable[..., TuiMailApp], tmp_path: Path) -> None:
    app = make_app(accounts=(sending_account(tmp_path, encrypt=EncryptPolicy.ALWAYS),))
    async with app.run_test(size=(120, 36)) as pilot:
        await write(pilot, "bob@example.net, nobody@example.org")
        await pilot.press("ctrl+t")
        await run_until(pilot, lambda: any("nobody@example.org" in n.message
                                           for n in app.notified))
        composer(app)  # still open, nothing lost
        said = next(n.message for n in app.notified if "nobody@example.org" in n.message)
        assert said.startswith("not encrypted, so not sent: no key to encrypt to for"
                               " nobody@example.org")
        assert "bob@example.net" not in said
        assert calls(tmp_path) == [] and list(app.store.queues.outbox_list()) == []


async def test_if_all_recipients_have_keys_a_message_to_one_without_goes_as_it_is(
        make_app: Callable[..., TuiMailApp], tmp_path: Path) -> None:
    policy = EncryptPolicy.IF_ALL_RECIPIENTS_HAVE_KEYS
    app = make_app(accounts=(sending_account(tmp_path, encrypt=policy),))
    async with app.run_test(size=(120, 36)) as pilot:
        await write(pilot, "nobody@example.org")
        assert "encrypted if every recipient has a key" in security_line(app)
        await pilot.press("ctrl+t")
        await run_until(pilot, lambda: bool(calls(tmp_path)))
    assert open_message(last_message(tmp_path)).layers == ()  # plain, as the setting says


async def test_a_signing_key_with_a_passphrase_asks_for_it_once_and_the_outbox_keeps_the_result(
        make_app: Callable[..., TuiMailApp], tmp_path: Path, gnupg: Keyring) -> None:
    account = sending_account(tmp_path, address="carol@example.com", sign=SignPolicy.ALWAYS)
    app = make_app(accounts=(account,))
    async with app.run_test(size=(120, 36)) as pilot:
        await write(pilot, "bob@example.net")
        await pilot.press("ctrl+t")
        await run_until(pilot, lambda: isinstance(app.screen, AskText))
        app.screen.query_one(Input).value = CAROL_PASSPHRASE
        await pilot.press("enter")
        await run_until(pilot, lambda: bool(calls(tmp_path)))
    [signature] = open_message(last_message(tmp_path)).layers
    assert isinstance(signature, Signature) and signature.state is SignatureState.GOOD
    assert signature.user_id == "Carol <carol@example.com>"


async def test_an_smime_account_signs_and_encrypts_with_its_certificate(
        make_app: Callable[..., TuiMailApp], tmp_path: Path) -> None:
    account = sending_account(tmp_path, sign=SignPolicy.ALWAYS, encrypt=EncryptPolicy.ALWAYS,
                              crypto=CryptoKind.SMIME)
    app = make_app(accounts=(account,))
    async with app.run_test(size=(120, 36)) as pilot:
        await write(pilot, "alice@example.org", subject="To myself")
        assert security_line(app).startswith(
            "S/MIME: signed as alice@example.org · encrypted to every recipient (and you)")
        await pilot.press("ctrl+t")
        await run_until(pilot, lambda: bool(calls(tmp_path)))
    opened = open_message(last_message(tmp_path))
    assert [(type(layer), layer.kind) for layer in opened.layers] == [
        (Encryption, CryptoKind.SMIME), (Signature, CryptoKind.SMIME)]
    assert parse_message(opened.raw).subject == "To myself"


async def test_f5_is_kept_in_the_draft_so_a_reopened_message_signs_as_it_would_have(
        make_app: Callable[..., TuiMailApp], tmp_path: Path) -> None:
    from tui_mail.mail.draftfile import draft_from_bytes

    app = make_app(accounts=(sending_account(tmp_path),))
    async with app.run_test(size=(120, 36)) as pilot:
        await write(pilot, "bob@example.net")
        assert composer(app).fields().sign is False
        await pilot.press("f5")
        fields, _ = draft_from_bytes(composer(app).draft_bytes(composer(app).fields())())
        assert fields.sign is True
