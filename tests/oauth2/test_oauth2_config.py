"""`[accounts.NAME.oauth2]`: completed from the provider table, every mistake named at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_mail.config import parse_config
from tui_mail.errors import ConfigError
from tui_mail.model import Account, OAuth2Flow
from tui_mail.oauth2.providers import (
    GOOGLE,
    MICROSOFT,
    provider_for_domain,
    provider_for_host,
    provider_for_mx,
)

PATH = Path("/home/u/.config/tui-mail/config.toml")


def account(incoming_host: str, oauth2: str, extra_incoming: str = "") -> str:
    return f"""
[accounts.work]
address = "me@example.com"
[accounts.work.incoming]
protocol = "imap"
host = "{incoming_host}"
security = "tls"
{extra_incoming}
[accounts.work.smtp]
host = "smtp.example.com"
security = "starttls"
[accounts.work.oauth2]
{oauth2}
"""


def load(text: str) -> Account:
    return parse_config(text, PATH).accounts[0]


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text, PATH)
    return str(info.value)


def test_microsoft_is_recognised_by_the_incoming_host_and_completed_with_its_endpoints() -> None:
    config = load(account("outlook.office365.com", 'client_id = "abc"\ntenant = "contoso.com"'))
    assert config.oauth2 is not None
    assert config.oauth2.provider == "microsoft"
    assert config.oauth2.token_url == \
        "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token"
    assert config.oauth2.device_authorization_url is not None
    assert "offline_access" in config.oauth2.scopes
    assert "https://outlook.office.com/SMTP.Send" in config.oauth2.scopes
    assert config.oauth2.flow is OAuth2Flow.AUTO


def test_google_has_no_device_flow_for_mail_so_asking_for_it_is_an_error_at_load() -> None:
    text = account("imap.gmail.com", 'client_id = "x"\nclient_secret = "y"\nflow = "device"')
    message = error_of(text)
    assert "key 'oauth2.flow'" in message and "Google offers no device sign-in" in message


def test_google_scope_is_the_whole_mailbox_and_the_secret_is_kept_out_of_repr() -> None:
    config = load(account("imap.gmail.com", 'client_id = "x"\nclient_secret = "s3cret"'))
    assert config.oauth2 is not None
    assert config.oauth2.scopes == ("https://mail.google.com/",)
    assert config.oauth2.client_secret == "s3cret"
    assert "s3cret" not in repr(config)


def test_a_custom_provider_needs_its_endpoints_and_scopes() -> None:
    message = error_of(account("imap.example.com", 'client_id = "x"'))
    assert "key 'oauth2.provider'" in message and "authorization_url, token_url" in message
    message = error_of(account("imap.example.com", 'client_id = "x"\n'
                               'authorization_url = "https://id.example.com/auth"\n'
                               'token_url = "https://id.example.com/token"'))
    assert "key 'oauth2.scopes'" in message
    config = load(account("imap.example.com", 'client_id = "x"\n'
                          'authorization_url = "https://id.example.com/auth"\n'
                          'token_url = "https://id.example.com/token"\nscopes = ["mail"]'))
    assert config.oauth2 is not None
    assert (config.oauth2.provider, config.oauth2.scopes) == ("custom", ("mail",))


@pytest.mark.parametrize(("oauth2", "key", "words"), [
    ('provider = "yahoo"\nclient_id = "x"', "oauth2.provider", "expected one of 'google'"),
    ('provider = "google"', "oauth2.client_id", "registered with Google"),
    ('provider = "google"\nclient_id = "x"\ntoken_url = "http://id.example.com/t"',
     "oauth2.token_url", "expected an https:// URL"),
    ('provider = "google"\nclient_id = "x"\ntenant = "a"', "oauth2.tenant", "only applies"),
    ('provider = "microsoft"\nclient_id = "x"\nflow = "popup"', "oauth2.flow", "'browser'"),
    ('provider = "microsoft"\nclient_id = "x"\nscopes = "IMAP"', "oauth2.scopes", "a list"),
    ('provider = "microsoft"\nclient_id = "x"\nclient_ID = "y"', "oauth2.client_ID",
     "did you mean 'client_id'"),
    ('provider = "microsoft"\nclient_id = "x"\nca_file = "/nonexistent.pem"', "oauth2.ca_file",
     "no file at"),
])
def test_each_mistake_in_the_oauth2_table_names_its_key(oauth2: str, key: str, words: str) -> None:
    message = error_of(account("imap.example.com", oauth2))
    assert f"key '{key}'" in message and "account 'work'" in message and str(PATH) in message
    assert words in message


def test_a_password_beside_an_oauth2_table_is_an_error_not_a_silent_choice() -> None:
    message = error_of(account("outlook.office365.com", 'client_id = "x"',
                               extra_incoming='password_command = "pass mail"'))
    assert "key 'incoming.password_command'" in message and "signs in with OAuth2" in message


def test_providers_are_found_by_domain_host_and_mx() -> None:
    assert provider_for_domain("GMAIL.com") is GOOGLE
    assert provider_for_domain("hotmail.com") is MICROSOFT
    assert provider_for_domain("example.com") is None
    assert provider_for_host("smtp.office365.com") is MICROSOFT
    assert provider_for_mx(["aspmx.l.google.com."]) == (GOOGLE, "aspmx.l.google.com.")
    assert provider_for_mx(["contoso-com.mail.protection.outlook.com"]) == \
        (MICROSOFT, "contoso-com.mail.protection.outlook.com")
    assert provider_for_mx(["mx.example.com", "google.com.evil.example"]) is None


def test_the_readme_oauth2_example_loads_as_microsoft_and_google() -> None:
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- oauth2-example -->\s*```toml\n(.*?)```", readme, re.S)
    assert match, "README.md must hold the OAuth2 example after <!-- oauth2-example -->"
    accounts = {a.name: a for a in parse_config(match.group(1), PATH).accounts}
    office, gmail = accounts["office"].oauth2, accounts["gmail"].oauth2
    assert office is not None and gmail is not None
    assert (office.provider, gmail.provider) == ("microsoft", "google")
    assert gmail.client_secret
