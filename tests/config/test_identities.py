"""`identities`: plain addresses (with the account's signature) or tables with their own
display name and signature."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_mail.config import parse_config
from tui_mail.errors import ConfigError

PATH = Path("/home/me/.config/tui-mail/config.toml")
ACCOUNT = '''[accounts.work]
address = "Sam <sam@example.com>"
signature = "Sam\\nExample Corp"
{identities}
[accounts.work.incoming]
protocol = "imap"
host = "imap.example.com"
security = "tls"
'''


def account(identities: str):
    return parse_config(ACCOUNT.format(identities=identities), PATH).accounts[0]


def test_an_identity_table_has_its_own_name_and_signature_and_a_plain_one_the_accounts() -> None:
    found = account('''identities = [
  "Sam Alias <alias@example.com>",
  { address = "sam@home.example", display_name = "Sam at home", signature = "S." },
  { address = "Sam Lists <lists@example.com>", signature = "" },
  { address = "press@example.com" },
]''')
    assert [(str(i.address), i.signature) for i in found.all_identities] == [
        ("Sam <sam@example.com>", "Sam\nExample Corp"),
        ("Sam Alias <alias@example.com>", "Sam\nExample Corp"),
        ("Sam at home <sam@home.example>", "S."),
        ("Sam Lists <lists@example.com>", ""),  # "" is no signature, not the account's
        ("press@example.com", "Sam\nExample Corp"),
    ]


@pytest.mark.parametrize(("identities", "error"), [
    ("identities = [{ adress = \"a@b.example\" }]",
     "key 'identities[0].adress': unknown key"),
    ("identities = [{ signature = \"S.\" }]", "key 'identities[0].address'"),
    ("identities = [3]", "key 'identities[0]': expected an address or a table (address,"
                         " display_name, signature), found an integer (3)"),
    ("identities = [{ address = \"not an address\" }]", "key 'identities[0].address'"),
])
def test_a_wrong_identity_names_the_account_and_the_key(identities: str, error: str) -> None:
    with pytest.raises(ConfigError) as caught:
        account(identities)
    assert str(caught.value).startswith(f"{PATH}: account 'work': {error}")
