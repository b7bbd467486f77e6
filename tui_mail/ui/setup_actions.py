"""Adding accounts from a running interface: the palette's "Add account" (`SetupActions`,
inherited by TuiMailApp). The first-run app is in tui_mail.ui.first_run."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui_mail.config import Config
    from tui_mail.setup.oauth import OAuthSetup
    from tui_mail.ui.app import TuiMailApp


class SetupActions:
    """`action_add_account` for TuiMailApp."""

    # What the setup screen's "Sign in with ..." goes through (providers, MX lookup, sign-in,
    # browser); None: the real ones. A test sets it to reach its own authorization server.
    oauth_setup: OAuthSetup | None = None

    def action_add_account(self) -> None:
        from tui_mail.config import default_config_path
        from tui_mail.ui.screens.setup import SetupScreen

        app: TuiMailApp = self  # type: ignore[assignment]
        path = app.config.path if app.config is not None else default_config_path()
        app.push_screen(SetupScreen(path, on_saved=app.account_added))

    def account_added(self, config: Config) -> None:
        """A new account was saved from a running app: use the new config and sync the account."""
        app: TuiMailApp = self  # type: ignore[assignment]
        if app.demo:
            app.notify("Restart tui-mail without --demo to open the new account.",
                       title="tui-mail", markup=False, timeout=15)
            app.pop_screen()
            return
        known = set(app.account_names)
        app.config = config
        app.account_names = [a.name for a in config.accounts]
        app.pop_screen()
        app.service.add_accounts(config.accounts)
        for account in config.accounts:
            if account.name not in known:
                app.service.sync_now(account.name)

