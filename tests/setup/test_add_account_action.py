"""The palette's "Add account" opens the setup screen over a running app, for its config file."""

from __future__ import annotations

from pathlib import Path

from tests.support import app as support
from tests.support.cache import fill_cache
from tui_mail.config import Config
from tui_mail.ui.keys import unbound_app_actions
from tui_mail.ui.screens.mailbox import MailboxScreen
from tui_mail.ui.screens.setup import SetupScreen


def test_add_account_is_offered_in_the_palette() -> None:
    assert "add_account" in {action.action for action in unbound_app_actions()}


async def test_add_account_opens_setup_for_the_config_file_and_escape_goes_back(
    tmp_path: Path,
) -> None:
    fill_cache(tmp_path / "cache.sqlite3").close()
    config = Config(path=tmp_path / "mine.toml", accounts=())
    app = support.make_app(tmp_path / "cache.sqlite3", config, state_dir=tmp_path / "state",
                           sync_on_start=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await app.run_action("add_account")
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen)
        assert app.screen.config_path == tmp_path / "mine.toml"
        assert not app.screen.query("#demo")  # only offered on the first run
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MailboxScreen)
