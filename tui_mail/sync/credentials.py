"""Credentials for an account's servers: the one place they are looked up.

A credentials *provider* is asked on every connect, not once: a token command runs again after
a reconnect (tokens expire), and a password changed in the keyring is picked up without a
restart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from tui_mail import secrets
from tui_mail.model import Account
from tui_mail.remote.connection import Credentials

Role = Literal["incoming", "smtp"]
CredentialsProvider = Callable[[], Credentials]


def credentials(account: Account, role: Role) -> Credentials:
    """The login for one server of `account`: an OAuth2 token from its command, else the
    password (command, keyring or config). Raises SecretError with the way out."""
    server = secrets.server_for(account, role)
    token = secrets.get_oauth2_token(account, role)
    if token:
        return Credentials(server.username, oauth2_token=token)
    return Credentials(server.username, password=secrets.get_password(account, role))


def provider(account: Account, role: Role) -> CredentialsProvider:
    """`credentials(account, role)` deferred to each connect."""
    return lambda: credentials(account, role)
