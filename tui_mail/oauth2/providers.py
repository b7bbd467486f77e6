"""The identity providers tui-mail knows by name, as data.

Each names its endpoints, the scopes mail needs, the mail hosts it serves (so an account on those
hosts is offered "Sign in with ..."), and the MX host suffixes of domains it hosts. A provider
that is not here is configured with endpoints in `[accounts.NAME.oauth2]`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from tui_mail.model import OAuth2Config


@dataclass(frozen=True)
class OAuthProvider:
    key: str  # the value of `provider` in the config
    label: str  # "Google", "Microsoft": what the button says after "Sign in with"
    authorization_url: str
    token_url: str
    # None where the provider's device flow does not allow the mail scopes (Google).
    device_authorization_url: str | None
    scopes: tuple[str, ...]
    mail_hosts: tuple[str, ...]
    mail_domains: tuple[str, ...]
    mx_suffixes: tuple[str, ...]
    # The host name in the loopback redirect URI: what the provider lets a desktop app register.
    loopback_host: str = "127.0.0.1"
    # Sent with the authorization request so the provider asks the user to choose or confirm.
    extra_authorize_params: tuple[tuple[str, str], ...] = ()
    registration_help: str = ""


GOOGLE = OAuthProvider(
    key="google",
    label="Google",
    authorization_url="https://accounts.google.com/o/oauth2/v2/auth",
    token_url="https://oauth2.googleapis.com/token",
    device_authorization_url=None,
    scopes=("https://mail.google.com/",),
    mail_hosts=("imap.gmail.com", "smtp.gmail.com", "pop.gmail.com"),
    mail_domains=("gmail.com", "googlemail.com"),
    mx_suffixes=(".google.com", ".googlemail.com"),
    # access_type=offline is what makes Google return a refresh token; prompt=consent makes it
    # return one again on a second sign-in.
    extra_authorize_params=(("access_type", "offline"), ("prompt", "consent")),
    registration_help=(
        "Google Cloud console, APIs & Services: create a project, enable the Gmail API, set up "
        "the OAuth consent screen (External; or Internal for a Workspace domain) and publish it "
        "(Publishing status: In production; Google then shows an 'unverified app' warning you "
        "can pass for your own use: while it stays in Testing, every sign-in ends after 7 "
        "days). Then Credentials > Create credentials > OAuth client ID > Desktop app. Put its "
        "client ID and client secret in client_id and client_secret (a desktop client's secret "
        "is not secret)."
    ),
)

MICROSOFT = OAuthProvider(
    key="microsoft",
    label="Microsoft",
    authorization_url="https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
    token_url="https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
    device_authorization_url="https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode",
    scopes=(
        "https://outlook.office.com/IMAP.AccessAsUser.All",
        "https://outlook.office.com/POP.AccessAsUser.All",
        "https://outlook.office.com/SMTP.Send",
        "offline_access",
    ),
    mail_hosts=("outlook.office365.com", "smtp.office365.com", "smtp-mail.outlook.com",
                "imap-mail.outlook.com", "outlook.office.com"),
    mail_domains=("outlook.com", "hotmail.com", "live.com", "msn.com", "office365.com"),
    mx_suffixes=(".mail.protection.outlook.com", ".olc.protection.outlook.com"),
    loopback_host="localhost",
    registration_help=(
        "Azure portal (entra.microsoft.com), App registrations > New registration: any name, "
        "'Accounts in any organizational directory and personal Microsoft accounts', redirect "
        "URI 'Public client/native' http://localhost. Under Authentication allow public client "
        "flows (for the device code). Under API permissions add IMAP.AccessAsUser.All, "
        "POP.AccessAsUser.All and SMTP.Send (Office 365 Exchange Online, delegated). Put the "
        "Application (client) ID in client_id; no secret is needed. A work or school account "
        "may need its administrator's consent, and `tenant` set to the organisation's domain."
    ),
)

PROVIDERS: dict[str, OAuthProvider] = {p.key: p for p in (GOOGLE, MICROSOFT)}

DEFAULT_TENANT = "common"  # Microsoft: personal and work accounts alike
TENANT = r"[A-Za-z0-9.-]+"  # a tenant ID or domain, as it may stand in an endpoint's path


def with_tenant(url: str | None, tenant: str = "") -> str | None:
    """A provider's endpoint with its `{tenant}` filled in ("common" when none is given)."""
    return url.replace("{tenant}", tenant.strip() or DEFAULT_TENANT) if url else None


def provider_label(config: OAuth2Config) -> str:
    """"Google", "Microsoft", or the host of a custom provider's sign-in page."""
    known = PROVIDERS.get(config.provider)
    return known.label if known else (urlsplit(config.authorization_url).netloc
                                      or "the identity provider")


def _matches(host: str, suffixes: tuple[str, ...]) -> bool:
    host = host.lower().rstrip(".")
    return any(host.endswith(s) or host == s.lstrip(".") for s in suffixes)


def provider_for_host(host: str, among: Iterable[OAuthProvider] = PROVIDERS.values()
                      ) -> OAuthProvider | None:
    """The provider whose mail servers these are (imap.gmail.com: Google)."""
    host = host.strip().lower().rstrip(".")
    return next((p for p in among if host and host in p.mail_hosts), None)


def provider_for_domain(domain: str, among: Iterable[OAuthProvider] = PROVIDERS.values()
                        ) -> OAuthProvider | None:
    """The provider of a mail domain it owns (gmail.com, outlook.com)."""
    domain = domain.strip().lower().rstrip(".")
    return next((p for p in among if domain and domain in p.mail_domains), None)


def provider_for_mx(mx_hosts: Iterable[str], among: Iterable[OAuthProvider] = PROVIDERS.values()
                    ) -> tuple[OAuthProvider, str] | None:
    """The provider hosting a custom domain, and the MX host that says so, from the domain's
    MX hosts (aspmx.l.google.com: Google)."""
    candidates = tuple(among)
    for host in mx_hosts:
        for provider in candidates:
            if _matches(host, provider.mx_suffixes):
                return provider, host
    return None
