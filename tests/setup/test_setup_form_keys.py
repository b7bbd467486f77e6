"""The setup form under fast typing and stray keys: every key lands in the field the user
meant, Tab moves on before the next key is read, and the app's own keys (m compose, D drafts,
O outbox, $ sync, ? help) never act inside the form. Without a usable keyring the form asks
for a password command, says why, and writes it to the config."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Button, Input, Select, Static

from tests.support import app as support
from tests.support.setup_form import send_burst
from tui_mail.ui.first_run import SetupFirstApp
from tui_mail.ui.screens.mailbox import MailboxScreen
from tui_mail.ui.screens.setup import SetupScreen

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)
TOP_FIELDS = ["name", "address", "display-name", "password", "password-command"]


def make_app(tmp_path: Path) -> SetupFirstApp:
    def no_dns(name: str) -> list[tuple[int, int, int, str]]:
        raise AssertionError(f"tests do no DNS lookups ({name})")

    return SetupFirstApp(tmp_path / "config.toml", tmp_path / "cache.sqlite3",
                         sync_after_setup=False, resolver=no_dns, clock=lambda: NOW,
                         state_dir=tmp_path / "state")


async def ready(pilot: Pilot) -> SetupScreen:
    """The form mounted and its keyring check done."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, SetupScreen)
    return screen


async def handled(pilot: Pilot) -> None:
    for _ in range(3):
        await pilot.pause(0.1)
        await pilot.app.workers.wait_for_complete()


def values(screen: SetupScreen, fields: list[str]) -> dict[str, str]:
    return {field: screen.query_one(f"#{field}", Input).value for field in fields}


def text_of(screen: SetupScreen, widget_id: str) -> str:
    return str(screen.query_one(f"#{widget_id}", Static).render())


def fill_servers(screen: SetupScreen) -> None:
    for field, value in [("in-host", "127.0.0.1"), ("in-port", "993"), ("in-security", "tls"),
                         ("smtp-host", "127.0.0.1"), ("smtp-port", "587"),
                         ("smtp-security", "starttls")]:
        widget = screen.query_one(f"#{field}")
        assert isinstance(widget, Input | Select)
        widget.value = value


async def test_a_whole_form_typed_in_one_burst_lands_field_by_field(tmp_path: Path) -> None:
    typed = {"name": "mom", "address": "max.mustermann@example.com", "display-name": "Max M",
             "password": "s3cret-Dom$?", "password-command": "pass show mail/mom"}
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await ready(pilot)
        send_burst(app, "\t".join(typed[field] for field in TOP_FIELDS))
        await handled(pilot)
        assert values(screen, TOP_FIELDS) == typed
        assert app.screen_stack == [screen]  # no composer, drafts, outbox or help opened
        assert screen.query_one("#password", Input).password  # the password stayed hidden


async def test_shift_tab_in_a_burst_goes_back_before_the_next_key(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await ready(pilot)
        send_burst(app, ["w", "tab", "a", "shift+tab", "x", "tab", "tab", "n"])
        await handled(pilot)
        # Back in the name, "x" replaced the "w" (a field selects its text when focused, as
        # in a browser's form): it went there, not into the address.
        assert values(screen, ["name", "address", "display-name"]) == {
            "name": "x", "address": "a", "display-name": "n"}


async def test_app_keys_do_nothing_while_a_button_of_the_form_has_focus(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        screen = await ready(pilot)
        screen.query_one("#find", Button).focus()
        await pilot.press("m", "D", "O", "dollar_sign", "m")
        await handled(pilot)
        assert app.screen_stack == [screen]
        assert not app.notified  # not even "nothing to sync"
        await pilot.press("question_mark")  # the help of the form's keys is one it keeps
        await handled(pilot)
        assert type(app.screen).__name__ == "HelpScreen"


async def test_a_path_with_m_typed_into_the_form_over_the_mailbox_opens_no_composer(
        tmp_path: Path) -> None:
    """The form opened from a running app (palette: Add account) over the mailbox."""
    app = support.make_app(tmp_path / "cache.sqlite3", sync_on_start=False,
                           state_dir=tmp_path / "state")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.action_add_account()
        screen = await ready(pilot)
        send_burst(app, "\t\t\t\tcat /home/mm/mail/mm.pw\tmmm")  # the last ones hit Advanced
        await handled(pilot)
        assert screen.query_one("#password-command", Input).value == "cat /home/mm/mail/mm.pw"
        assert app.screen is screen
        assert [type(s).__name__ for s in app.screen_stack] == ["MailboxScreen", "SetupScreen"]


async def test_without_a_keyring_the_form_asks_for_a_password_command_and_says_why(
        tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await ready(pilot)
        assert screen.query_one("#password-command", Input).display
        note = text_of(screen, "keyring-note")
        assert note.startswith("No usable keyring was found (tried: ")
        assert "password_command" in note
        send_burst(app, "work\tme@example.test\t\tsecret")
        await handled(pilot)
        fill_servers(screen)
        screen.query_one("#save", Button).press()
        await handled(pilot)
        error = text_of(screen, "password-error")
        assert error.startswith("No usable keyring was found (tried: ")
        assert "enter a password command" in error
        assert str(tmp_path) not in error  # no config file it could point to exists yet
        assert not (tmp_path / "config.toml").exists()
        assert app.focused is screen.query_one("#password-command", Input)
        send_burst(app, "pass show mail/work")
        await handled(pilot)
        screen.query_one("#save", Button).press()
        await handled(pilot)
        assert isinstance(app.screen, MailboxScreen)
    account = tomllib.loads((tmp_path / "config.toml").read_text())["accounts"]["work"]
    assert account["incoming"]["password_command"] == "pass show mail/work"
    assert account["smtp"]["password_command"] == "pass show mail/work"
    assert "secret" not in (tmp_path / "config.toml").read_text()


async def test_with_a_keyring_the_password_command_stays_optional(
        tmp_path: Path, test_keyring: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await ready(pilot)
        assert screen.query_one("#password-command", Input).display
        assert text_of(screen, "keyring-note") == ""
        send_burst(app, "work\tme@example.test\t\tsecret")
        await handled(pilot)
        fill_servers(screen)
        screen.query_one("#save", Button).press()
        await handled(pilot)
        assert isinstance(app.screen, MailboxScreen)
    account = tomllib.loads((tmp_path / "config.toml").read_text())["accounts"]["work"]
    assert "password_command" not in account["incoming"]
    assert "secret" in test_keyring.read_text()
