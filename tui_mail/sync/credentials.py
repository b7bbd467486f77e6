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
    """The login for one server of `account`: an OAuth2 access token when the account signs in
    with OAuth2 (renewed once if the server refuses it), a token from `oauth2_token_command`,
    else the password (command, keyring or config). Raises SecretError or AuthError
    (SignInRequired) with the way out. Blocking: it may run a command or an HTTP request."""
    server = secrets.server_for(account, role)
    if account.oauth2 is not None:
        from tui_mail.oauth2 import tokens

        return Credentials(server.username, oauth2_token=tokens.access_token(account),
                           renew=lambda refused: tokens.access_token(account, renew=True,
                                                                     refused=refused))
    token = secrets.get_oauth2_token(account, role)
    if token:
        return Credentials(server.username, oauth2_token=token)
    return Credentials(server.username, password=secrets.get_password(account, role))


def provider(account: Account, role: Role) -> CredentialsProvider:
    """`credentials(account, role)` deferred to each connect."""
    return lambda: credentials(account, role)
