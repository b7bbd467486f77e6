"""Saving a new account: the password into the keyring (or a password command into the
config), or an OAuth2 sign-in (whose refresh token tui_mail.oauth2.tokens keeps), then the
account into the config file. Validation comes first, so a refused name or an invalid value stores nothing."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from tui_mail import secrets
from tui_mail.config import Config, load_config, parse_config
from tui_mail.errors import SecretError
from tui_mail.model import Account
from tui_mail.setup.writer import NewAccount, prepare, write_config

_SYSTEM_BACKENDS = {"win32": "Windows", "darwin": "macOS"}  # backend modules of one system


@dataclass(frozen=True)
class KeyringCheck:
    """Whether a password can be kept in the keyring here, and in words which backend keyring
    chose or which it tried and found unusable (the setup form says it)."""

    usable: bool
    backend: str

    @property
    def why_not(self) -> str:
        """The reason the form gives for asking for a password command."""
        return f"no usable keyring was found ({self.backend})"


def check_keyring() -> KeyringCheck:
    """Ask keyring which backend it chose. Slow the first time (it imports its backends and a
    Secret Service check may wait on D-Bus): call it from a worker."""
    import keyring
    from keyring.backend import KeyringBackend

    chosen = keyring.get_keyring()
    if secrets.keyring_usable():
        return KeyringCheck(True, chosen.name)
    forced = os.environ.get("PYTHON_KEYRING_BACKEND", "")
    if forced:
        return KeyringCheck(False, f"PYTHON_KEYRING_BACKEND={forced} is not usable")
    skip = ("chainer", "fail", "null", *(m for p, m in _SYSTEM_BACKENDS.items()
                                         if not sys.platform.startswith(p)))
    tried = sorted({cls.name for cls in KeyringBackend._classes  # noqa: SLF001 - no public list
                    if cls.__module__.rsplit(".", 1)[-1] not in skip})
    return KeyringCheck(False, "tried: " + ", ".join(tried) if tried
                        else "keyring has no backend for this system")


def save_account(
    path: Path, account: NewAccount, password: str, *, password_command: str | None = None
) -> Config:
    """Store the secret and append the account to `path`; returns the reloaded config.

    Raises ConfigError (the file, a duplicate name, a value) or SecretError (no usable keyring,
    said as `check_keyring` sees it: the caller asks for `password_command` instead, which is
    written to both servers).
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
        if not secrets.keyring_usable():  # said in the form's words, not the config file's
            raise SecretError(f"{check_keyring().why_not}: enter a password command, which "
                              "Save writes to the config as password_command")
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
