"""Adding accounts and signing them in from a running interface: the palette's "Add account"
and "Sign in to NAME (OAuth2)" (`SetupActions`, inherited by TuiMailApp). The first-run app is
in tui_mail.ui.first_run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_mail.ui.app_part import AppPart

if TYPE_CHECKING:
    from tui_mail.config import Config
    from tui_mail.model import Account
    from tui_mail.setup.oauth import OAuthSetup


class SetupActions(AppPart):
    """`action_add_account` and `action_sign_in` for TuiMailApp."""

    # What the setup screen's "Sign in with ..." goes through (providers, MX lookup, sign-in,
    # browser); None: the real ones. A test sets it to reach its own authorization server.
    oauth_setup: OAuthSetup | None = None

    def sign_in_setup(self) -> OAuthSetup:
        """What a sign-in goes through: `oauth_setup`, else the real providers and browser."""
        from tui_mail.setup.oauth import OAuthSetup

        return self.oauth_setup or OAuthSetup()

    def action_add_account(self) -> None:
        from tui_mail.config import default_config_path
        from tui_mail.ui.screens.setup import SetupScreen

        app = self.as_app
        path = app.config.path if app.config is not None else default_config_path()
        app.push_screen(SetupScreen(path, on_saved=app.account_added))

    def account_added(self, config: Config) -> None:
        """A new account was saved from a running app: use the new config and sync the account."""
        app = self.as_app
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


    # ---- signing in again -------------------------------------------------------------------

    def _oauth2_accounts(self) -> dict[str, Account]:
        app = self.as_app
        if app.config is None or app.demo:
            return {}
        return {a.name: a for a in app.config.accounts if a.oauth2 is not None}

    def oauth2_account_names(self) -> list[str]:
        """The accounts the palette offers "Sign in to NAME (OAuth2)" for."""
        return list(self._oauth2_accounts())

    def action_sign_in(self, name: str = "") -> None:
        """Sign the account in again with its identity provider (a modal screen; the
        sign-in runs in its worker), then sync it."""
        from tui_mail.ui.screens.sign_in import SignInScreen

        app = self.as_app
        accounts = self._oauth2_accounts()
        if not name and len(accounts) == 1:
            name = next(iter(accounts))
        account = accounts.get(name)
        if account is None:
            app.notify(f"Account {name!r} does not sign in with OAuth2 (no "
                       f"[accounts.{name}.oauth2] table)." if name else
                       "No account signs in with OAuth2.", title="tui-mail", markup=False)
            return
        if any(isinstance(screen, SignInScreen) for screen in app.screen_stack):
            return
        app.push_screen(SignInScreen(account),
                        callback=lambda where: self._signed_in_again(account, where))

    def _signed_in_again(self, account: Account, where: str | None) -> None:
        """The sign-in worked: the account's worker syncs now (as `$` asks), with the new
        tokens; the status line says online again once the server answers."""
        app = self.as_app
        if where is None:
            return
        app.notify(f"Signed in to {account.name}; the sign-in is kept in {where}. "
                   "Syncing now.", title=account.name, markup=False, timeout=10)
        app.service.sync_now(account.name)
