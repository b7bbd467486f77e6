"""The setup screen against the real Dovecot and Postfix: what it saves passes
`tui-mail accounts check`; a wrong password is shown in the form and nothing typed is lost."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import keyring
import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Collapsible, Input, Log, Select, Static

from tests.support.cli import TuiMail
from tests.support.filekeyring import FileKeyring
from tests.support.pilot import screen_of
from tui_mail.ui.first_run import SetupFirstApp
from tui_mail.ui.screens.mailbox import MailboxScreen
from tui_mail.ui.screens.setup import SetupScreen

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The same file keyring the `tui-mail` subprocess of tests.support.cli uses."""
    monkeypatch.setenv("TUI_MAIL_TEST_KEYRING", str(tmp_path / "keyring.json"))
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield
    keyring.set_keyring(previous)


def make_app(tmp_path: Path) -> SetupFirstApp:
    def no_dns(name: str) -> list[tuple[int, int, int, str]]:
        raise AssertionError(f"tests do no DNS lookups ({name})")

    app = SetupFirstApp(tmp_path / "config.toml", tmp_path / "cache.sqlite3",
                        sync_after_setup=False, resolver=no_dns, clock=lambda: NOW,
                        state_dir=tmp_path / "state")
    return app


async def type_into(pilot: Pilot, field: str, text: str) -> None:
    pilot.app.screen.query_one(f"#{field}", Input).focus()
    await pilot.press(*text)


def set_value(screen: SetupScreen, field: str, value: str) -> None:
    widget = screen.query_one(f"#{field}")
    assert isinstance(widget, Input | Select)
    widget.value = value


async def fill_form(pilot: Pilot, mail_servers, login: str, address: str, password: str) -> None:
    s = mail_servers
    await type_into(pilot, "name", "test")
    await type_into(pilot, "address", address)
    await type_into(pilot, "password", password)
    screen = screen_of(pilot.app, SetupScreen)
    screen.query_one("#advanced", Collapsible).collapsed = False
    await pilot.pause()
    for field, value in [("in-host", "127.0.0.1"), ("in-port", str(s.imap_tls_port)),
                         ("in-security", "tls"), ("in-username", login),
                         ("smtp-host", "127.0.0.1"), ("smtp-port", str(s.smtp_starttls_port)),
                         ("smtp-security", "starttls"), ("smtp-username", login),
                         ("ca-file", str(s.ca_file))]:
        set_value(screen, field, value)
    await pilot.pause()


async def press(pilot: Pilot, button: str) -> None:
    pilot.app.screen.query_one(f"#{button}", Button).press()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def text_of(screen: SetupScreen, widget_id: str) -> str:
    return str(screen.query_one(f"#{widget_id}", Static).render())


@pytest.mark.servers
async def test_setup_writes_a_config_that_accounts_check_passes(
    mail_servers, tmp_path: Path, file_keyring
) -> None:
    user = mail_servers.new_user()
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = screen_of(app, SetupScreen)
        await fill_form(pilot, mail_servers, user.login, user.address, user.password)
        await press(pilot, "check")
        assert text_of(screen, "form-error") == "" and text_of(screen, "password-error") == ""
        assert "accept the login" in text_of(screen, "setup-result")
        assert any("OK" in line for line in screen.query_one("#setup-log", Log).lines)
        await press(pilot, "save")
        assert isinstance(app.screen, MailboxScreen)
        assert app.config is not None and [a.name for a in app.config.accounts] == ["test"]

    config_text = (tmp_path / "config.toml").read_text()
    assert user.password not in config_text
    run = TuiMail(tmp_path)("accounts", "check")
    assert run.returncode == 0, run.output
    assert run.stdout.count(": OK") == 2, run.stdout


@pytest.mark.servers
async def test_wrong_password_is_shown_in_the_form_and_keeps_what_was_typed(
    mail_servers, tmp_path: Path, file_keyring
) -> None:
    user = mail_servers.new_user()
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = screen_of(app, SetupScreen)
        await fill_form(pilot, mail_servers, user.login, user.address, "wrong-password")
        await press(pilot, "check")
        error = text_of(screen, "password-error")
        assert "Login refused" in error and "Check the password" in error
        assert screen.query_one("#password", Input).value == "wrong-password"
        assert screen.query_one("#address", Input).value == user.address
        assert screen.query_one("#name", Input).value == "test"
        assert screen.query_one("#in-port", Input).value == str(mail_servers.imap_tls_port)
    assert not (tmp_path / "config.toml").exists()


async def test_missing_servers_say_what_to_do_and_save_nothing(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await type_into(pilot, "name", "work")
        await type_into(pilot, "address", "me@example.test")
        await type_into(pilot, "password", "pw")
        await press(pilot, "save")
        assert "Find settings" in text_of(screen_of(app, SetupScreen), "form-error")
    assert not (tmp_path / "config.toml").exists()


async def test_try_the_demo_instead_leaves_the_app_asking_for_the_demo(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await press(pilot, "demo")
    assert app.wants_demo


async def test_save_waits_for_a_slow_keyring_without_freezing_the_screen(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A keyring backend may wait on D-Bus or an unlock prompt: the password is stored in a
    worker, the buttons are disabled meanwhile, and the screen keeps taking keys."""
    import threading

    monkeypatch.setenv("TUI_MAIL_TEST_KEYRING", str(tmp_path / "keyring.json"))
    release = threading.Event()

    class SlowKeyring(FileKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            assert release.wait(10)
            super().set_password(service, username, password)

    previous = keyring.get_keyring()
    keyring.set_keyring(SlowKeyring())
    try:
        app = make_app(tmp_path)
        async with app.run_test(size=(100, 40)) as pilot:
            screen = screen_of(app, SetupScreen)
            await type_into(pilot, "name", "work")
            await type_into(pilot, "address", "me@example.test")
            await type_into(pilot, "password", "secret")
            for field, value in [("in-host", "127.0.0.1"), ("in-port", "993"),
                                 ("in-security", "tls"), ("smtp-host", "127.0.0.1"),
                                 ("smtp-port", "587"), ("smtp-security", "starttls")]:
                set_value(screen, field, value)
            await pilot.pause()
            screen.query_one("#save", Button).press()
            await pilot.pause(0.2)
            assert screen.query_one("#save", Button).disabled
            await type_into(pilot, "name", "x")  # the event loop is not blocked
            assert screen.query_one("#name", Input).value == "x"  # (focus selects the text)
            assert not (tmp_path / "config.toml").exists()
            release.set()
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(app.screen, MailboxScreen)
        assert 'accounts.work' in (tmp_path / "config.toml").read_text()
    finally:
        release.set()
        keyring.set_keyring(previous)


async def test_an_unexpected_failure_while_saving_is_shown_and_the_buttons_come_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tui_mail.setup.save as save_module

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(save_module, "save_account", broken)
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = screen_of(app, SetupScreen)
        await type_into(pilot, "name", "work")
        await type_into(pilot, "address", "me@example.test")
        await type_into(pilot, "password", "secret")
        await type_into(pilot, "password-command", "pass show mail/work")  # no keyring here
        for field, value in [("in-host", "127.0.0.1"), ("in-port", "993"),
                             ("smtp-host", "127.0.0.1"), ("smtp-port", "587")]:
            set_value(screen, field, value)
        await pilot.pause()
        await press(pilot, "save")
        assert "disk on fire" in text_of(screen, "form-error")
        assert not screen.query_one("#save", Button).disabled
    assert not (tmp_path / "config.toml").exists()
