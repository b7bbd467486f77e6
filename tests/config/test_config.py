"""The config is validated once, at load, and every error names file, account and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tui_mail.config import Config, load_config, parse_config
from tui_mail.errors import ConfigError
from tui_mail.model import FolderRole, Protocol, Security

REPO = Path(__file__).resolve().parents[2]

MINIMAL = """
[accounts.work]
address = "Alice Example <alice@example.com>"

[accounts.work.incoming]
protocol = "imap"
host = "imap.example.com"
security = "tls"

[accounts.work.smtp]
host = "smtp.example.com"
security = "starttls"
"""


def parse(text: str) -> Config:
    return parse_config(text, Path("/home/u/.config/tui-mail/config.toml"))


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse(text)
    return str(info.value)


def test_minimal_account_gets_ports_from_security_and_username_from_address() -> None:
    config = parse(MINIMAL)
    (account,) = config.accounts
    assert account.name == "work"
    assert account.address.name == "Alice Example"
    assert account.incoming.protocol is Protocol.IMAP
    assert account.incoming.port == 993
    assert account.incoming.username == "alice@example.com"
    assert account.smtp is not None
    assert account.smtp.port == 587
    assert account.smtp.security is Security.STARTTLS


@pytest.mark.parametrize(
    ("protocol", "security", "port"),
    [("imap", "tls", 993), ("imap", "starttls", 143), ("pop3", "tls", 995), ("pop3", "starttls", 110)],
)
def test_incoming_port_defaults_by_security(protocol: str, security: str, port: int) -> None:
    text = MINIMAL.replace('protocol = "imap"', f'protocol = "{protocol}"').replace(
        'security = "tls"', f'security = "{security}"'
    )
    assert parse(text).accounts[0].incoming.port == port


def test_smtp_tls_defaults_to_465() -> None:
    text = MINIMAL.replace('security = "starttls"', 'security = "tls"')
    smtp = parse(text).accounts[0].smtp
    assert smtp is not None and smtp.port == 465


def test_typo_in_a_key_names_file_account_key_and_suggests_the_right_one() -> None:
    message = error_of(MINIMAL.replace('host = "imap.example.com"', 'hots = "imap.example.com"'))
    assert "/home/u/.config/tui-mail/config.toml" in message
    assert "account 'work'" in message
    assert "'incoming.hots'" in message
    assert "did you mean 'host'" in message


def test_wrong_type_says_what_was_expected_and_what_was_found() -> None:
    message = error_of(MINIMAL.replace('security = "tls"', 'security = "tls"\nport = "993x"'))
    assert "account 'work'" in message
    assert "'incoming.port'" in message
    assert "expected an integer" in message
    assert "'993x'" in message


def test_missing_required_field_is_named() -> None:
    message = error_of(MINIMAL.replace('host = "imap.example.com"\n', ""))
    assert "account 'work'" in message and "'incoming.host'" in message and "missing" in message


def test_security_must_be_written_explicitly() -> None:
    message = error_of(MINIMAL.replace('security = "tls"\n', "", 1))
    assert "'incoming.security'" in message and "missing" in message


def test_unknown_security_value_lists_the_valid_ones() -> None:
    message = error_of(MINIMAL.replace('security = "tls"', 'security = "ssl"', 1))
    assert "'tls'" in message and "'starttls'" in message and "'none'" in message and "'ssl'" in message


def test_bad_address_is_refused() -> None:
    message = error_of(MINIMAL.replace("Alice Example <alice@example.com>", "alice"))
    assert "account 'work'" in message and "'address'" in message


def test_invalid_toml_names_the_file_and_line() -> None:
    message = error_of("[accounts.work\n")
    assert "config.toml: not valid TOML" in message and "line 1" in message


def test_unknown_top_level_key_is_refused() -> None:
    message = error_of("theem = 'nord'\n" + MINIMAL)
    assert "'theem'" in message and "did you mean 'theme'" in message


def test_port_out_of_range() -> None:
    message = error_of(MINIMAL.replace('security = "tls"', 'security = "tls"\nport = 70000'))
    assert "from 1 to 65535" in message


def test_insecure_settings_and_a_password_in_the_file_draw_warnings_without_the_secret() -> None:
    text = MINIMAL.replace(
        'security = "tls"', 'security = "tls"\ntls_verify = false\npassword = "hunter2-secret"'
    )
    config = parse(text)
    joined = "\n".join(config.warnings)
    assert "tls_verify = false" in joined
    assert "password is written in the config file" in joined
    assert "hunter2-secret" not in joined
    assert "hunter2-secret" not in repr(config.accounts[0])


def test_ca_file_must_exist_and_is_resolved_next_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("x")
    path = tmp_path / "config.toml"
    path.write_text(MINIMAL.replace('security = "tls"', 'security = "tls"\nca_file = "ca.pem"', 1))
    assert load_config(path).accounts[0].incoming.ca_file == tmp_path / "ca.pem"
    path.write_text(MINIMAL.replace('security = "tls"', 'security = "tls"\nca_file = "nope.pem"', 1))
    with pytest.raises(ConfigError, match="'incoming.ca_file'.*no file at"):
        load_config(path)


def test_missing_config_file_says_where_it_looked_and_suggests_the_demo(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "absent.toml")
    assert str(tmp_path / "absent.toml") in str(info.value)
    assert "--demo" in str(info.value)


def test_folders_identities_and_keys() -> None:
    text = MINIMAL + """
[accounts.work.folders]
sent = "Sent Items"
archive = "Archive"
"""
    text = text.replace(
        'address = "Alice Example <alice@example.com>"',
        'address = "alice@example.com"\ndisplay_name = "Alice"\n'
        'identities = ["Alice <alice@alias.example.com>"]\nsignature = "Alice"',
    )
    text = "[keys]\nquit = \"q,ctrl+c\"\n" + text
    config = parse(text)
    account = config.accounts[0]
    assert account.folders[FolderRole.SENT] == "Sent Items"
    assert [i.address.email for i in account.all_identities] == [
        "alice@example.com",
        "alice@alias.example.com",
    ]
    assert config.keys == {"quit": "q,ctrl+c"}


def test_unknown_folder_role_is_refused() -> None:
    message = error_of(MINIMAL + '\n[accounts.work.folders]\nsnet = "Sent"\n')
    assert "'folders.snet'" in message and "did you mean 'sent'" in message


def readme_config_example() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- config-example -->\s*```toml\n(.*?)```", text, re.S)
    assert match, "README.md must hold the config example after <!-- config-example -->"
    return match.group(1)


def test_the_readme_config_example_loads() -> None:
    config = parse(readme_config_example())
    names = [a.name for a in config.accounts]
    assert len(names) >= 2
    assert {a.incoming.protocol for a in config.accounts} == {Protocol.IMAP, Protocol.POP3}


def test_only_subscribed_is_off_by_default_and_read_as_a_boolean() -> None:
    assert parse(MINIMAL).accounts[0].only_subscribed is False
    text = MINIMAL.replace('address = "Alice', 'only_subscribed = true\naddress = "Alice')
    assert parse(text).accounts[0].only_subscribed is True
    message = error_of(text.replace("only_subscribed = true", 'only_subscribed = "yes"'))
    assert "account 'work'" in message and "'only_subscribed'" in message
    assert "expected true or false" in message


def test_only_subscribed_is_refused_for_a_pop3_account() -> None:
    text = MINIMAL.replace('protocol = "imap"', 'protocol = "pop3"').replace(
        'address = "Alice', 'only_subscribed = true\naddress = "Alice')
    message = error_of(text)
    assert "'only_subscribed'" in message and "imap" in message


def test_authserv_id_is_optional_and_must_be_a_host_name() -> None:
    assert parse(MINIMAL).accounts[0].authserv_id is None
    text = MINIMAL.replace('address = "Alice', 'authserv_id = "MX.Example.com."\naddress = "Alice')
    assert parse(text).accounts[0].authserv_id == "mx.example.com"
    for bad in ('"mx.example.com; dmarc=pass"', '"two words"', '""', "1"):
        message = error_of(text.replace('"MX.Example.com."', bad))
        assert "account 'work'" in message and "'authserv_id'" in message
