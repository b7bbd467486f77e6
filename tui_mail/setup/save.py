"""Saving a new account: the password into the keyring (or a password command into the
config), or an OAuth2 sign-in (whose refresh token tui_mail.oauth2.tokens keeps), then the
account into the config file. Validation comes first, so a refused name or an invalid value stores nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from tui_mail import secrets
from tui_mail.config import Config, load_config, parse_config
from tui_mail.model import Account
from tui_mail.setup.writer import NewAccount, prepare, write_config


def save_account(
    path: Path, account: NewAccount, password: str, *, password_command: str | None = None
) -> Config:
    """Store the secret and append the account to `path`; returns the reloaded config.

    Raises ConfigError (the file, a duplicate name, a value) or SecretError (no usable keyring:
    the caller offers `password_command` instead, which is written to both servers).
    """
    if password_command:
        account = replace(
            account,
            incoming=replace(account.incoming, password_command=password_command),
            smtp=replace(account.smtp, password_command=password_command) if account.smtp else None,
        )
    text = prepare(path, account)
    if not password_command:
        configured = parse_config(text, path).account(account.name)
        secrets.set_password(configured, "incoming", password)
        if configured.smtp is not None:
            secrets.set_password(configured, "smtp", password)
    write_config(path, text)
    return load_config(path)


def save_oauth_account(path: Path, account: NewAccount,
                       sign_in: Callable[[Account], object]) -> Config:
    """Sign the new account in (`sign_in(account)` runs the flow and keeps the refresh token),
    then append it to `path`; returns the reloaded config.

    The config text is validated first (ConfigError: a name in use, a value), and nothing is
    written unless the sign-in succeeds: it raises OAuthError (refused, cancelled,
    unreachable) or SecretError (the refresh token could not be kept), which the caller shows.
    """
    if account.oauth2 is None:
        raise ValueError("save_oauth_account needs an account with OAuth2 settings")
    text = prepare(path, account)
    sign_in(parse_config(text, path).account(account.name))
    # Prepared again: the sign-in may have taken minutes, during which the file may have been
    # edited (or another tui-mail added an account); its text then is what is kept.
    write_config(path, prepare(path, account))
    return load_config(path)
