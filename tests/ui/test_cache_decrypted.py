"""`cache_decrypted`: an encrypted message's text is searched, and its real Subject listed,
only for an account that allows it, once the message was opened (decrypted by the user's own
GnuPG); the bytes the server sent stay encrypted in the cache, and turning the setting off
takes the decrypted text out again."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tests.support import app as support
from tests.support.accounts import OFFLINE
from tests.support.crypto import Keyring
from tests.support.pilot import open_first, run_until, screen_text, settle
from tui_mail.model import Sealing
from tui_mail.store.db import Store
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.widgets.message_list import MessageList

INNER = (b'Content-Type: text/plain; charset=utf-8; protected-headers="v1"\r\n'
         b"Subject: The door code\r\n\r\nIt is 4711, until Friday.\r\n")
HEADERS = ("From: Bob <bob@example.net>\r\nTo: <alice@example.org>\r\nSubject: ...\r\n"
           "Date: Fri, 20 Nov 2026 09:30:00 +0000\r\nMessage-ID: <door@bob>\r\n"
           "MIME-Version: 1.0\r\n")


def cache_of(tmp_path: Path) -> Path:
    return tmp_path / f"{OFFLINE.name}.sqlite3"


def found(tmp_path: Path, words: str) -> list[str]:
    with Store.open(cache_of(tmp_path), readonly=True) as store:
        return [m.subject for m in store.listing.search(words)]


def encrypted_count(tmp_path: Path) -> int:
    with Store.open(cache_of(tmp_path), readonly=True) as store:
        return store.encrypted_count()


async def test_an_opened_message_is_searched_and_listed_decrypted_when_the_account_allows(
        gnupg: Keyring, tmp_path: Path) -> None:
    raw = gnupg.pgp_encrypted(INNER, headers=HEADERS)
    app = support.app_over(tmp_path, [raw], replace(OFFLINE, cache_decrypted=True))
    assert found(tmp_path, "4711") == [] and encrypted_count(tmp_path) == 1
    async with app.run_test(size=(140, 40)) as pilot:
        await open_first(pilot)
        await run_until(pilot, lambda: encrypted_count(tmp_path) == 0)
        assert "decrypted; its text is kept for search (cache_decrypted)" in screen_text(app)
        await pilot.press("q")
        await run_until(pilot, lambda: first_listed(app) == "The door code")
    assert found(tmp_path, "4711") == ["The door code"]
    assert found(tmp_path, "subject:door") == ["The door code"]
    with Store.open(cache_of(tmp_path), readonly=True) as store:
        [summary] = store.listing.search("from:bob")
        stored = store.raw_message(summary.id)
    assert stored == raw  # the server's bytes, still encrypted


def first_listed(app: TuiMailApp) -> str:
    """The subject of the list's first row, as the list has it now."""
    summary = app.screen.query_one(MessageList).summary_at(0)
    return summary.subject if summary is not None else ""


async def test_without_cache_decrypted_nothing_decrypted_reaches_the_cache(
        gnupg: Keyring, tmp_path: Path) -> None:
    raw = gnupg.pgp_encrypted(INNER, headers=HEADERS)
    app = support.app_over(tmp_path, [raw], OFFLINE)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_first(pilot)
        await settle(pilot)
        assert "It is 4711" in str(app.screen.query_one("#body").render())
        assert "decrypted for reading only" in screen_text(app)
    assert found(tmp_path, "4711") == [] and encrypted_count(tmp_path) == 1
    assert found(tmp_path, "from:bob") == ["..."]


async def test_turning_cache_decrypted_off_takes_the_decrypted_text_out_at_the_next_start(
        gnupg: Keyring, tmp_path: Path) -> None:
    raw = gnupg.pgp_encrypted(INNER, headers=HEADERS)
    app = support.app_over(tmp_path, [raw], OFFLINE)
    plain = HEADERS.replace("Subject: ...", "Subject: The door code").encode() + \
        b"Content-Type: text/plain\r\n\r\nIt is 4711, until Friday.\r\n"
    with Store.open(cache_of(tmp_path)) as store:
        [summary] = store.listing.search("from:bob")
        assert store.index_decrypted(summary.id, plain)
        assert not store.index_decrypted(summary.id, plain)  # once
    assert found(tmp_path, "4711") == ["The door code"]
    async with app.run_test(size=(140, 40)) as pilot:  # the account does not allow it
        await run_until(pilot, lambda: encrypted_count(tmp_path) == 1)
        await settle(pilot)
    assert found(tmp_path, "4711") == [] and found(tmp_path, "from:bob") == ["..."]
    with Store.open(cache_of(tmp_path), readonly=True) as store:
        [summary] = store.listing.search("from:bob")
        assert store.raw_message(summary.id) == raw
    assert int(Sealing.DECRYPTED_INDEXED) == 3
