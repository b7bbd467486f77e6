"""The app for a first run (no config file yet): it opens on the setup screen."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from tui_mail.ui.app import TuiMailApp

if TYPE_CHECKING:
    from tui_mail.config import Config
    from tui_mail.setup.discovery import Resolver


class SetupFirstApp(TuiMailApp):
    """TuiMailApp that starts on the setup screen (no config file yet). After Save it continues
    into the mailbox with the new account; "Try the demo instead" exits with `wants_demo` set,
    and the command line then opens the demo."""

    def __init__(self, config_path: Path, store_path: Path, *, sync_after_setup: bool = True,
                 resolver: Resolver | None = None, **kwargs: Any) -> None:
        super().__init__(None, store_path, **kwargs)
        self._resolver = resolver
        self.setup_config_path = config_path
        self.sync_after_setup = sync_after_setup
        self.wants_demo = False

    def get_default_screen(self) -> Screen[Any]:
        from tui_mail.ui.screens.setup import SetupScreen

        return SetupScreen(self.setup_config_path, first_run=True, on_saved=self._setup_saved,
                           on_demo=self._try_demo, resolver=self._resolver)

    def _setup_saved(self, config: Config) -> None:
        from tui_mail.ui.keys import keymap_from_config
        from tui_mail.ui.screens.mailbox import MailboxScreen

        self.config = config
        self.ui_settings = config.ui
        self.account_names = [a.name for a in config.accounts]
        self.service.add_accounts(config.accounts)
        keymap, _warnings = keymap_from_config(config.keys)
        self.set_keymap(keymap)
        self.push_screen(MailboxScreen())  # the setup screen stays below, unseen
        if self.sync_after_setup:
            self.call_after_refresh(self.action_sync)

    def _try_demo(self) -> None:
        self.wants_demo = True
        self.exit()
