"""The configuration file: located, read and validated once, at load.

Every error names the file, the account and the key, says what was expected and what was
found, and suggests the nearest valid key for a typo. Nothing after load re-validates.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tui_mail.errors import ConfigError
from tui_mail.model import (
    DEFAULT_PORTS,
    DOWNLOAD_BODIES,
    Account,
    Address,
    AutocryptMode,
    CryptoKind,
    EncryptPolicy,
    FolderRole,
    Identity,
    OAuth2Config,
    OAuth2Flow,
    Protocol,
    Security,
    ServerConfig,
    SignPolicy,
)
from tui_mail.paths import (  # noqa: F401 - the config's folders, named from here too
    APP_NAME,
    config_dir,
    default_config_path,
    default_data_dir,
    default_state_dir,
)

T = TypeVar("T")

DEFAULT_THEME = "tui-mail-dark"
LOG_LEVELS = ("debug", "info", "warning", "error")  # `log_level`; see tui_mail/log.py
# `ui.preview_pane`: "auto" (beside the list when wide, below it when tall), a fixed place, or
# "off"; true and false (the older form) mean "auto" and "off". See ui/screens/mailbox.py.
PREVIEW_LAYOUTS = ("auto", "right", "below", "off")
# `notify.desktop`: which desktop notification new mail gets (tui_mail/new_mail.py); "auto"
# picks notify-send in a graphical session, else the escape the terminal is known to read.
DESKTOP_NOTIFIERS = ("auto", "osc777", "osc9", "notify-send", "off")


@dataclass(frozen=True)
class UISettings:
    mark_read_on_open: bool = True
    attachments_dir: Path = field(default_factory=lambda: Path.home() / "Downloads")
    threaded: bool = False
    prefer_html: bool = False
    preview_pane: str = "auto"  # one of PREVIEW_LAYOUTS
    sync_every_minutes: float = 5.0  # background sync of every account; 0: on start and `$` only
    idle: bool = True  # IMAP accounts: watch INBOX with IDLE and sync it as soon as mail arrives
    print_command: str = "lpr"  # `P`: the message's text on its stdin (split like a shell, no shell)


@dataclass(frozen=True)
class NotifySettings:
    """What new mail does (`[notify]`); which accounts and folders notify is per account."""

    bell: bool = True
    desktop: str = "auto"  # one of DESKTOP_NOTIFIERS
    command: str = ""  # new_mail_command: split with shlex, run without a shell; "": none


@dataclass(frozen=True)
class SavedSearch:
    """A `[searches]` entry: a query (the search bar's language) shown as a folder by name."""

    name: str
    query: str


@dataclass(frozen=True)
class Config:
    """The whole validated configuration."""

    path: Path
    accounts: tuple[Account, ...]
    theme: str = DEFAULT_THEME
    keys: Mapping[str, str] = field(default_factory=dict)
    ui: UISettings = field(default_factory=UISettings)
    warnings: tuple[str, ...] = ()
    log_level: str = "info"  # "debug" adds the protocol lines to the log
    # The composer's address books besides the cache (tui_mail/address_book.py): a command
    # speaking mutt's query protocol, and vCard files or folders of them.
    address_book_command: str = ""
    address_book_vcards: tuple[Path, ...] = ()
    notify: NotifySettings = field(default_factory=NotifySettings)
    searches: tuple[SavedSearch, ...] = ()  # in the order the file lists them

    def account(self, name: str) -> Account:
        for account in self.accounts:
            if account.name == name:
                return account
        known = ", ".join(a.name for a in self.accounts) or "none"
        raise ConfigError(f"{self.path}: no account named {name!r} (accounts: {known})")


class _Where:
    """Builds error messages that name the file, the account and the key."""

    def __init__(self, path: Path, account: str | None = None, prefix: str = "") -> None:
        self.path = path
        self.account = account
        self.prefix = prefix

    def sub(self, table: str) -> _Where:
        return _Where(self.path, self.account, f"{self.prefix}{table}.")

    def error(self, key: str, message: str) -> ConfigError:
        where = f"{self.path}: "
        if self.account is not None:
            where += f"account {self.account!r}: "
        return ConfigError(f"{where}key '{self.prefix}{key}': {message}")


def _describe(value: object) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a number",
             list: "a list", dict: "a table"}
    return f"{names.get(type(value), type(value).__name__)} ({value!r})"


def _check_keys(table: Mapping[str, Any], allowed: set[str], where: _Where) -> None:
    for key in table:
        if key not in allowed:
            import difflib

            near = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            valid = ", ".join(sorted(allowed))
            raise where.error(key, f"unknown key{hint}; valid keys here: {valid}")


def _get(
    table: Mapping[str, Any], key: str, kind: type[T], where: _Where, *, required: bool = False,
    default: T | None = None,
) -> T | None:
    if key not in table:
        if required:
            raise where.error(key, f"missing; expected {_describe_kind(kind)}")
        return default
    value = table[key]
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok:
        raise where.error(key, f"expected {_describe_kind(kind)}, found {_describe(value)}")
    return value


def _describe_kind(kind: type) -> str:
    return {str: "a string", bool: "true or false", int: "an integer", float: "a number",
            list: "a list", dict: "a table"}[kind]


def _choice(value: str | None, choices: type[Any], key: str, where: _Where) -> Any:
    try:
        return choices(value)
    except ValueError:
        valid = ", ".join(repr(c.value) for c in choices if c.value)
        raise where.error(key, f"expected one of {valid}, found {value!r}") from None


def _address(text: str, key: str, where: _Where) -> Address:
    from email.utils import parseaddr

    name, email = parseaddr(text)
    if "@" not in email or any(c in text for c in "\r\n"):
        raise where.error(key, f"expected an address like 'Name <you@example.com>', found {text!r}")
    return Address(name, email)


def _https_url(table: Mapping[str, Any], key: str, where: _Where, default: str | None) -> str | None:
    url = _get(table, key, str, where, default=default)
    if url is not None and not re.match(r"^https://[^/\s]+(/\S*)?$", url):
        raise where.error(key, f"expected an https:// URL, found {url!r}")
    return url


def _readable_file(table: Mapping[str, Any], key: str, where: _Where) -> Path | None:
    text = _get(table, key, str, where)
    if text is None:
        return None
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = (where.path.parent / path).resolve()
    if not path.is_file():
        raise where.error(key, f"expected a readable PEM file, found no file at {path}")
    return path


_SERVER_KEYS = {
    "protocol", "host", "port", "security", "username", "ca_file", "tls_verify",
    "password_command", "password", "oauth2_token_command", "timeout",
}


def _server(
    table: Mapping[str, Any], where: _Where, *, incoming: bool, warnings: list[str],
    default_user: str,
) -> ServerConfig:
    _check_keys(table, _SERVER_KEYS, where)
    if incoming:
        proto_text = _get(table, "protocol", str, where, required=True)
        protocol = _choice(proto_text, Protocol, "protocol", where)
        if protocol is Protocol.SMTP:
            raise where.error("protocol", "expected 'imap' or 'pop3' for the incoming server, found 'smtp'")
    else:
        proto_text = _get(table, "protocol", str, where, default="smtp")
        if proto_text != "smtp":
            raise where.error("protocol", f"expected 'smtp' for the outgoing server, found {proto_text!r}")
        protocol = Protocol.SMTP
    host = _get(table, "host", str, where, required=True)
    assert host is not None
    if not host.strip() or any(c.isspace() for c in host):
        raise where.error("host", f"expected a host name or address, found {host!r}")
    security = _choice(_get(table, "security", str, where, required=True), Security, "security", where)
    port = _get(table, "port", int, where, default=DEFAULT_PORTS[(protocol, security)])
    assert port is not None
    if not 1 <= port <= 65535:
        raise where.error("port", f"expected an integer from 1 to 65535, found {port}")
    username = _get(table, "username", str, where, default=default_user) or default_user
    ca_file = _readable_file(table, "ca_file", where)
    tls_verify = _get(table, "tls_verify", bool, where, default=True)
    label = "incoming" if incoming else "smtp"
    if tls_verify is False:
        warnings.append(
            f"{where.path}: account {where.account!r}: {label}.tls_verify = false: the server's "
            "certificate is not checked; anyone on the network path can read your mail"
        )
    if security is Security.NONE:
        warnings.append(
            f"{where.path}: account {where.account!r}: {label}.security = 'none': password and "
            "mail travel unencrypted"
        )
    password = _get(table, "password", str, where)
    if password is not None:
        warnings.append(
            f"{where.path}: account {where.account!r}: {label}.password is written in the config "
            "file; prefer the keyring (tui-mail accounts set-password) or password_command"
        )
    timeout = _get(table, "timeout", float, where, default=30.0)
    assert timeout is not None
    if timeout <= 0:
        raise where.error("timeout", f"expected a positive number of seconds, found {timeout}")
    return ServerConfig(
        protocol=protocol,
        host=host.strip(),
        port=port,
        security=security,
        username=username,
        ca_file=ca_file,
        tls_verify=bool(tls_verify),
        password_command=_get(table, "password_command", str, where),
        oauth2_token_command=_get(table, "oauth2_token_command", str, where),
        password=password,
        timeout=timeout,
    )


_OAUTH2_KEYS = {
    "provider", "client_id", "client_secret", "tenant", "authorization_url", "token_url",
    "device_authorization_url", "scopes", "flow", "refresh_token_command", "ca_file", "timeout",
}
_OAUTH2_HELP = "see the README, 'Signing in with Google, Microsoft or another OAuth2 provider'"


def _oauth2(table: Mapping[str, Any], where: _Where, incoming: ServerConfig) -> OAuth2Config:
    """The `[accounts.NAME.oauth2]` table, completed from the provider table."""
    from tui_mail.oauth2.providers import (
        DEFAULT_TENANT,
        PROVIDERS,
        TENANT,
        provider_for_host,
        with_tenant,
    )

    _check_keys(table, _OAUTH2_KEYS, where)
    named = _get(table, "provider", str, where)
    if named is not None and named not in (*PROVIDERS, "custom"):
        valid = ", ".join(repr(k) for k in (*PROVIDERS, "custom"))
        raise where.error("provider", f"expected one of {valid}, found {named!r}")
    known = PROVIDERS.get(named) if named else provider_for_host(incoming.host)
    if named is None and known is None and "token_url" not in table:
        raise where.error("provider", "missing; expected 'google', 'microsoft', or the "
                          "endpoints of your provider (authorization_url, token_url)")
    client_id = _get(table, "client_id", str, where)
    if not client_id or not client_id.strip():
        raise where.error("client_id", "missing; expected the client ID you registered with "
                          f"{known.label if known else 'your provider'} ({_OAUTH2_HELP})")
    tenant = _get(table, "tenant", str, where, default=DEFAULT_TENANT) or DEFAULT_TENANT
    if "tenant" in table and (known is None or known.key != "microsoft"):
        raise where.error("tenant", "only applies to provider = 'microsoft'")
    if not re.fullmatch(TENANT, tenant):
        raise where.error("tenant", f"expected a tenant ID or domain, found {tenant!r}")
    authorization_url = _https_url(table, "authorization_url", where, with_tenant(
        known.authorization_url if known else None, tenant))
    token_url = _https_url(table, "token_url", where, with_tenant(
        known.token_url if known else None, tenant))
    device_url = _https_url(table, "device_authorization_url", where, with_tenant(
        known.device_authorization_url if known else None, tenant))
    if authorization_url is None:
        raise where.error("authorization_url", "missing; expected the provider's https:// "
                          "authorization endpoint")
    if token_url is None:
        raise where.error("token_url", "missing; expected the provider's https:// token "
                          "endpoint")
    scopes = _get(table, "scopes", list, where)
    if scopes is None:
        if known is None:
            raise where.error("scopes", "missing; expected the list of scopes that give mail "
                              "access at your provider")
        scopes = list(known.scopes)
    if not scopes or not all(isinstance(x, str) and x and " " not in x for x in scopes):
        raise where.error("scopes", f"expected a list of scope names without spaces, found "
                          f"{scopes!r}")
    flow = _choice(_get(table, "flow", str, where, default="auto"), OAuth2Flow, "flow", where)
    if flow is OAuth2Flow.DEVICE and device_url is None:
        raise where.error("flow", f"{known.label if known else 'this provider'} offers no "
                          "device sign-in for mail; use 'browser' or 'auto' (over SSH, paste the "
                          "address the browser ends on)")
    timeout = _get(table, "timeout", float, where, default=30.0)
    assert timeout is not None
    if timeout <= 0:
        raise where.error("timeout", f"expected a positive number of seconds, found {timeout}")
    return OAuth2Config(
        provider=known.key if known and named != "custom" else "custom",
        client_id=client_id.strip(),
        authorization_url=authorization_url,
        token_url=token_url,
        scopes=tuple(scopes),
        device_authorization_url=device_url,
        client_secret=_get(table, "client_secret", str, where),
        flow=flow,
        refresh_token_command=_get(table, "refresh_token_command", str, where),
        ca_file=_readable_file(table, "ca_file", where),
        timeout=timeout,
    )


_ACCOUNT_KEYS = {
    "address", "display_name", "identities", "signature", "incoming", "smtp", "folders",
    "server_saves_sent", "sendmail_command", "pop3_delete_after_days", "body_size_cap",
    "download_bodies", "body_ask_above", "only_subscribed", "authserv_id", "oauth2",
    "notify", "notify_folders", "sign", "encrypt", "crypto", "autocrypt", "wkd",
    "cache_decrypted",
}
# An authserv-id is a domain name or another token (RFC 8601 section 2.5): no spaces, no ";".
_AUTHSERV_ID = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,253}[A-Za-z0-9])?\.?$")
_FOLDER_KEYS = {role.value for role in FolderRole if role.value}


_IDENTITY_KEYS = {"address", "display_name", "signature"}


def _identity(item: Any, index: int, signature: str, where: _Where) -> Identity:
    """One of `identities`: an address ("Sam <sam@home.example>", the account's signature),
    or a table with its own display_name and signature (signature = "" for none)."""
    key = f"identities[{index}]"
    if isinstance(item, str):
        return Identity(_address(item, key, where), signature)
    if not isinstance(item, dict):
        raise where.error(key, "expected an address or a table (address, display_name,"
                          f" signature), found {_describe(item)}")
    iwhere = where.sub(key)
    _check_keys(item, _IDENTITY_KEYS, iwhere)
    text = _get(item, "address", str, iwhere, required=True)
    assert text is not None
    address = _address(text, "address", iwhere)
    display = _get(item, "display_name", str, iwhere, default="") or address.name
    own = _get(item, "signature", str, iwhere)
    return Identity(Address(display, address.email), signature if own is None else own)


def _account(name: str, table: Any, path: Path, warnings: list[str]) -> Account:
    where = _Where(path, name)
    if not isinstance(table, dict):
        raise _Where(path).error(f"accounts.{name}", f"expected a table, found {_describe(table)}")
    _check_keys(table, _ACCOUNT_KEYS, where)
    address_text = _get(table, "address", str, where, required=True)
    assert address_text is not None
    address = _address(address_text, "address", where)
    display = _get(table, "display_name", str, where, default="") or address.name
    address = Address(display, address.email)
    signature = _get(table, "signature", str, where, default="") or ""
    identities = [_identity(item, i, signature, where) for i, item in
                  enumerate(_get(table, "identities", list, where, default=[]) or [])]
    incoming_table = _get(table, "incoming", dict, where, required=True)
    assert incoming_table is not None
    incoming = _server(incoming_table, where.sub("incoming"), incoming=True, warnings=warnings,
                       default_user=address.email)
    smtp_table = _get(table, "smtp", dict, where)
    sendmail = _get(table, "sendmail_command", str, where)
    smtp = None
    if smtp_table is not None:
        smtp = _server(smtp_table, where.sub("smtp"), incoming=False, warnings=warnings,
                       default_user=incoming.username)
    oauth2_table = _get(table, "oauth2", dict, where)
    oauth2 = _oauth2(oauth2_table, where.sub("oauth2"), incoming) \
        if oauth2_table is not None else None
    if oauth2 is not None:
        for label, server in (("incoming", incoming), ("smtp", smtp)):
            for key in ("password", "password_command", "oauth2_token_command"):
                if server is not None and getattr(server, key):
                    raise where.sub(label).error(
                        key, "this account signs in with OAuth2 ([accounts."
                        f"{name}.oauth2]); remove {key}, or remove the oauth2 table")
    folder_table = _get(table, "folders", dict, where, default={}) or {}
    fwhere = where.sub("folders")
    _check_keys(folder_table, _FOLDER_KEYS, fwhere)
    folders = {FolderRole(k): _get(folder_table, k, str, fwhere) for k in folder_table}
    delete_after = _get(table, "pop3_delete_after_days", int, where)
    if delete_after is not None and delete_after < 0:
        raise where.error("pop3_delete_after_days", f"expected 0 or more days, found {delete_after}")
    if delete_after is not None and incoming.protocol is not Protocol.POP3:
        raise where.error("pop3_delete_after_days", "only applies to a pop3 incoming server")
    cap = _get(table, "body_size_cap", int, where, default=2_000_000)
    ask_above = _get(table, "body_ask_above", int, where, default=25_000_000)
    if cap is not None and cap < 0:
        raise where.error("body_size_cap", f"expected 0 or more bytes, found {cap}")
    if ask_above is not None and ask_above < 0:
        raise where.error("body_ask_above", f"expected 0 or more bytes, found {ask_above}")
    download = _get(table, "download_bodies", str, where, default="all")
    if download not in DOWNLOAD_BODIES:
        choices = ", ".join(repr(c) for c in DOWNLOAD_BODIES)
        raise where.error("download_bodies", f"expected one of {choices}, found {download!r}")
    only_subscribed = bool(_get(table, "only_subscribed", bool, where, default=False))
    if only_subscribed and incoming.protocol is not Protocol.IMAP:
        raise where.error("only_subscribed", "only applies to an imap incoming server (POP3 "
                          "has no folders to subscribe to)")
    authserv_id = _get(table, "authserv_id", str, where)
    if authserv_id is not None and not _AUTHSERV_ID.match(authserv_id.strip()):
        raise where.error("authserv_id", "expected the host name your server writes first in "
                          f"Authentication-Results (like 'mx.example.com'), found {authserv_id!r}")
    notify_folders = _notify_folders(table, where)
    return Account(
        name=name,
        address=address,
        incoming=incoming,
        smtp=smtp,
        identities=tuple(identities),
        signature=signature,
        folders={k: v for k, v in folders.items() if v},
        server_saves_sent=bool(_get(table, "server_saves_sent", bool, where, default=False)),
        sendmail_command=sendmail,
        pop3_delete_after_days=delete_after,
        body_size_cap=cap or 0,
        download_bodies=download,
        body_ask_above=ask_above or 0,
        only_subscribed=only_subscribed,
        authserv_id=authserv_id.strip().rstrip(".").lower() if authserv_id else None,
        oauth2=oauth2,
        notify=bool(_get(table, "notify", bool, where, default=True)),
        notify_folders=notify_folders,
        sign=_choice(_get(table, "sign", str, where, default="never"), SignPolicy, "sign",
                     where),
        encrypt=_choice(_get(table, "encrypt", str, where, default="never"), EncryptPolicy,
                        "encrypt", where),
        crypto=_crypto(table, where),
        autocrypt=_autocrypt(table, where),
        wkd=_wkd(table, where),
        cache_decrypted=bool(_get(table, "cache_decrypted", bool, where, default=False)),
    )


def _wkd(table: Mapping[str, Any], where: _Where) -> bool:
    """Key directories publish OpenPGP keys only."""
    wkd = bool(_get(table, "wkd", bool, where, default=False))
    if wkd and _crypto(table, where) is not CryptoKind.OPENPGP:
        raise where.error("wkd", "the Web Key Directory holds OpenPGP keys only; this account"
                          " has crypto = 'smime'")
    return wkd


def _autocrypt(table: Mapping[str, Any], where: _Where) -> AutocryptMode:
    """Autocrypt carries OpenPGP keys only: an S/MIME account cannot take part."""
    mode = _choice(_get(table, "autocrypt", str, where, default="off"), AutocryptMode,
                   "autocrypt", where)
    if mode is not AutocryptMode.OFF and _crypto(table, where) is not CryptoKind.OPENPGP:
        raise where.error("autocrypt", "Autocrypt works with OpenPGP keys only; this account"
                          " has crypto = 'smime' (use one or the other)")
    return mode


def _crypto(table: Mapping[str, Any], where: _Where) -> CryptoKind:
    """What signs and encrypts the account's mail: "openpgp" (gpg) or "smime" (gpgsm)."""
    value = _get(table, "crypto", str, where, default="openpgp")
    kinds = {"openpgp": CryptoKind.OPENPGP, "smime": CryptoKind.SMIME}
    if value not in kinds:
        raise where.error("crypto", f"expected 'openpgp' or 'smime', found {value!r}")
    return kinds[value]


def _notify_folders(table: Mapping[str, Any], where: _Where) -> tuple[str, ...]:
    """The folders whose new mail notifies: names or glob patterns ("Lists/*")."""
    folders = _get(table, "notify_folders", list, where)
    if folders is None:
        return ("INBOX",)
    for i, item in enumerate(folders):
        if not isinstance(item, str) or not item.strip():
            raise where.error(f"notify_folders[{i}]", "expected a folder name or pattern like "
                              f"'INBOX' or 'Lists/*', found {_describe(item)}")
    return tuple(item.strip() for item in folders)


_NOTIFY_KEYS = {"bell", "desktop", "command"}


def _notify(data: Mapping[str, Any], top: _Where) -> NotifySettings:
    table = _get(data, "notify", dict, top, default={}) or {}
    where = top.sub("notify")
    _check_keys(table, _NOTIFY_KEYS, where)
    desktop = _get(table, "desktop", str, where, default="auto")
    if desktop not in DESKTOP_NOTIFIERS:
        valid = ", ".join(repr(choice) for choice in DESKTOP_NOTIFIERS)
        raise where.error("desktop", f"expected one of {valid}, found {desktop!r}")
    command = _get(table, "command", str, where, default="") or ""
    if command.strip():
        import shlex

        try:
            words = shlex.split(command)
        except ValueError as exc:
            raise where.error("command", f"cannot be split into words ({exc}): {command!r}") \
                from None
        if not words[0]:
            raise where.error("command", f"expected a program first, found {command!r}")
    return NotifySettings(bell=bool(_get(table, "bell", bool, where, default=True)),
                          desktop=str(desktop), command=command.strip())


def _searches(data: Mapping[str, Any], top: _Where) -> tuple[SavedSearch, ...]:
    """`[searches]`: name = query, each query parsed now (its relative dates, `date:7d..`,
    are read again at each search), so a typo is said at start rather than in the pane."""
    table = _get(data, "searches", dict, top, default={}) or {}
    if not table:
        return ()
    from tui_mail.errors import QueryError
    from tui_mail.store.query import compile_query  # loaded only when there are searches

    searches: list[SavedSearch] = []
    for name, query in table.items():
        where = f"{top.path}: key searches.{_toml_key_text(name)}"
        if not name.strip():
            raise ConfigError(f"{where}: expected a name for the search, found an empty one")
        if not isinstance(query, str) or not query.strip():
            found = _describe(query) if not isinstance(query, str) else "an empty query"
            raise ConfigError(f"{where}: expected a search query like "
                              f"\"from:ann is:unread\", found {found}")
        try:
            compile_query(query)
        except QueryError as exc:
            raise ConfigError(f"{where}: the query {query!r} cannot be read: {exc}") from None
        searches.append(SavedSearch(name, query.strip()))
    return tuple(searches)


def _toml_key_text(name: str) -> str:
    """A key as it may be written in the file: bare, else in single quotes (as the user most
    likely wrote it), else in double quotes with escapes."""
    if re.fullmatch(r"[A-Za-z0-9_-]+", name):
        return name
    if "'" not in name and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        return f"'{name}'"
    import json

    return json.dumps(name, ensure_ascii=False)


_TOP_KEYS = {"theme", "accounts", "keys", "ui", "log_level", "address_book_command",
             "address_book_vcards", "notify", "searches"}
_UI_KEYS = {"mark_read_on_open", "attachments_dir", "threaded", "prefer_html", "preview_pane",
            "sync_every_minutes", "idle", "print_command"}


def _preview_layout(ui_table: Mapping[str, Any], where: _Where) -> str:
    value = ui_table.get("preview_pane", True)
    if isinstance(value, bool):
        return "auto" if value else "off"
    if value not in PREVIEW_LAYOUTS:
        valid = ", ".join(repr(layout) for layout in PREVIEW_LAYOUTS)
        raise where.error("preview_pane", f"expected true, false or one of {valid}, "
                                          f"found {_describe(value)}")
    return str(value)


def _print_command(ui_table: Mapping[str, Any], where: _Where) -> str:
    """`print_command`: a command line split into words as a shell would (it runs without
    one), so a quote left open is an error here rather than at the first `P`."""
    import shlex

    value = _get(ui_table, "print_command", str, where, default="lpr")
    try:
        words = shlex.split(value or "")
    except ValueError as exc:
        raise where.error("print_command", f"cannot be split into words: {exc}") from None
    if not words:
        raise where.error("print_command", "expected a command (e.g. \"lpr\" or"
                                           " \"lp -d office\"), found an empty string")
    return str(value)


def _address_book(data: Mapping[str, Any], top: _Where,
                  warnings: list[str]) -> tuple[str, tuple[Path, ...]]:
    """`address_book_command` (split like a shell would, never run by one) and
    `address_book_vcards` (files or folders; one not there yet is a warning, not an error:
    a contacts sync may create it later)."""
    import shlex

    command = (_get(data, "address_book_command", str, top, default="") or "").strip()
    if command:
        try:
            shlex.split(command)
        except ValueError as exc:
            raise top.error("address_book_command",
                            f"cannot be split into words ({exc}): {command!r}") from None
    paths: list[Path] = []
    for i, item in enumerate(_get(data, "address_book_vcards", list, top, default=[]) or []):
        key = f"address_book_vcards[{i}]"
        if not isinstance(item, str) or not item.strip():
            raise top.error(key, "expected the path of a vCard file or of a folder of .vcf"
                                 f" files, found {_describe(item)}")
        path = Path(item.strip()).expanduser()
        if not path.exists():
            warnings.append(f"{top.path}: key '{key}': {path} does not exist; the composer"
                            " offers no contacts from it")
        paths.append(path)
    return command, tuple(paths)


def parse_config(text: str, path: Path) -> Config:
    """Validate TOML text as a tui-mail config. Raises ConfigError naming file, account and key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    top = _Where(path)
    _check_keys(data, _TOP_KEYS, top)
    warnings: list[str] = []
    accounts_table = _get(data, "accounts", dict, top, default={}) or {}
    accounts = tuple(_account(name, t, path, warnings) for name, t in accounts_table.items())
    keys_table = _get(data, "keys", dict, top, default={}) or {}
    kwhere = top.sub("keys")
    keys: dict[str, str] = {}
    for action, binding in keys_table.items():
        if not isinstance(binding, str) or not binding.strip():
            raise kwhere.error(action, f"expected a key or comma-separated keys, found {_describe(binding)}")
        keys[action] = binding
    ui_table = _get(data, "ui", dict, top, default={}) or {}
    uwhere = top.sub("ui")
    _check_keys(ui_table, _UI_KEYS, uwhere)
    defaults = UISettings()
    attach = _get(ui_table, "attachments_dir", str, uwhere)
    every = _get(ui_table, "sync_every_minutes", float, uwhere,
                 default=defaults.sync_every_minutes)
    if every is not None and every < 0:
        raise uwhere.error("sync_every_minutes", f"expected 0 (off) or more minutes, found {every}")
    ui = UISettings(
        mark_read_on_open=bool(_get(ui_table, "mark_read_on_open", bool, uwhere, default=True)),
        attachments_dir=Path(attach).expanduser() if attach else defaults.attachments_dir,
        threaded=bool(_get(ui_table, "threaded", bool, uwhere, default=False)),
        prefer_html=bool(_get(ui_table, "prefer_html", bool, uwhere, default=False)),
        preview_pane=_preview_layout(ui_table, uwhere),
        sync_every_minutes=float(every or 0.0),
        idle=bool(_get(ui_table, "idle", bool, uwhere, default=True)),
        print_command=_print_command(ui_table, uwhere),
    )
    theme = _get(data, "theme", str, top, default=DEFAULT_THEME) or DEFAULT_THEME
    log_level = _get(data, "log_level", str, top, default="info")
    if log_level not in LOG_LEVELS:
        valid = ", ".join(repr(level) for level in LOG_LEVELS)
        raise top.error("log_level", f"expected one of {valid}, found {log_level!r}")
    book_command, vcards = _address_book(data, top, warnings)
    return Config(path=path, accounts=accounts, theme=theme, keys=keys, ui=ui,
                  warnings=tuple(warnings), log_level=log_level,
                  address_book_command=book_command, address_book_vcards=vcards,
                  notify=_notify(data, top), searches=_searches(data, top))


def load_config(path: Path | None = None) -> Config:
    """Read and validate the config file. A missing file is a ConfigError saying where it looked."""
    path = path or default_config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no config file. Run `tui-mail --demo` to try the app, or create it "
            "(see the example in the README)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(text, path)


def print_warnings(config: Config, out: Callable[[str], object] | None = None) -> None:
    """Show load-time warnings (insecure settings, passwords in the file) on stderr."""
    write = out or (lambda line: print(line, file=sys.stderr))
    for warning in config.warnings:
        write(f"warning: {warning}")
