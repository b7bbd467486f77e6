"""Which provider the setup screen offers "Sign in with ..." for: by the address's domain, by the
incoming server, by the domain's MX hosts. The resolver is always injected: no test here sends
a DNS query."""

from __future__ import annotations

import dns.exception
import dns.resolver
import pytest

from tui_mail.model import OAuth2Flow, Protocol, Security
from tui_mail.oauth2.providers import GOOGLE, MICROSOFT
from tui_mail.setup import oauth
from tui_mail.setup.oauth import OAuthSetup, default_servers, worth_an_mx_lookup


def no_dns(domain: str) -> list[str]:
    raise AssertionError(f"no MX lookup expected, got {domain}")


def mx_table(table: dict[str, list[str]]):
    asked: list[str] = []

    def resolve(domain: str) -> list[str]:
        asked.append(domain)
        return table.get(domain, [])

    return resolve, asked


@pytest.mark.parametrize(("address", "provider"), [
    ("zoe@gmail.com", GOOGLE), ("Zoe@GoogleMail.COM", GOOGLE), ("zoe@outlook.com", MICROSOFT),
    ("zoe@hotmail.com", MICROSOFT), ("zoe@live.com", MICROSOFT),
])
def test_a_providers_own_domain_is_offered_without_dns(address: str, provider) -> None:
    offer = OAuthSetup(mx_resolver=no_dns).offer_by_name(address)
    assert offer is not None and offer.provider is provider
    assert offer.reason.endswith(f"is a {provider.label} address")


def test_the_incoming_server_names_the_provider() -> None:
    setup = OAuthSetup(mx_resolver=no_dns)
    offer = setup.offer_by_name("zoe@example.org", "IMAP.gmail.com.")
    assert offer is not None and offer.provider is GOOGLE
    assert offer.reason == "imap.gmail.com is a Google server"
    offer = setup.offer_by_name("zoe@example.org", "outlook.office365.com")
    assert offer is not None and offer.provider is MICROSOFT
    assert setup.offer_by_name("zoe@example.org", "imap.example.org") is None
    assert setup.offer_by_name("not an address") is None


@pytest.mark.parametrize(("mx", "provider"), [
    (["aspmx.l.google.com", "alt1.aspmx.l.google.com"], GOOGLE),
    (["smtp.google.com"], GOOGLE),
    (["corp-de.mail.protection.outlook.com"], MICROSOFT),
    (["mx1.corp.de", "corp-de.mail.protection.outlook.com"], MICROSOFT),
])
def test_a_custom_domain_is_offered_by_its_mx_hosts(mx: list[str], provider) -> None:
    resolve, asked = mx_table({"corp.de": mx})
    offer = OAuthSetup(mx_resolver=resolve).offer_by_mx("Corp.DE.")
    assert asked == ["corp.de"]
    assert offer is not None and offer.provider is provider
    assert offer.reason.startswith(f"Mail for corp.de goes to {provider.label} (")


def test_mx_hosts_elsewhere_offer_nothing() -> None:
    resolve, _asked = mx_table({"corp.de": ["mx1.corp.de", "evilgoogle.com",
                                            "mail.protection.outlook.com.evil.de"]})
    assert OAuthSetup(mx_resolver=resolve).offer_by_mx("corp.de") is None


@pytest.mark.parametrize("failure", [
    dns.resolver.NXDOMAIN(), dns.resolver.LifetimeTimeout(timeout=3.0, errors={}),
    dns.resolver.NoAnswer(), dns.resolver.NoNameservers(), dns.exception.Timeout(),
    OSError("network is unreachable"),
])
def test_a_failed_mx_lookup_offers_nothing_silently(failure: Exception) -> None:
    def resolve(domain: str) -> list[str]:
        raise failure

    assert OAuthSetup(mx_resolver=resolve).offer_by_mx("corp.de") is None


@pytest.mark.parametrize("domain", [
    "example.com", "mail.example.org", "example.test", "corp.invalid", "host.localhost",
    "corp", "corp.", "corp.d", "-corp.de", "co rp.de", "", "a" * 64 + ".de",
])
def test_reserved_and_half_typed_domains_are_not_looked_up(domain: str) -> None:
    assert not worth_an_mx_lookup(domain.rstrip("."))
    assert OAuthSetup(mx_resolver=no_dns).offer_by_mx(domain) is None


def test_real_domains_are_worth_a_lookup() -> None:
    assert worth_an_mx_lookup("corp.de")
    assert worth_an_mx_lookup("mail.corp.co.uk")
    assert worth_an_mx_lookup("bücher.de")  # IDNA


def test_dns_mx_orders_by_preference_and_turns_failures_into_nothing(monkeypatch) -> None:
    import dns.name
    import dns.rdtypes.ANY.MX

    def record(preference: int, host: str):
        return dns.rdtypes.ANY.MX.MX(dns.rdataclass.IN, dns.rdatatype.MX, preference,
                                     dns.name.from_text(host))

    asked: list[tuple[str, str, float]] = []

    def resolve(name: str, rdtype: str, lifetime: float):
        asked.append((name, rdtype, lifetime))
        if name == "gone.de":
            raise dns.resolver.NXDOMAIN()
        if name == "slow.de":
            raise dns.resolver.LifetimeTimeout(timeout=lifetime, errors={})
        return [record(20, "ALT1.aspmx.l.google.com."), record(10, "aspmx.l.google.com.")]

    monkeypatch.setattr(dns.resolver, "resolve", resolve)
    assert oauth.dns_mx("corp.de") == ["aspmx.l.google.com", "alt1.aspmx.l.google.com"]
    assert oauth.dns_mx("gone.de") == [] and oauth.dns_mx("slow.de") == []
    assert asked[0] == ("corp.de", "MX", oauth.MX_TIMEOUT)


def test_the_oauth2_settings_come_from_the_provider_and_the_users_client() -> None:
    setup = OAuthSetup()
    google = setup.oauth2_config(GOOGLE, " 123-abc.apps.googleusercontent.com ", "shh")
    assert (google.provider, google.client_id, google.client_secret) == (
        "google", "123-abc.apps.googleusercontent.com", "shh")
    assert google.token_url == GOOGLE.token_url and google.scopes == GOOGLE.scopes
    assert google.flow is OAuth2Flow.AUTO and google.ca_file is None
    microsoft = setup.oauth2_config(MICROSOFT, "0000-1111", tenant="contoso.onmicrosoft.com")
    assert microsoft.token_url == ("https://login.microsoftonline.com/contoso.onmicrosoft.com/"
                                   "oauth2/v2.0/token")
    assert microsoft.client_secret is None
    common = setup.oauth2_config(MICROSOFT, "0000-1111")
    assert "/common/" in common.authorization_url and "/common/" in (
        common.device_authorization_url or "")


def test_the_providers_own_servers_are_used_when_none_were_entered() -> None:
    servers = default_servers(GOOGLE, "zoe@corp.de", "zoe@corp.de")
    assert servers is not None
    incoming, smtp = servers
    assert (incoming.protocol, incoming.host, incoming.port, incoming.security) == (
        Protocol.IMAP, "imap.gmail.com", 993, Security.TLS)
    assert (smtp.host, smtp.port, smtp.username) == ("smtp.gmail.com", 465, "zoe@corp.de")
    servers = default_servers(MICROSOFT, "a", "b")
    assert servers is not None
    incoming, smtp = servers
    assert incoming.host == "outlook.office365.com" and smtp.security is Security.STARTTLS
