"""The outbox view: failed messages with the server's words (shown literally), retry, delete."""

from __future__ import annotations

import asyncio
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.support import app as support
from tests.support.cache import NOW, plain_message
from tests.support.mail_users import make_user, wait_for_subject
from tests.support.pilot import screen_text, settle
from tests.support.sent_refused import sent_refused
from tests.support.synced import Synced
from tui_mail.mail.compose import compose
from tui_mail.model import Address, Draft
from tui_mail.store.db import Store
from tui_mail.store.types import OutboxState
from tui_mail.sync.credentials import provider
from tui_mail.sync.engine import SyncEngine, connector
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.screens.outbox import OutboxScreen

HOSTILE_ERROR = "550 5.1.1 [bold]x[/] [@click=app.quit]no such user[/]\x1b[2J"


def hold_one(synced: Synced, subject: str, error: str = HOSTILE_ERROR, *,
             attachment: tuple[str, bytes] | None = None) -> int:
    message_id = f"<{subject.replace(' ', '-')}@test>"
    raw = plain_message(subject, synced.user.address, NOW, "Held back.", to=synced.user.address,
                        message_id=message_id)
    if attachment is not None:
        msg = message_from_bytes(raw, policy=policy.default)
        msg.add_attachment(attachment[1], maintype="application", subtype="octet-stream",
                           filename=attachment[0])
        raw = msg.as_bytes()
    with synced.store() as store:
        entry = store.queues.outbox_add(synced.account.name, raw, synced.user.address,
                                 [synced.user.address], message_id)
        store.queues.outbox_set_state(entry, OutboxState.HELD, error)
    return entry


def wait_for_delivery(synced: Synced, count: int, limit: float = 30.0) -> int:
    deadline = time.monotonic() + limit
    while True:
        found = synced.servers.message_count(synced.user)
        if found >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@pytest.mark.servers
async def test_a_held_message_shows_its_error_literally_and_retry_sends_it(synced):
    hold_one(synced, "Held report")
    app = synced.app()
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen)
        text = screen_text(app)
        assert "Held report" in text and "held" in text
        assert "[bold]x[/] [@click=app.quit]no such user[/]" in text  # not markup
        assert "1 attempt" in text
        await pilot.press("r")
        await settle(pilot)
        assert app.store.queues.outbox_list() == []
        assert "The outbox is empty" in screen_text(app)
    assert wait_for_delivery(synced, 6) == 6  # five synced ones and the retried message


@pytest.mark.servers
async def test_delete_asks_first(synced):
    hold_one(synced, "First")
    hold_one(synced, "Second")
    app = synced.app()
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        await pilot.press("d", "n")  # kept
        await settle(pilot)
        assert len(app.store.queues.outbox_list()) == 2
        await pilot.press("d", "y")
        await settle(pilot)
        remaining = app.store.queues.outbox_list()
        assert [e.message_id for e in remaining] == ["<Second@test>"]
        assert "First" not in screen_text(app)


@pytest.mark.servers
async def test_edit_takes_the_message_into_the_composer_as_a_draft(synced):
    hold_one(synced, "Fix me")
    app = synced.app()
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        from tui_mail.ui.screens.composer import ComposerScreen

        assert isinstance(app.screen, ComposerScreen)
        assert app.store.queues.outbox_list() == []
        assert [d.key for d in app.store.queues.drafts()] == ["<Fix-me@test>"]
        assert "Fix me" in screen_text(app)


@pytest.mark.servers
async def test_edit_takes_a_message_with_a_file_attachment_back_with_the_file(synced):
    data = bytes(range(256)) * 8
    hold_one(synced, "With file", attachment=("figures.bin", data))
    app = synced.app()
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        from tui_mail.ui.screens.composer import ComposerScreen

        assert isinstance(app.screen, ComposerScreen)
        assert "figures.bin" in screen_text(app)
        [carried] = app.screen.fields().attached_files
        assert (carried.filename, carried.data) == ("figures.bin", data)
        assert app.store.queues.outbox_list() == []


def notifications(app: TuiMailApp) -> list[str]:
    return [n.message for n in app.notified]


@pytest.mark.servers
async def test_a_message_sent_but_not_saved_to_sent_is_told_shown_and_r_saves_only_the_copy(
        mail_servers, dovecot_variant, tmp_path: Path):
    """The server refuses the APPEND to Sent (the owner's insert right taken away): the user
    is told, the outbox shows the row with the server's reason, and once the right is back,
    r saves the copy; the recipient got the message once."""
    secret = tmp_path / "password"
    mailbox = sent_refused(mail_servers, dovecot_variant, password_command=f"cat {secret}")
    secret.write_text(mailbox.user.password)
    account = mailbox.account
    bob = mail_servers.new_user()
    cache = tmp_path / "cache.sqlite3"
    with Store.open(cache) as store:
        engine = SyncEngine(account, store, connector(account, provider(account, "incoming")))
        try:
            assert engine.sync().ok
        finally:
            engine.close()
    app = support.make_app(cache, support.config_in(tmp_path, (account,)), sync_on_start=False,
                           replays=False)
    composed = compose(Draft(identity=account.address, to=(Address("Bob", bob.address),),
                             subject="Kept out of Sent", body="Hello Bob\n"))
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        await asyncio.to_thread(app.service.send, account, composed)
        await settle(pilot)
        [told] = [n for n in notifications(app) if "not saved to Sent" in n]
        assert told.startswith("Sent, but not saved to Sent: "), told
        assert "[NOPERM] Permission denied" in told
        assert "or now with r in the outbox (O); the message is not sent again." in told
        assert "outbox: 1 not saved to Sent" in screen_text(app)

        await pilot.press("O")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen)
        text = screen_text(app)
        assert "1 sent but not saved to Sent" in text
        assert "Kept out of Sent" in text
        [line] = [row for row in text.splitlines() if "sent, but not saved to Sent: " in row]
        assert "APPEND to 'Sent' refused" in line and "[NOPERM] Permission denied" in line
        assert "the copy is tried again at " in text and "(r: now)" in text
        [entry] = app.store.queues.outbox_list()
        assert entry.state == OutboxState.ACCEPTED

        await pilot.press("r")  # still refused: only the copy is tried, and fails again
        await settle(pilot)
        assert [n for n in notifications(app) if n.startswith("Still not saved to Sent: ")]
        assert [e.id for e in app.store.queues.outbox_list()] == [entry.id]
        assert mailbox.count() == 0

        mailbox.allow()
        await pilot.press("r")
        await settle(pilot)
        assert app.store.queues.outbox_list() == []
        assert "The outbox is empty" in screen_text(app)
        assert "The sent message is now saved to Sent." in notifications(app)
    assert mailbox.count() == 1

    # Once a later message has arrived, any second copy would have too: there is none.
    marker = compose(Draft(identity=account.address, to=(Address("", bob.address),),
                           subject="marker", body="x\n"))
    from tui_mail.remote.connection import Credentials
    from tui_mail.sync.outbox import Outbox

    with Store.open(cache) as store:
        creds = Credentials(mailbox.user.login, mailbox.user.password)
        outbox = Outbox(store, account, smtp_credentials=lambda: creds,
                        imap_credentials=lambda: creds, data_dir=tmp_path)
        assert (await outbox.deliver(outbox.queue(marker))).sent
    reader = make_user(mail_servers, "bob", bob.login, bob.password, bob.address)
    subjects = [m["Subject"] for m in wait_for_subject(mail_servers, reader, "marker")]
    assert sorted(subjects) == ["Kept out of Sent", "marker"]
