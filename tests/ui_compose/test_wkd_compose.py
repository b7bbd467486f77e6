"""Keys from the Web Key Directory in the composer: an account with `wkd = true` asks a
recipient's mail domain for their key when neither the keyring nor Autocrypt has one, encrypts
with it without putting it in the keyring, and names what the directory said when it has none.
The directory is a real HTTPS server on 127.0.0.1 standing in for example.org."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from tests.support.crypto import Keyring
from tests.support.pilot import run_until
from tests.support.sendmail import calls, last_message
from tests.support.wkd_server import WkdServer, wkd_server
from tests.ui_compose.test_signing_and_encrypting import composer, sending_account, write
from tui_mail.crypto.keys import list_keys
from tui_mail.model import EncryptPolicy
from tui_mail.ui.app import TuiMailApp

pytestmark = pytest.mark.usefixtures("gnupg")
MALLORY = "mallory@example.org"  # her key is in no keyring of the user's


@pytest.fixture
def directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WkdServer]:
    """example.org's key directory, its CA trusted as the system's would be."""
    with wkd_server(tmp_path / "wkd", ["openpgpkey.example.org"]) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
        yield server


def said(app: TuiMailApp, text: str) -> str:
    return next(n.message for n in app.notified if text in n.message)


async def test_a_key_the_recipients_domain_publishes_encrypts_the_message(
        make_app: Callable[..., TuiMailApp], tmp_path: Path, gnupg: Keyring,
        directory: WkdServer) -> None:
    directory.publish(MALLORY, gnupg.gpg("--export", MALLORY, home=gnupg.other))
    app = make_app(accounts=(sending_account(tmp_path, encrypt=EncryptPolicy.ALWAYS,
                                             wkd=True),), host_map=directory.host_map)
    async with app.run_test(size=(140, 36)) as pilot:
        await write(pilot, MALLORY, subject="Our secret")
        await pilot.press("ctrl+t")
        await run_until(pilot, lambda: bool(calls(tmp_path)))
    sent = last_message(tmp_path)
    assert message_from_bytes(sent, policy=default).get_content_type() == "multipart/encrypted"
    armored = sent[sent.index(b"-----BEGIN PGP MESSAGE"):]
    assert b"Dinner at eight" in gnupg.gpg("--decrypt", data=armored, home=gnupg.other)
    assert [line.split()[0] for line in directory.asked] == ["openpgpkey.example.org"]
    assert not any(key.fingerprint == gnupg.fingerprints[MALLORY] for key in list_keys())


async def test_a_domain_without_her_key_is_named_and_nothing_is_sent(
        make_app: Callable[..., TuiMailApp], tmp_path: Path, directory: WkdServer) -> None:
    app = make_app(accounts=(sending_account(tmp_path, encrypt=EncryptPolicy.ALWAYS,
                                             wkd=True),), host_map=directory.host_map)
    async with app.run_test(size=(140, 36)) as pilot:
        await write(pilot, f"bob@example.net, {MALLORY}")
        await pilot.press("ctrl+t")
        await run_until(pilot, lambda: any(MALLORY in n.message for n in app.notified))
        composer(app)  # still open, nothing lost
        assert said(app, MALLORY).startswith(
            "not encrypted, so not sent: no key to encrypt to for mallory@example.org (its"
            " domain publishes no key for it (WKD))")
    assert calls(tmp_path) == []
    # bob@example.net is in the keyring: only Mallory's domain was asked.
    assert len(directory.asked) == 1


async def test_a_published_key_for_someone_else_is_not_encrypted_to(
        make_app: Callable[..., TuiMailApp], tmp_path: Path, gnupg: Keyring,
        directory: WkdServer) -> None:
    directory.publish(MALLORY, gnupg.gpg("--export", "dave@example.net"))
    app = make_app(accounts=(sending_account(tmp_path, encrypt=EncryptPolicy.ALWAYS,
                                             wkd=True),), host_map=directory.host_map)
    async with app.run_test(size=(140, 36)) as pilot:
        await write(pilot, MALLORY)
        await pilot.press("ctrl+t")
        await run_until(pilot, lambda: any(MALLORY in n.message for n in app.notified))
        assert "the key its domain publishes is not one key for this address" in said(
            app, MALLORY)
    assert calls(tmp_path) == []


async def test_without_wkd_the_domain_is_never_asked(
        make_app: Callable[..., TuiMailApp], tmp_path: Path, gnupg: Keyring,
        directory: WkdServer) -> None:
    directory.publish(MALLORY, gnupg.gpg("--export", MALLORY, home=gnupg.other))
    app = make_app(accounts=(sending_account(tmp_path, encrypt=EncryptPolicy.ALWAYS),),
                   host_map=directory.host_map)
    async with app.run_test(size=(140, 36)) as pilot:
        await write(pilot, MALLORY)
        await pilot.press("ctrl+t")
        await run_until(pilot, lambda: any(MALLORY in n.message for n in app.notified))
        assert "WKD" not in said(app, MALLORY)
    assert directory.asked == [] and calls(tmp_path) == []
