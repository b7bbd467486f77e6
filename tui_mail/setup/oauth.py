"""Offering "Sign in with Google / Microsoft" on the setup screen, and what that sign-in needs.

A provider is offered when the address's domain is one of its mail domains (gmail.com), when
the incoming server is one of its mail hosts (imap.gmail.com), or when the domain's MX hosts
are its servers (a custom domain on Google Workspace or Microsoft 365). The first two need no
network; the MX lookup is a DNS query with a short timeout, run off the UI thread, and any
failure of it (timeout, NXDOMAIN, no network) only means that nothing is offered.

`OAuthSetup` gathers what the screen takes from outside (the providers, the MX resolver, the
sign-in, the browser): the app holds one, and a test points it at its own authorization server.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_mail.model import OAuth2Config, OAuth2Flow, Protocol, ServerConfig
from tui_mail.oauth2.providers import (
    PROVIDERS,
    OAuthProvider,
    provider_for_domain,
    provider_for_host,
    provider_for_mx,
    with_tenant,
)
from tui_mail.setup.providers import provider_for

if TYPE_CHECKING:
    from tui_mail.model import Account
    from tui_mail.oauth2.flows import SignInPrompt

# A domain's MX host names, best first; [] when it has none or the lookup failed.
MxResolver = Callable[[str], list[str]]
# tui_mail.oauth2.tokens.sign_in's signature.
SignIn = Callable[..., OAuth2Flow]

MX_TIMEOUT = 3.0  # seconds: the answer only decides whether a button is shown
# Names that never have real mail exchangers (RFC 2606, RFC 6761): not worth a query.
_RESERVED_TLDS = ("test", "example", "invalid", "localhost", "local")
_RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
                     r"[a-z][a-z0-9-]*[a-z0-9]$")


def domain_of(address: str) -> str:
    """The domain of an address, lower case, or "" when there is none."""
    if "@" not in address:
        return ""
    return address.rsplit("@", 1)[1].strip().lower().rstrip(".")


def worth_an_mx_lookup(domain: str) -> bool:
    """A complete, public-looking domain name: not half typed, not reserved for examples."""
    try:
        ascii_name = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    if not _DOMAIN.match(ascii_name):
        return False
    if ascii_name.rsplit(".", 1)[-1] in _RESERVED_TLDS:
        return False
    return not any(ascii_name == d or ascii_name.endswith("." + d) for d in _RESERVED_DOMAINS)


def dns_mx(domain: str) -> list[str]:
    """The MX hosts of `domain`, most preferred first, through the system's resolver
    (dnspython); [] on any DNS failure (NXDOMAIN, no answer, timeout, no network)."""
    import dns.exception
    import dns.resolver

    try:
        answer = dns.resolver.resolve(domain, "MX", lifetime=MX_TIMEOUT)
    except dns.exception.DNSException:
        return []
    records = sorted(answer, key=lambda r: r.preference)
    return [r.exchange.to_text().rstrip(".").lower() for r in records]


@dataclass(frozen=True)
class SignInOffer:
    """A provider to offer and why it is offered (shown above the button)."""

    provider: OAuthProvider
    reason: str


def _default_sign_in(account: Account, prompt: SignInPrompt, cancel: threading.Event, *,
                     flow: OAuth2Flow | None = None, **browser_options: Any) -> OAuth2Flow:
    from tui_mail.oauth2 import tokens

    return tokens.sign_in(account, prompt, cancel, flow=flow, **browser_options)


@dataclass(frozen=True)
class OAuthSetup:
    """What the setup screen's "Sign in with ..." goes through.

    - `providers`: the identity providers offered (Google and Microsoft).
    - `mx_resolver(domain)`: MX hosts of a custom domain (DNS, with a timeout).
    - `sign_in(account, prompt, cancel, flow=None, open_browser=..., receiver_ready=...)`:
      tui_mail.oauth2.tokens.sign_in, which keeps the refresh token in the keyring.
    - `open_browser(url) -> bool`: None means the system's browser when there is a display.
    - `ca_file`: the CA of a private authorization server's certificate (tests).
    - `flow`: written to the account's oauth2 table when it is not "auto".
    """

    providers: tuple[OAuthProvider, ...] = field(
        default_factory=lambda: tuple(PROVIDERS.values()))
    mx_resolver: MxResolver = dns_mx
    sign_in: SignIn = _default_sign_in
    open_browser: Callable[[str], bool] | None = None
    ca_file: Path | None = None
    flow: OAuth2Flow = OAuth2Flow.AUTO

    def offer_by_name(self, address: str, incoming_host: str = "") -> SignInOffer | None:
        """The provider whose mail domain the address is in, or whose server `incoming_host`
        is; no network."""
        domain = domain_of(address)
        by_domain = provider_for_domain(domain, self.providers)
        if by_domain is not None:
            return SignInOffer(by_domain, f"{domain} is a {by_domain.label} address")
        host = incoming_host.strip().lower().rstrip(".")
        by_host = provider_for_host(host, self.providers)
        if by_host is not None:
            return SignInOffer(by_host, f"{host} is a {by_host.label} server")
        return None

    def offer_by_mx(self, domain: str) -> SignInOffer | None:
        """The provider whose servers receive the domain's mail (blocking: a DNS query). None,
        silently, when the lookup fails in any way."""
        import dns.exception

        domain = domain.strip().lower().rstrip(".")
        if not worth_an_mx_lookup(domain):
            return None
        try:
            hosts = self.mx_resolver(domain)
        except (dns.exception.DNSException, OSError):
            return None
        found = provider_for_mx(hosts, self.providers)
        if found is None:
            return None
        provider, host = found
        return SignInOffer(provider, f"Mail for {domain} goes to {provider.label} ({host})")

    def oauth2_config(self, provider: OAuthProvider, client_id: str,
                      client_secret: str = "", tenant: str = "") -> OAuth2Config:
        """The account's OAuth2 settings: the provider's endpoints and scopes, the user's
        client. `tenant` (Microsoft) fills the endpoints; "" means "common"."""
        return OAuth2Config(
            provider=provider.key,
            client_id=client_id.strip(),
            authorization_url=with_tenant(provider.authorization_url, tenant) or "",
            token_url=with_tenant(provider.token_url, tenant) or "",
            scopes=provider.scopes,
            device_authorization_url=with_tenant(provider.device_authorization_url, tenant),
            client_secret=client_secret.strip() or None,
            flow=self.flow,
            ca_file=self.ca_file,
        )


def default_servers(provider: OAuthProvider, incoming_user: str,
                    smtp_user: str) -> tuple[ServerConfig, ServerConfig] | None:
    """The provider's own IMAP and SMTP servers (from the table of known providers), or None
    when the table does not know them."""
    known = next((p for p in map(provider_for, provider.mail_domains) if p is not None), None)
    if known is None or not known.incoming or not known.smtp:
        return None
    incoming, smtp = known.incoming[0], known.smtp[0]
    return (ServerConfig(incoming.protocol, incoming.host, incoming.port, incoming.security,
                         incoming_user),
            ServerConfig(Protocol.SMTP, smtp.host, smtp.port, smtp.security, smtp_user))
