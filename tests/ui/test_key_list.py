"""The key list (command palette: Keys): the keyring's keys, the user's first, and those the
accounts learned by Autocrypt, each with its fingerprint; `i` puts a learned key in the
keyring."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import OptionList

from tests.support import app as support
from tests.support.accounts import OFFLINE
from tests.support.crypto import Keyring
from tests.support.pilot import run_until, screen_text, settle
from tui_mail.crypto.keys import list_keys
from tui_mail.mail.autocrypt import autocrypt_header
from tui_mail.mail.security import grouped
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.screens.keys import KeysScreen

MALLORY = "mallory@example.org"


def mallory_wrote(gnupg: Keyring) -> bytes:
    key = gnupg.gpg("--export", MALLORY, home=gnupg.other)
    return (f"From: Mallory <{MALLORY}>\r\nTo: offline@example.invalid\r\nSubject: Hello\r\n"
            f"Date: Mon, 30 Nov 2026 09:00:00 +0000\r\nMessage-ID: <hello@mallory>\r\n"
            f"Autocrypt: {autocrypt_header(MALLORY, key, True)}\r\n\r\nHi\r\n").encode()


def listed(app: TuiMailApp) -> list[str]:
    options = app.screen.query_one("#key-list", OptionList)
    return [str(options.get_option_at_index(i).prompt)
            for i in range(options.option_count)]


async def open_keys(pilot: Pilot[None], app: TuiMailApp) -> KeysScreen:
    await settle(pilot)
    await app.run_action("keys")
    await run_until(pilot, lambda: isinstance(app.screen, KeysScreen)
                    and bool(app.screen.lists.keyring))
    assert isinstance(app.screen, KeysScreen)
    return app.screen


async def test_the_key_list_shows_yours_first_then_the_keys_learned_with_fingerprints(
        gnupg: Keyring, tmp_path: Path) -> None:
    app = support.app_over(tmp_path, [mallory_wrote(gnupg)], OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_keys(pilot, app)
        entries = listed(app)
        alice = grouped(gnupg.fingerprints["alice@example.org"])
        assert entries[0] == f"yours  Alice <alice@example.org>  (ultimate; sign/encrypt)\n" \
                             f"       {alice}"
        assert any(e.startswith("key    Bob <bob@example.net>  (unknown; sign/encrypt)")
                   for e in entries)
        assert entries[-1] == (
            f"learned  {MALLORY}  (work; prefers encryption; key sent 2026-11-30, mail last"
            f" seen 2026-11-30)\n       {grouped(gnupg.fingerprints[MALLORY])}")
        assert "1 learned by Autocrypt" in screen_text(app)


async def test_i_puts_a_learned_key_in_the_keyring_and_it_moves_there(
        own_gnupg: Keyring, tmp_path: Path) -> None:
    gnupg = own_gnupg  # a copy of the suite's home: this test changes the keyring
    app = support.app_over(tmp_path, [mallory_wrote(gnupg)], OFFLINE)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_keys(pilot, app)
        await pilot.press("i")  # on the user's own key: nothing to import
        await run_until(pilot, lambda: any("Only a key learned" in n.message
                                           for n in app.notified))
        await pilot.press("end", "i")
        await run_until(pilot, lambda: not screen.lists.learned)
        assert any(key.fingerprint == gnupg.fingerprints[MALLORY] for key in list_keys())
        entries = listed(app)
        assert any(e.startswith("key    Mallory <mallory@example.org>") for e in entries)
        assert not any(e.startswith("learned") for e in entries)
        await pilot.press("q")
        await settle(pilot)
        assert not isinstance(app.screen, KeysScreen)
