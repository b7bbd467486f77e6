"""New mail told by the running app: news arriving together is one notification (a toast,
the bell, the OSC escape, the hook with its arguments), through the app's real event path;
against the test Dovecot, mail pushed by IDLE rings and runs the hook, the first sync not."""

from __future__ import annotations

import json
import stat
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.support import app as support
from tests.support.accounts import server_account
from tests.support.cache import NOW, plain_message
from tests.support.pilot import settle
from tui_mail.config import Config, NotifySettings, UISettings
from tui_mail.store.db import Store
from tui_mail.sync.credentials import provider
from tui_mail.sync.engine import SyncEngine, connector
from tui_mail.sync.events import MailArrived
from tui_mail.ui.app import TuiMailApp


def hook_script(tmp_path: Path) -> tuple[str, Path]:
    """A new_mail_command that appends its arguments (one JSON list a line) to a file."""
    out = tmp_path / "hook-calls"
    hook = tmp_path / "hook with space"
    hook.write_text(f"#!{sys.executable}\nimport sys, json\n"
                    f"open({str(out)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    return f"'{hook}' --new", out


async def hook_calls(pilot: Pilot[Any], out: Path, count: int,
                     timeout: float = 20.0) -> list[list[str]]:
    """The hook's calls once `count` are in (the app runs meanwhile), or at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        lines = out.read_text().splitlines() if out.exists() else []
        if len(lines) >= count or time.monotonic() > deadline:
            return [json.loads(line) for line in lines]
        await pilot.pause(0.05)


def toasts(app: TuiMailApp) -> list[str]:
    return [n.message for n in app.notified if n.title == "New mail"]


def count_bells(app: TuiMailApp) -> list[int]:
    """Count the app's bells (the headless driver writes nothing to look at)."""
    rung = [0]
    bell = app.bell

    def counted() -> None:
        rung[0] += 1
        bell()

    app.bell = counted  # type: ignore[method-assign]
    return rung


@pytest.fixture
def notifying_app(cache_path: Path, tmp_path: Path) -> Callable[..., TuiMailApp]:
    def make(notify: NotifySettings, *, demo: bool = False) -> TuiMailApp:
        return support.make_app(cache_path, support.config_in(tmp_path, notify=notify),
                                demo=demo)
    return make


async def test_news_arriving_together_is_one_notification_one_bell_and_a_hook_per_folder(
        notifying_app, tmp_path: Path):
    command, out = hook_script(tmp_path)
    app = notifying_app(NotifySettings(bell=True, desktop="off", command=command))
    async with app.run_test(size=(120, 30)) as pilot:
        rung = count_bells(app)
        await settle(pilot)
        app.report_sync_event(MailArrived("work", "INBOX", "INBOX", 1, (("Ann", "Lunch?"),)))
        app.report_sync_event(MailArrived("work", "INBOX", "INBOX", 2,
                                          (("Bob", "Patch v2"), ("Cy", "Patch v1"))))
        app.report_sync_event(MailArrived("home", "INBOX", "INBOX", 1, (("Di", "Hi"),)))
        await pilot.pause(0.3)
        assert toasts(app) == [] and rung == [0]  # the window is still open
        await pilot.pause(1.2)
        assert toasts(app) == ["4 new messages in work/INBOX, home/INBOX\n"
                               "Di: Hi\nBob: Patch v2\nCy: Patch v1"]
        assert rung == [1]
        calls = await hook_calls(pilot, out, 2)
        assert sorted(calls) == [["--new", "home", "INBOX", "Di", "Hi", "1"],
                                 ["--new", "work", "INBOX", "Bob", "Patch v2", "3"]]

        app.report_sync_event(MailArrived("work", "INBOX", "INBOX", 1, (("Ann", "Later"),)))
        await pilot.pause(1.5)
        assert toasts(app)[-1] == "New mail from Ann: Later" and rung == [2]


async def test_the_terminal_escape_reaches_the_driver_cleaned_and_the_bell_can_be_off(
        notifying_app, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("TMUX", raising=False)
    app = notifying_app(NotifySettings(bell=False, desktop="osc9"))
    async with app.run_test(size=(120, 30)) as pilot:
        rung = count_bells(app)
        written: list[str] = []
        monkeypatch.setattr(app._driver, "write", written.append)  # noqa: SLF001
        app.report_sync_event(MailArrived("work", "INBOX", "INBOX", 1,
                                          (("Eve\x1b]0;x\x07", "Hi\x1b[2J there"),)))
        await pilot.pause(1.5)
        notices = [w for w in written if w.startswith("\x1b]9;")]
        assert notices == ["\x1b]9;New mail from Eve: Hi there\x1b\\"]  # escapes gone
        assert rung == [0]
        assert toasts(app) == ["New mail from Eve: Hi there"]


async def test_the_demo_tells_no_news(notifying_app, tmp_path: Path):
    command, out = hook_script(tmp_path)
    app = notifying_app(NotifySettings(command=command), demo=True)
    async with app.run_test(size=(120, 30)) as pilot:
        rung = count_bells(app)
        app.report_sync_event(MailArrived("demo", "INBOX", "INBOX", 1, (("Ann", "Hi"),)))
        await pilot.pause(1.5)
        assert toasts(app) == [] and rung == [0] and not out.exists()


@pytest.mark.servers
async def test_mail_pushed_by_idle_rings_and_runs_the_hook_but_the_first_sync_does_not(
        mail_servers, tmp_path: Path):
    user = mail_servers.new_user()
    for i in range(3):
        mail_servers.deliver(user, plain_message(
            f"Old {i}", "Alice Archer <alice@example.com>", NOW - timedelta(hours=i),
            "Old news.", to=user.address))
    secret = tmp_path / "password"
    secret.write_text(user.password)
    account = server_account(mail_servers, "test", user.login, user.address,
                             password_command=f"cat {secret}")
    command, out = hook_script(tmp_path)
    config = Config(path=tmp_path / "config.toml", accounts=(account,),
                    ui=UISettings(attachments_dir=tmp_path / "attachments",
                                  sync_every_minutes=0.0, idle=True),
                    notify=NotifySettings(bell=True, desktop="off", command=command))
    app = support.make_app(tmp_path / "cache.sqlite3", config)
    async with app.run_test(size=(120, 30)) as pilot:
        rung = count_bells(app)
        worker = app.service.worker("test")
        assert worker is not None
        deadline = time.monotonic() + 30
        while not (worker.watcher is not None and worker.watcher.idling.is_set()):
            assert time.monotonic() < deadline, "IDLE never started"
            await pilot.pause(0.1)
        await pilot.pause(1.5)
        assert rung == [0] and toasts(app) == [] and not out.exists()  # the first sync

        mail_servers.deliver(user, plain_message(
            "Fresh $(id) news", "Dora Diaz <dora@example.com>", NOW, "New!",
            to=user.address))
        calls = await hook_calls(pilot, out, 1, timeout=30)
        await pilot.pause(0.2)
        assert calls == [["--new", "test", "INBOX", "Dora Diaz", "Fresh $(id) news", "1"]]
        assert rung == [1]
        assert toasts(app) == ["New mail from Dora Diaz: Fresh $(id) news"]


@pytest.mark.servers
async def test_a_folder_left_out_of_notify_folders_tells_nothing_in_the_app(
        mail_servers, tmp_path: Path):
    user = mail_servers.new_user()
    mail_servers.deliver(user, plain_message("Old", "A <a@example.com>", NOW, "x",
                                             to=user.address), folder="Lists/dev")
    secret = tmp_path / "password"
    secret.write_text(user.password)
    account = server_account(mail_servers, "test", user.login, user.address,
                             password_command=f"cat {secret}")
    cache = tmp_path / "cache.sqlite3"
    with Store.open(cache) as store:  # synced once already: what comes next is news
        engine = SyncEngine(account, store, connector(account, provider(account, "incoming")))
        try:
            assert engine.sync().ok
        finally:
            engine.close()
    mail_servers.deliver(user, plain_message("List post", "B <b@example.com>", NOW, "y",
                                             to=user.address), folder="Lists/dev")
    command, out = hook_script(tmp_path)
    config = Config(path=tmp_path / "config.toml", accounts=(account,),
                    ui=UISettings(attachments_dir=tmp_path / "attachments",
                                  sync_every_minutes=0.0, idle=False),
                    notify=NotifySettings(command=command, desktop="off"))
    app = support.make_app(cache, config)
    async with app.run_test(size=(120, 30)) as pilot:
        rung = count_bells(app)
        await settle(pilot)
        with Store.open(cache, readonly=True) as store:
            folder = store.folder("test", "Lists/dev")
            assert folder is not None and folder.total == 2  # synced, and silent
        await pilot.pause(1.5)
        assert rung == [0] and toasts(app) == [] and not out.exists()
