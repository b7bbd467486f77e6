"""OAuth2 tokens of an account: the refresh token kept, the access token renewed in time.

The refresh token lives in the keyring under `<account>:oauth2`, or in a 0600 file in the data
folder on a machine without one (or comes from the account's `refresh_token_command`, kept by
another tool). Access tokens live only in this process's memory: one is renewed a minute before
it expires, and once more when a server refuses it (`access_token(renew=True)`). Renewals are
serialised across processes (a file lock), since providers may rotate refresh tokens.
A refresh token the provider no longer accepts raises SignInRequired with the way to sign in
again, so a revoked sign-in never becomes a loop of failing logins. No token is ever logged.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
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


logger = logging.getLogger(__name__)


@dataclass
class _Access:
    token: str = field(repr=False)
    expires_at: float  # time.time(): the monotonic clock stops while a laptop sleeps


_access: dict[str, _Access] = {}
_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


def keyring_name(account: Account) -> str:
    return f"{account.name}:oauth2"


def how_to_sign_in(account: Account, *, again: bool = True) -> str:
    """The ways to sign in (again): the command, and the app's palette entry (its title is the
    registry's app.sign_in in tui_mail.ui.keys; a test keeps the two the same)."""
    verb = "sign in again" if again else "sign in"
    return (f"{verb} with `tui-mail accounts login {account.name}`, or in the app: "
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


def _private_folder(account: Account) -> Path:
    """The folder of `token_file`, made private at each level: mkdir(parents=True) gives the
    levels above the last the umask's mode, and the data folder itself may not exist yet."""
    folder = token_file(account).parent
    folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


@contextlib.contextmanager
def _renewing(account: Account) -> Iterator[None]:
    """The account's refresh token read, used and replaced by one process at a time (the
    caller holds the thread lock): with a provider that rotates refresh tokens, two tui-mails
    renewing with the same one would leave one of them signed out."""
    try:
        fd = os.open(_private_folder(account) / f"{account.name}.lock",
                     os.O_WRONLY | os.O_CREAT, 0o600)
    except OSError:
        yield  # a read-only data folder: renew without the other processes' lock
        return
    with os.fdopen(fd, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _what(account: Account) -> str:
    return f"account {account.name!r} OAuth2 refresh token"


def _file_token(account: Account) -> str | None:
    try:
        return token_file(account).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SecretError(f"{_what(account)}: cannot read {token_file(account)}: "
                          f"{exc.strerror or exc}") from None


def _stored_refresh_token(account: Account, config: OAuth2Config) -> str | None:
    if config.refresh_token_command:
        return secrets.run_secret_command(config.refresh_token_command,
                                          f"{_what(account)} (refresh_token_command)")
    return secrets.keyring_read(keyring_name(account), _what(account)) or _file_token(account)


def kept_where(account: Account) -> str:
    """Where this account's refresh token is read from, in words for the user."""
    config = _config(account)
    if config.refresh_token_command:
        return "refresh_token_command (kept by another tool)"
    in_keyring = secrets.keyring_read(keyring_name(account), _what(account))
    if in_keyring or (secrets.keyring_usable() and not token_file(account).exists()):
        return f"the keyring (service tui-mail, {keyring_name(account)})"
    why = "a locked keyring" if secrets.keyring_usable() else "no keyring"
    return f"{token_file(account)} (readable only by you; this machine has {why})"


def store_refresh_token(account: Account, token: str | None) -> None:
    """Keep (or, with None, forget) the refresh token: in the keyring when there is one, else
    (no keyring, or a locked one) in `token_file` (mode 0600). Only one place holds it."""
    path = token_file(account)
    if secrets.keyring_usable():
        try:
            secrets.keyring_write(keyring_name(account), token, _what(account))
        except SecretError as exc:
            if token is None:
                raise
            logger.warning("%s; kept in %s instead", exc, path)
        else:
            token = None  # the file, if an earlier run left one, must not outlive it
    if token is None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    try:
        _private_folder(account)
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
        _access[_cache_key(account, config)] = _Access(token, time.time() + lifetime)
    return token


def access_token(account: Account, *, renew: bool = False, refused: str | None = None) -> str:
    """A current access token for `account`, renewed through the token endpoint when it is
    about to expire, or with `renew` (a server refused `refused`, the last one: when several
    connections are refused at once, the first renews and the others take its token).

    Raises SignInRequired (sign in again), ConnectError (the provider is unreachable: retry
    later) or AuthError (the provider refused for another reason).
    """
    config = _config(account)
    key = _cache_key(account, config)
    with _lock(account):
        with _guard:
            cached = _access.get(key)
        fresh = cached is not None and cached.expires_at - RENEW_BEFORE > time.time()
        if cached and fresh and (not renew or (refused is not None and cached.token != refused)):
            return cached.token  # no file touched: this is every connect's path
        with _renewing(account):
            return _renewed(account, config, key)


def _renewed(account: Account, config: OAuth2Config, key: str) -> str:
    """A new access token from the stored refresh token (under both locks)."""
    refresh = _stored_refresh_token(account, config)
    if not refresh:
        raise SignInRequired(f"account {account.name!r} has not signed in yet: "
                             + how_to_sign_in(account, again=False))
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
        # The scope is sent again: Microsoft's token endpoint requires it on a refresh.
        return post_form(config, config.token_url,
                         {"grant_type": "refresh_token", "refresh_token": refresh,
                          "scope": " ".join(config.scopes)})
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
    if config.refresh_token_command:
        raise SecretError(
            f"account {account.name!r} reads its refresh token from refresh_token_command, "
            "kept by another tool: sign in with that tool; or remove refresh_token_command "
            "and tui-mail keeps the sign-in itself")
    chosen = flow if flow and flow is not OAuth2Flow.AUTO else chosen_flow(config)
    cancel = cancel or threading.Event()
    # Not under the account's lock: the user may take minutes, and the app's sync must not
    # wait on them for a token it may still have.
    if chosen is OAuth2Flow.DEVICE:
        answer = device_sign_in(config, prompt, cancel)
    else:
        answer = browser_sign_in(config, prompt, cancel,
                                 login_hint=account.incoming.username, **browser_options)
    if not answer.get("refresh_token"):
        raise OAuthError("the identity provider gave no refresh token, so tui-mail would "
                         "have to ask again within the hour; check that the scopes include "
                         "offline access (Microsoft: offline_access)", "no_refresh_token")
    with _lock(account), _renewing(account):
        _keep(account, config, answer)
    return chosen


def sign_out(account: Account) -> None:
    """Forget the account's tokens here (the provider's grant stays until revoked there)."""
    config = _config(account)
    with _guard:
        _access.pop(_cache_key(account, config), None)
    store_refresh_token(account, None)
