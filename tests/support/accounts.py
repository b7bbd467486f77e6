"""Accounts on the test servers (`tests/servers`): IMAP over implicit TLS in, SMTP submission
out, both trusting the suite's CA. One factory for every suite that needs such an account.
And the offline `work` account of the cache in tests/support/cache.py."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tui_mail.model import (
    Account,
    Address,
    Identity,
    OAuth2Config,
    OAuth2Flow,
    Protocol,
    Security,
    ServerConfig,
)

TIMEOUT = 20.0  # seconds; the servers are local, but two xdist workers share two cores


def server_account(servers: Any, name: str, login: str, address: str, *,
                   display_name: str | None = None,
                   smtp_security: Security = Security.STARTTLS, smtp_port: int | None = None,
                   password_command: str | None = None) -> Account:
    """An account `name` for the mailbox `login` on `servers` (a `MailServers`)."""
    common: dict[str, Any] = {"ca_file": servers.ca_file, "timeout": TIMEOUT,
                              "password_command": password_command}
    imap = ServerConfig(Protocol.IMAP, "127.0.0.1", servers.imap_tls_port, Security.TLS, login,
                        **common)
    if smtp_port is None:
        smtp_port = (servers.smtp_starttls_port if smtp_security is Security.STARTTLS
                     else servers.smtp_tls_port)
    smtp = ServerConfig(Protocol.SMTP, "127.0.0.1", smtp_port, smtp_security, login, **common)
    display = name.title() if display_name is None else display_name
    return Account(name=name, address=Address(display, address), incoming=imap, smtp=smtp)


def oauth2_config(oauth: Any, *, scopes: tuple[str, ...] = ("mail",),
                  flow: OAuth2Flow = OAuth2Flow.BROWSER) -> OAuth2Config:
    """The suite's authorization server as a custom provider, as a user writes it."""
    return OAuth2Config(
        provider="custom", client_id=oauth.client_id, authorization_url=oauth.authorize_url,
        token_url=oauth.token_url, device_authorization_url=oauth.device_authorization_url,
        scopes=scopes, flow=flow, ca_file=oauth.ca_file, timeout=20.0,
    )


def oauth2_account(servers: Any, user: Any, name: str = "work", **config: Any) -> Account:
    """An IMAP + SMTP account of `user` that signs in with OAuth2 (no password anywhere)."""
    account = server_account(servers, name, user.login, user.address)
    return replace(account, oauth2=oauth2_config(servers.oauth, **config))


def oauth2_config_toml(servers: Any, user: Any, name: str = "work", *,
                       display_name: str = "") -> str:
    """The README's OAuth2 example as a user writes it for `user` on `servers`: IMAP and SMTP
    trusting the suite's CA, and the suite's authorization server as the provider. No
    password anywhere."""
    oauth = servers.oauth
    display = f'display_name = "{display_name}"\n' if display_name else ""
    return f"""
[accounts.{name}]
address = "{user.address}"
{display}
[accounts.{name}.incoming]
protocol = "imap"
host = "{servers.host}"
port = {servers.imap_tls_port}
security = "tls"
username = "{user.login}"
ca_file = "{servers.ca_file}"

[accounts.{name}.smtp]
host = "{servers.host}"
port = {servers.smtp_starttls_port}
security = "starttls"
ca_file = "{servers.ca_file}"

[accounts.{name}.oauth2]
client_id = "{oauth.client_id}"
authorization_url = "{oauth.authorize_url}"
token_url = "{oauth.token_url}"
device_authorization_url = "{oauth.device_authorization_url}"
scopes = ["mail"]
ca_file = "{oauth.ca_file}"
"""


def suite_provider(oauth: Any) -> Any:
    """The suite's authorization server dressed as a known provider, for the setup screen's
    offer (`OAuthSetup(providers=...)`): addresses @example.test, servers on 127.0.0.1."""
    from tui_mail.oauth2.providers import GOOGLE

    return replace(GOOGLE, key="custom", label="Test ID", authorization_url=oauth.authorize_url,
                   token_url=oauth.token_url,
                   device_authorization_url=oauth.device_authorization_url,
                   scopes=("mail",), mail_domains=("example.test",), mail_hosts=("127.0.0.1",),
                   extra_authorize_params=())


OFFLINE_IMAP = ServerConfig(Protocol.IMAP, "", 0, Security.NONE, "")
"""An incoming server that is never reached: the account reads its cache only."""

OFFLINE = Account(name="work", address=Address("Sam", "sam@example.com"), incoming=OFFLINE_IMAP,
                  smtp=None)
"""The tests/support/cache.py `work` account as the bare minimum: Sam, no server."""


def work_account(**changes: object) -> Account:
    """The cache's `work` account: Sam, with a second identity, and no server."""
    base = dict(name="work", address=Address("Sam", "sam@example.com"), incoming=OFFLINE_IMAP,
                smtp=None, signature="Sam\nExample Corp",
                identities=(Identity(Address("Sam at home", "sam@home.example"), "S."),))
    base.update(changes)
    return Account(**base)  # type: ignore[arg-type]
