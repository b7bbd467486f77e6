"""The Autocrypt Setup Message in the app: the palette's "Send an Autocrypt Setup Message"
sends the key to the user and shows the Setup Code once; on the other device (an empty
keyring), `i` on the message's attachment asks for the code and takes the key over."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.support import app as support
from tests.support.accounts import OFFLINE
from tests.support.crypto import Keyring
from tests.support.pilot import open_first, run_until, screen_text, settle
from tests.support.sendmail import calls, last_message
from tests.ui_compose.test_signing_and_encrypting import sending_account
from tui_mail.crypto.keys import list_keys
from tui_mail.model import Address, AutocryptMode
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.autocrypt_setup_actions import SetupCodeScreen
from tui_mail.ui.screens.ask_text import AskText
from tui_mail.ui.screens.picker import AttachmentPicker


async def test_the_setup_message_carries_the_key_to_another_device_with_the_code_shown(
        make_app: Callable[..., TuiMailApp], tmp_path: Path, gnupg: Keyring,
        monkeypatch: pytest.MonkeyPatch) -> None:
    account = sending_account(tmp_path, autocrypt=AutocryptMode.MUTUAL)
    app = make_app(accounts=(account,))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        assert app.autocrypt_account_names() == ["work"]
        await app.run_action("autocrypt_setup('work')")
        await run_until(pilot, lambda: isinstance(app.screen, SetupCodeScreen))
        assert isinstance(app.screen, SetupCodeScreen)
        code = app.screen.code
        await run_until(pilot, lambda: "-".join(code.split("-")[:3]) in screen_text(app))
        await pilot.press("enter")
        await run_until(pilot, lambda: bool(calls(tmp_path)))
    sent = last_message(tmp_path)
    assert b"Autocrypt-Setup-Message: v1" in sent and b"PRIVATE KEY" not in sent

    device = Path(tempfile.mkdtemp(prefix="d", dir="/tmp"))  # the other device's keyring
    device.chmod(0o700)
    monkeypatch.setenv("GNUPGHOME", str(device))
    try:
        alice = replace(OFFLINE, address=Address("Alice", "alice@example.org"))
        other = support.app_over(tmp_path / "other", [sent], alice)
        async with other.run_test(size=(140, 40)) as pilot:
            await open_first(pilot)
            await run_until(pilot, lambda: "Autocrypt: a Setup Message: your key" in " ".join(
                screen_text(other).split()))
            await pilot.press("a")
            await run_until(pilot, lambda: isinstance(other.screen, AttachmentPicker))
            await pilot.press("i")
            await run_until(pilot, lambda: isinstance(other.screen, AskText)
                            and f"(it begins {code[:2]})" in screen_text(other))
            other.screen.query_one(Input).value = code
            await pilot.press("enter")
            await run_until(pilot, lambda: any("Your key is in this keyring now" in n.message
                                               for n in other.notified))
        [key] = list_keys()
        assert key.secret and key.fingerprint == gnupg.fingerprints["alice@example.org"]
    finally:
        subprocess.run(["gpgconf", "--homedir", str(device), "--kill", "all"],
                       capture_output=True, check=False, timeout=30)
        shutil.rmtree(device, ignore_errors=True)


async def test_an_account_without_autocrypt_is_not_offered_a_setup_message(
        make_app: Callable[..., TuiMailApp], tmp_path: Path, gnupg: Keyring) -> None:
    app = make_app(accounts=(sending_account(tmp_path),))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        assert app.autocrypt_account_names() == []
        await app.run_action("autocrypt_setup('work')")
        await settle(pilot)
        assert any("autocrypt =" in n.message for n in app.notified)
    assert calls(tmp_path) == []


async def test_a_setup_message_from_someone_else_is_not_taken_over(
        tmp_path: Path, gnupg: Keyring) -> None:
    """Only a Setup Message from one of the user's addresses to itself is offered: a stranger's
    could carry a key the user would then trust as their own."""
    from datetime import UTC, datetime

    from tui_mail.crypto.autocrypt_setup import setup_code, setup_message
    from tui_mail.crypto.gnupg import GnuPG

    raw = setup_message(GnuPG("gpg"), "alice@example.org", True, setup_code(),
                        when=datetime(2026, 12, 1, tzinfo=UTC), message_id="<s@alice>")
    app = support.app_over(tmp_path, [raw], OFFLINE)  # Sam's: alice@ is not his address
    async with app.run_test(size=(140, 40)) as pilot:
        await open_first(pilot)
        await pilot.press("a")
        await run_until(pilot, lambda: isinstance(app.screen, AttachmentPicker))
        await pilot.press("i")
        await run_until(pilot, lambda: any("comes from one of your own addresses" in n.message
                                           for n in app.notified))
        assert not isinstance(app.screen, AskText)
