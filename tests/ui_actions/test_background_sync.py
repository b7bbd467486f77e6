"""The app's own syncing against the test Dovecot: new mail pushed by IMAP IDLE, POP3 accounts,
the read flag of an opened message reaching the server, a sync that fails unexpectedly."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from tests.pop3.env import Pop3Env, message
from tests.support import app as support
from tests.support.cache import NOW, plain_message
from tests.support.mail_users import wait_until_known
from tests.support.pilot import run_until, screen_text, selected, settle, subjects
from tests.support.synced import Synced, pending, server_messages
from tui_mail.config import Config, UISettings
from tui_mail.store.db import Store
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.widgets.message_list import MessageList

pytestmark = pytest.mark.servers


def syncing_app(config: Config, cache: Path, **ui: object) -> TuiMailApp:
    settings = replace(config.ui, **ui)  # type: ignore[arg-type]
    return support.make_app(cache, replace(config, ui=settings))


async def test_mail_delivered_while_the_app_runs_appears_through_idle(synced: Synced):
    app = syncing_app(synced.config, synced.cache, sync_every_minutes=0.0, idle=True)
    async with app.run_test(size=(120, 30)) as pilot:
        message_list = app.query_one(MessageList)
        worker = app.service.worker("test")
        assert worker is not None
        await run_until(pilot, lambda: worker.watcher is not None
                       and worker.watcher.idling.is_set())
        await pilot.press("j")
        chosen = selected(message_list).id
        synced.servers.deliver(synced.user, plain_message(
            "Pushed by IDLE", "Dora <dora@example.com>", NOW + timedelta(minutes=5), "Fresh.",
            to=synced.user.address))
        await run_until(pilot, lambda: "Pushed by IDLE" in subjects(message_list))
        assert selected(message_list).id == chosen  # new mail does not move the selection
        assert "test: online" in screen_text(app)


async def test_a_periodic_sync_fetches_new_mail_without_idle(synced: Synced):
    app = syncing_app(synced.config, synced.cache, sync_every_minutes=0.02, idle=False)
    async with app.run_test(size=(120, 30)) as pilot:
        message_list = app.query_one(MessageList)
        await settle(pilot)
        synced.servers.deliver(synced.user, plain_message(
            "Found by the timer", "Dora <dora@example.com>", NOW + timedelta(minutes=5), "Hi.",
            to=synced.user.address))
        await run_until(pilot, lambda: "Found by the timer" in subjects(message_list))
        worker = app.service.worker("test")
        assert worker is not None and worker.watcher is None


async def test_opening_a_message_sends_its_read_flag_to_the_server(synced: Synced):
    app = synced.app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        message_list = app.query_one(MessageList)
        subject = selected(message_list).subject
        assert not selected(message_list).flags.seen
        await pilot.press("enter")
        await settle(pilot)
        app.replay_now()
        await settle(pilot)
    assert b"\\Seen" in server_messages(synced, "INBOX")[subject]


@pytest.fixture
def pop3_config(mail_servers, tmp_path: Path) -> tuple[Pop3Env, Config]:
    env = Pop3Env(mail_servers, mail_servers.new_user())
    wait_until_known(mail_servers, env.username)
    env.deliver_many([message(n, "pop") for n in range(1, 4)])
    secret = tmp_path / "pop-password"
    secret.write_text(env.password)
    account = env.account()
    account = replace(account, incoming=replace(account.incoming,
                                                password_command=f"cat {secret}"))
    config = Config(path=tmp_path / "config.toml", accounts=(account,),
                    ui=UISettings(attachments_dir=tmp_path / "attachments",
                                  sync_every_minutes=0.0))
    return env, config


async def test_a_pop3_account_syncs_in_the_app_and_its_changes_stay_in_the_cache(
        pop3_config, tmp_path: Path):
    env, config = pop3_config
    name = config.accounts[0].name
    cache = tmp_path / "pop.sqlite3"
    app = syncing_app(config, cache)
    async with app.run_test(size=(120, 30)) as pilot:
        message_list = app.query_one(MessageList)
        await run_until(pilot, lambda: message_list.row_count == 3)
        await run_until(pilot, lambda: f"{name}: online" in screen_text(app))
        await pilot.press("U")  # read/unread: POP3 keeps no flags, so nothing is queued
        await settle(pilot)
        assert selected(message_list).flags.seen
        assert not any("internal error" in n.message for n in app.notified)
    with Store.open(cache) as store:
        assert store.queues.pending_actions(name) == []
    assert env.on_server() == 3


async def test_a_sync_that_fails_unexpectedly_says_so_instead_of_syncing_for_ever(
        synced: Synced, monkeypatch):
    import tui_mail.sync.account_sync as account_sync

    def broken(*args, **kwargs):
        raise RuntimeError("the engine tripped")

    monkeypatch.setattr(account_sync, "sync_account", broken)
    app = syncing_app(synced.config, synced.cache, sync_every_minutes=0.0)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        await run_until(pilot, lambda: "internal error" in screen_text(app))
        assert "syncing" not in screen_text(app)


async def test_a_sync_during_the_undo_moment_leaves_the_action_undoable(synced: Synced):

    app = synced.app()  # actions wait for an explicit replay: the undo moment lasts
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert len(pending(synced)) == 1
        await pilot.press("dollar_sign")  # new mail, a periodic sync or $ while undo is possible
        await run_until(pilot, lambda: "test: online" in screen_text(app))
        await settle(pilot)
        assert len(pending(synced)) == 1
        await pilot.press("u")
        await settle(pilot)
        assert any(n.message.startswith("Undone") for n in app.notified)
