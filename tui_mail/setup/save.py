"""Saving a new account: the password into the keyring (or a password command into the
config), then the account into the config file. Validation comes first, so a refused name or
an invalid value stores nothing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tui_mail import secrets
from tui_mail.config import Config, load_config, parse_config
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
