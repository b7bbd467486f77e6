"""Adding an account to the config file without disturbing what is already there.

The new `[accounts.NAME]` block is appended to the existing text, so the user's comments and
layout survive. The result is validated with the config loader before anything is written,
the file is replaced atomically (mode 0600 when new), and a password is never written.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tui_mail.config import Config, load_config, parse_config
from tui_mail.errors import ConfigError
from tui_mail.model import Protocol, ServerConfig

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class NewAccount:
    """What the setup screen collected. Passwords live in the keyring, never here."""

    name: str
    address: str  # the bare address, you@example.com
    display_name: str
    incoming: ServerConfig
    smtp: ServerConfig | None


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
        "# tui-mail configuration; passwords are in the keyring, not in this file.\n\n"
    )
    separator = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    new_text = header + text + separator + account_block(account)
    config = parse_config(new_text, path)
    if not any(a.name == account.name for a in config.accounts):  # pragma: no cover - defensive
        raise ConfigError(f"{path}: the new account {account.name!r} did not survive validation")
    return new_text


def write_config(path: Path, text: str) -> None:
    """Replace `path` with `text` atomically; a new file (and its folders) is private."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o600
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
