"""Passwords and tokens: from a command, the keyring, or (with a warning at load) the config file.

A secret is never printed, logged or written anywhere by us but the keyring. Error messages name
the account and the way out, never the secret.
"""

from __future__ import annotations

import contextlib
import subprocess
from typing import Literal

from tui_mail.errors import SecretError
from tui_mail.model import Account, ServerConfig

SERVICE = "tui-mail"
Role = Literal["incoming", "smtp"]

NO_KEYRING_HELP = (
    "no usable keyring backend on this system (a headless Linux without D-Bus has none). "
    "Ways out: set password_command in the account's [incoming]/[smtp] table (e.g. "
    "\"pass show mail/work\" or \"cat ~/.config/tui-mail/work.pw\"), install and unlock a "
    "Secret Service (gnome-keyring, KeePassXC), or install keyrings.alt and set "
    "PYTHON_KEYRING_BACKEND"
)


def keyring_key(account: Account, role: Role) -> str:
    """The keyring username under service `tui-mail`: `<account>:<role>`."""
    return f"{account.name}:{role}"


def server_for(account: Account, role: Role) -> ServerConfig:
    if role == "incoming":
        return account.incoming
    if account.smtp is None:
        raise SecretError(f"account {account.name!r} has no [smtp] server configured")
    return account.smtp


def run_secret_command(command: str, what: str, timeout: float = 60.0) -> str:
    """Run a password/token command through the shell; its first line of stdout is the secret."""
    try:
        done = subprocess.run(
            command, shell=True, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise SecretError(f"{what}: command timed out after {timeout:.0f} s: {command}") from None
    except OSError as exc:
        raise SecretError(f"{what}: command could not run: {exc}") from None
    if done.returncode != 0:
        # stderr is the command's own complaint (not the secret); keep its last line short.
        detail = (done.stderr.strip().splitlines() or [""])[-1][:200]
        suffix = f": {detail}" if detail else ""
        raise SecretError(
            f"{what}: command failed with exit status {done.returncode}{suffix} (command: {command})"
        )
    first = done.stdout.splitlines()[0] if done.stdout else ""
    if not first:
        raise SecretError(f"{what}: command printed nothing (command: {command})")
    return first


def _keyring_get(account: Account, role: Role) -> str | None:
    import keyring
    from keyring.errors import KeyringError, NoKeyringError

    try:
        return keyring.get_password(SERVICE, keyring_key(account, role))
    except NoKeyringError:
        return None
    except KeyringError as exc:
        raise SecretError(f"account {account.name!r}: keyring error: {exc}") from None


def keyring_usable() -> bool:
    import keyring
    from keyring.backends import fail

    return not isinstance(keyring.get_keyring(), fail.Keyring)


def get_password(account: Account, role: Role) -> str:
    """The password for `role` of `account`: command, then keyring, then the config file."""
    server = server_for(account, role)
    what = f"account {account.name!r} {role} password"
    if server.password_command:
        return run_secret_command(server.password_command, f"{what} (password_command)")
    stored = _keyring_get(account, role)
    if stored:
        return stored
    if server.password:
        return server.password
    if not keyring_usable():
        raise SecretError(f"{what}: not set, and {NO_KEYRING_HELP}")
    raise SecretError(
        f"{what}: not set. Run `tui-mail accounts set-password {account.name} {role}` "
        "or set password_command in the config"
    )


def get_oauth2_token(account: Account, role: Role) -> str | None:
    """An OAuth2 access token from `oauth2_token_command`, or None when none is configured."""
    server = server_for(account, role)
    if not server.oauth2_token_command:
        return None
    return run_secret_command(
        server.oauth2_token_command, f"account {account.name!r} {role} oauth2_token_command"
    )


def keyring_read(name: str, what: str) -> str | None:
    """The secret stored under service `tui-mail` and `name`, or None (also without a keyring)."""
    import keyring
    from keyring.errors import KeyringError, NoKeyringError

    try:
        return keyring.get_password(SERVICE, name)
    except NoKeyringError:
        return None
    except KeyringError as exc:
        raise SecretError(f"{what}: keyring error: {exc}") from None


def keyring_write(name: str, secret: str | None, what: str) -> None:
    """Store (or, with None, remove) a secret under service `tui-mail` and `name`."""
    import keyring
    from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

    if not keyring_usable():
        raise SecretError(f"{what}: cannot be stored: {NO_KEYRING_HELP}")
    try:
        if secret is None:
            with contextlib.suppress(PasswordDeleteError):
                keyring.delete_password(SERVICE, name)
        else:
            keyring.set_password(SERVICE, name, secret)
    except NoKeyringError:
        raise SecretError(f"{what}: cannot be stored: {NO_KEYRING_HELP}") from None
    except KeyringError as exc:
        raise SecretError(f"{what}: cannot be stored in the keyring: {exc}") from None


def set_password(account: Account, role: Role, password: str) -> None:
    """Store a password in the keyring, or explain why that is not possible here."""
    import keyring
    from keyring.errors import KeyringError, NoKeyringError, PasswordSetError

    if not keyring_usable():
        raise SecretError(f"cannot store the password: {NO_KEYRING_HELP}")
    try:
        keyring.set_password(SERVICE, keyring_key(account, role), password)
    except NoKeyringError:
        raise SecretError(f"cannot store the password: {NO_KEYRING_HELP}") from None
    except (PasswordSetError, KeyringError) as exc:
        raise SecretError(f"cannot store the password in the keyring: {exc}") from None
