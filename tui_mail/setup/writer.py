"""Adding an account to the config file without disturbing what is already there.

The new `[accounts.NAME]` block is appended to the existing text, so the user's comments and
layout survive. The result is validated with the config loader before anything is written,
the file is replaced atomically (mode 0600 when new), and a password is never written. An
account that signs in with OAuth2 gets an `[accounts.NAME.oauth2]` table holding only what
differs from its provider's defaults (the refresh token is in the keyring).
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tui_mail.config import Config, load_config, parse_config
from tui_mail.errors import ConfigError
from tui_mail.model import OAuth2Config, OAuth2Flow, Protocol, ServerConfig

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class NewAccount:
    """What the setup screen collected. Passwords live in the keyring, never here."""

    name: str
    address: str  # the bare address, you@example.com
    display_name: str
    incoming: ServerConfig
    smtp: ServerConfig | None
    oauth2: OAuth2Config | None = None  # signs in with OAuth2 instead of a password


def toml_string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = ['"']
    for char in value:
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def toml_key(name: str) -> str:
    return name if _BARE_KEY.match(name) else toml_string(name)


def _server_lines(server: ServerConfig, *, incoming: bool, address: str) -> list[str]:
    lines = []
    if incoming or server.protocol is not Protocol.SMTP:
        lines.append(f"protocol = {toml_string(server.protocol.value)}")
    lines += [
        f"host = {toml_string(server.host)}",
        f"port = {server.port}",
        f"security = {toml_string(server.security.value)}",
    ]
    if server.username and server.username != address:
        lines.append(f"username = {toml_string(server.username)}")
    if server.ca_file is not None:
        lines.append(f"ca_file = {toml_string(str(server.ca_file))}")
    if not server.tls_verify:
        lines.append("tls_verify = false")
    if server.password_command:
        lines.append(f"password_command = {toml_string(server.password_command)}")
    if server.oauth2_token_command:
        lines.append(f"oauth2_token_command = {toml_string(server.oauth2_token_command)}")
    return lines


def _tenant(template: str, url: str) -> str | None:
    """The tenant a provider's `{tenant}` URL template was filled with to make `url`."""
    from tui_mail.oauth2.providers import TENANT

    if "{tenant}" not in template:
        return None
    head, _, tail = template.partition("{tenant}")
    found = re.fullmatch(re.escape(head) + f"({TENANT})" + re.escape(tail), url)
    return found.group(1) if found else None


def _oauth2_lines(config: OAuth2Config) -> list[str]:
    """The oauth2 table: the provider, the client, and what differs from the provider's own
    endpoints and scopes (a custom provider: everything)."""
    from tui_mail.oauth2.providers import DEFAULT_TENANT, PROVIDERS, with_tenant

    known = PROVIDERS.get(config.provider)
    lines = [f"provider = {toml_string(config.provider if known else 'custom')}",
             f"client_id = {toml_string(config.client_id)}"]
    if config.client_secret:
        # A desktop client's secret is not secret (Google says so): it belongs with the id.
        lines.append(f"client_secret = {toml_string(config.client_secret)}")
    defaults: dict[str, str | None] = {}
    if known is not None:
        tenant = _tenant(known.token_url, config.token_url)
        if tenant and tenant != DEFAULT_TENANT:
            lines.append(f"tenant = {toml_string(tenant)}")
        defaults = {"authorization_url": with_tenant(known.authorization_url, tenant or ""),
                    "token_url": with_tenant(known.token_url, tenant or ""),
                    "device_authorization_url": with_tenant(known.device_authorization_url,
                                                            tenant or "")}
    for key in ("authorization_url", "token_url", "device_authorization_url"):
        value = getattr(config, key)
        if value and value != defaults.get(key):
            lines.append(f"{key} = {toml_string(value)}")
    if known is None or tuple(config.scopes) != tuple(known.scopes):
        lines.append("scopes = [" + ", ".join(toml_string(s) for s in config.scopes) + "]")
    if config.flow is not OAuth2Flow.AUTO:
        lines.append(f"flow = {toml_string(config.flow.value)}")
    if config.refresh_token_command:
        lines.append(f"refresh_token_command = {toml_string(config.refresh_token_command)}")
    if config.ca_file is not None:
        lines.append(f"ca_file = {toml_string(str(config.ca_file))}")
    if config.timeout != 30.0:
        lines.append(f"timeout = {config.timeout!r}")
    return lines


def account_block(account: NewAccount) -> str:
    """The TOML text of one account (no password, ever)."""
    if not account.name.strip():
        raise ConfigError("the account needs a name (used in the config and on the screen)")
    key = f"accounts.{toml_key(account.name)}"
    lines = [f"[{key}]", f"address = {toml_string(account.address)}"]
    if account.display_name:
        lines.append(f"display_name = {toml_string(account.display_name)}")
    lines += ["", f"[{key}.incoming]"]
    lines += _server_lines(account.incoming, incoming=True, address=account.address)
    if account.smtp is not None:
        lines += ["", f"[{key}.smtp]"]
        lines += _server_lines(account.smtp, incoming=False, address=account.address)
    if account.oauth2 is not None:
        lines += ["", f"[{key}.oauth2]"]
        lines += _oauth2_lines(account.oauth2)
    return "\n".join(lines) + "\n"


def _existing_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None


def prepare(path: Path, account: NewAccount) -> str:
    """The whole new config text, validated. Raises ConfigError (a name already in use, a
    broken existing file, an invalid value) before anything is written."""
    text = _existing_text(path)
    if text.strip():
        existing = parse_config(text, path)
        if any(a.name == account.name for a in existing.accounts):
            raise ConfigError(
                f"{path}: an account named {account.name!r} already exists; choose another name"
            )
    header = "" if text.strip() else (
        "# tui-mail configuration; passwords and sign-ins are kept in the keyring, not in "
        "this file.\n\n"
    )
    separator = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    new_text = header + text + separator + account_block(account)
    config = parse_config(new_text, path)
    if not any(a.name == account.name for a in config.accounts):  # pragma: no cover - defensive
        raise ConfigError(f"{path}: the new account {account.name!r} did not survive validation")
    if account.oauth2 is not None and config.account(account.name).oauth2 != account.oauth2:
        raise ConfigError(f"{path}: the OAuth2 settings of {account.name!r} cannot be written "
                          "as a config that loads back the same; enter them in the file by hand")
    return new_text


def write_config(path: Path, text: str) -> None:
    """Replace `path` with `text` atomically; a new file (and its folders) is private, and so
    is one that now holds a client secret."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o600
    if "client_secret" in text:
        mode &= 0o700
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(f"{path}: cannot write: {exc}") from None


def add_account(path: Path, account: NewAccount) -> Config:
    """Append `account` to the config at `path` (created if missing) and return the reloaded,
    validated config."""
    write_config(path, prepare(path, account))
    return load_config(path)
