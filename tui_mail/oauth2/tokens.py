"""OAuth2 tokens of an account: the refresh token kept, the access token renewed in time.

The refresh token lives in the keyring under `<account>:oauth2` (or comes from the account's
`refresh_token_command`). Access tokens live only in this process's memory: one is renewed a
minute before it expires, and once more when a server refuses it (`access_token(renew=True)`).
A refresh token the provider no longer accepts raises SignInRequired with the way to sign in
again, so a revoked sign-in never becomes a loop of failing logins. No token is ever logged.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_mail import secrets
from tui_mail.errors import AuthError, ConnectError, SecretError
from tui_mail.model import Account, OAuth2Config, OAuth2Flow
from tui_mail.oauth2.flows import SignInPrompt, browser_sign_in, chosen_flow, device_sign_in
from tui_mail.oauth2.http import OAuthError, post_form

RENEW_BEFORE = 60.0  # seconds before expiry an access token is renewed
DEFAULT_LIFETIME = 3600.0  # when the provider does not say (expires_in is only RECOMMENDED)
# The provider's answers that mean the refresh token will never work again.
_SIGN_IN_AGAIN = {"invalid_grant", "unauthorized_client", "invalid_client", "interaction_required"}


class SignInRequired(AuthError):
    """The account has no working sign-in: never signed in, or revoked, or expired."""


@dataclass
class _Access:
    token: str
    expires_at: float  # time.monotonic()


_access: dict[str, _Access] = {}
_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


def keyring_name(account: Account) -> str:
    return f"{account.name}:oauth2"


def how_to_sign_in(account: Account) -> str:
    """The ways to sign in again: the command, and the app's palette entry (its title is the
    registry's app.sign_in in tui_mail.ui.keys; a test keeps the two the same)."""
    return (f"sign in again with `tui-mail accounts login {account.name}`, or in the app: "
            f"press ctrl+p and choose “Sign in to {account.name} (OAuth2)”")


def forget_access_tokens() -> None:
    """Drop every access token of this process (tests; after signing out)."""
    with _guard:
        _access.clear()


def _config(account: Account) -> OAuth2Config:
    if account.oauth2 is None:
        raise AuthError(f"account {account.name!r} does not sign in with OAuth2 (no "
                        f"[accounts.{account.name}.oauth2] table)")
    return account.oauth2


def _lock(account: Account) -> threading.Lock:
    with _guard:
        return _locks.setdefault(account.name, threading.Lock())


def _cache_key(account: Account, config: OAuth2Config) -> str:
    return f"{account.name}\0{config.token_url}\0{config.client_id}"


def token_file(account: Account) -> Path:
    """Where the refresh token is kept on a machine without a keyring (a headless server over
    SSH, the very place the device flow is for): a file only the user can read."""
    from tui_mail.config import default_data_dir

    return default_data_dir() / "oauth2" / f"{account.name}.refresh-token"


def _what(account: Account) -> str:
    return f"account {account.name!r} OAuth2 refresh token"


def _stored_refresh_token(account: Account, config: OAuth2Config) -> str | None:
    if config.refresh_token_command:
        return secrets.run_secret_command(config.refresh_token_command,
                                          f"{_what(account)} (refresh_token_command)")
    stored = secrets.keyring_read(keyring_name(account), _what(account))
    if stored:
        return stored
    try:
        return token_file(account).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SecretError(f"{_what(account)}: cannot read {token_file(account)}: "
                          f"{exc.strerror or exc}") from None


def kept_where(account: Account) -> str:
    """Where this account's refresh token is read from, in words for the user."""
    config = _config(account)
    if config.refresh_token_command:
        return "refresh_token_command (a token the provider rotates is not saved back)"
    if secrets.keyring_usable():
        return f"the keyring (service tui-mail, {keyring_name(account)})"
    return f"{token_file(account)} (readable only by you; this machine has no keyring)"


def store_refresh_token(account: Account, token: str | None) -> None:
    """Keep (or, with None, forget) the refresh token: in the keyring when there is one, else
    in `token_file` (mode 0600)."""
    if secrets.keyring_usable():
        secrets.keyring_write(keyring_name(account), token, _what(account))
        if token is not None:
            return
    path = token_file(account)
    if token is None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    try:
        # Each level made private: mkdir(parents=True) gives the levels above the last the
        # umask's mode, and the data folder itself may not exist yet.
        path.parent.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        staging = path.with_suffix(".new")
        fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(token + "\n")
        os.replace(staging, path)
    except OSError as exc:
        raise SecretError(f"{_what(account)}: cannot be kept in {path}: "
                          f"{exc.strerror or exc}") from None


def _keep(account: Account, config: OAuth2Config, answer: dict[str, Any]) -> str:
    """Remember a token endpoint's answer; return the access token."""
    token = answer.get("access_token")
    if not isinstance(token, str) or not token:
        raise AuthError(f"account {account.name!r}: the identity provider's answer has no "
                        "access token")
    try:
        lifetime = float(answer.get("expires_in", DEFAULT_LIFETIME))
    except (TypeError, ValueError):
        lifetime = DEFAULT_LIFETIME
    refresh = answer.get("refresh_token")
    if isinstance(refresh, str) and refresh and not config.refresh_token_command:
        # Providers may rotate it (Microsoft does): the new one replaces the old.
        store_refresh_token(account, refresh)
    with _guard:
        _access[_cache_key(account, config)] = _Access(token, time.monotonic() + lifetime)
    return token


def access_token(account: Account, *, renew: bool = False) -> str:
    """A current access token for `account`, renewed through the token endpoint when it is
    about to expire, or always with `renew` (after a server refused the last one).

    Raises SignInRequired (sign in again), ConnectError (the provider is unreachable: retry
    later) or AuthError (the provider refused for another reason).
    """
    config = _config(account)
    key = _cache_key(account, config)
    with _lock(account):
        with _guard:
            cached = _access.get(key)
        if cached and not renew and cached.expires_at - RENEW_BEFORE > time.monotonic():
            return cached.token
        refresh = _stored_refresh_token(account, config)
        if not refresh:
            raise SignInRequired(f"account {account.name!r} has not signed in yet: "
                                 + how_to_sign_in(account).replace("sign in again", "sign in"))
        try:
            answer = _refresh(account, config, refresh)
        except SignInRequired:
            # Another tui-mail (the app, a `sync` from cron) may have just renewed it with a
            # provider that rotates refresh tokens, making ours stale: try the one it kept.
            again = _stored_refresh_token(account, config)
            if not again or again == refresh:
                with _guard:
                    _access.pop(key, None)
                raise
            answer = _refresh(account, config, again)
        return _keep(account, config, answer)


def _refresh(account: Account, config: OAuth2Config, refresh: str) -> dict[str, Any]:
    """The token endpoint's answer to a refresh; its refusals as our errors."""
    try:
        return post_form(config, config.token_url,
                         {"grant_type": "refresh_token", "refresh_token": refresh})
    except OAuthError as exc:
        where = f"account {account.name!r}: renewing the sign-in failed"
        if exc.error in _SIGN_IN_AGAIN:
            raise SignInRequired(f"account {account.name!r}: the sign-in has expired or "
                                 f"was revoked ({exc}); {how_to_sign_in(account)}") from None
        if exc.error in ("unreachable", "timeout") or exc.status >= 500:
            raise ConnectError(f"{where}: {exc}") from None
        raise AuthError(f"{where}: {exc}") from None


def sign_in(account: Account, prompt: SignInPrompt, cancel: threading.Event | None = None, *,
            flow: OAuth2Flow | None = None, **browser_options: Any) -> OAuth2Flow:
    """Run a sign-in (the config's flow, or `flow`), keep the tokens, return the flow used.

    Raises OAuthError (refused, cancelled, unreachable) or SecretError (the refresh token could
    not be kept).
    """
    config = _config(account)
    chosen = flow if flow and flow is not OAuth2Flow.AUTO else chosen_flow(config)
    cancel = cancel or threading.Event()
    # Not under the account's lock: the user may take minutes, and the app's sync must not
    # wait on them for a token it may still have.
    if chosen is OAuth2Flow.DEVICE:
        answer = device_sign_in(config, prompt, cancel)
    else:
        answer = browser_sign_in(config, prompt, cancel,
                                 login_hint=account.incoming.username, **browser_options)
    if not answer.get("refresh_token") and not config.refresh_token_command:
        raise OAuthError("the identity provider gave no refresh token, so tui-mail would "
                         "have to ask again within the hour; check that the scopes include "
                         "offline access (Microsoft: offline_access)", "no_refresh_token")
    with _lock(account):
        _keep(account, config, answer)
    return chosen


def sign_out(account: Account) -> None:
    """Forget the account's tokens here (the provider's grant stays until revoked there)."""
    config = _config(account)
    with _guard:
        _access.pop(_cache_key(account, config), None)
    store_refresh_token(account, None)
