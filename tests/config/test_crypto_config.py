"""The accounts' `sign` and `encrypt` settings: never by default, read as written, and a
wrong value named with the file, account and key at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_mail.config import parse_config
from tui_mail.errors import ConfigError
from tui_mail.model import AutocryptMode, CryptoKind, EncryptPolicy, SignPolicy

PATH = Path("/home/u/.config/tui-mail/config.toml")
ACCOUNT = """
[accounts.work]
address = "ann@example.com"
{extra}
[accounts.work.incoming]
protocol = "imap"
host = "imap.example.com"
security = "tls"
"""


def test_an_account_neither_signs_nor_encrypts_unless_told_and_uses_openpgp() -> None:
    [account] = parse_config(ACCOUNT.format(extra=""), PATH).accounts
    assert (account.sign, account.encrypt) == (SignPolicy.NEVER, EncryptPolicy.NEVER)
    assert account.crypto is CryptoKind.OPENPGP
    assert account.autocrypt is AutocryptMode.OFF
    assert account.wkd is False  # no key directory is asked unless told
    assert account.cache_decrypted is False  # no decrypted text in the cache unless told


def test_an_account_may_sign_and_encrypt_with_smime() -> None:
    [account] = parse_config(ACCOUNT.format(extra='crypto = "smime"'), PATH).accounts
    assert account.crypto is CryptoKind.SMIME


def test_autocrypt_is_read_as_written() -> None:
    [account] = parse_config(ACCOUNT.format(extra='autocrypt = "mutual"'), PATH).accounts
    assert account.autocrypt is AutocryptMode.MUTUAL


def test_wkd_and_cache_decrypted_are_read_as_written() -> None:
    [account] = parse_config(ACCOUNT.format(extra="wkd = true\ncache_decrypted = true"),
                             PATH).accounts
    assert account.wkd is True and account.cache_decrypted is True


def test_wkd_with_smime_is_refused_at_load() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(ACCOUNT.format(extra='wkd = true\ncrypto = "smime"'), PATH)
    assert str(info.value) == (f"{PATH}: account 'work': key 'wkd': the Web Key Directory holds"
                               " OpenPGP keys only; this account has crypto = 'smime'")


def test_sign_and_encrypt_are_read_as_written() -> None:
    text = ACCOUNT.format(extra='sign = "if-replying-to-signed"\n'
                                'encrypt = "if-all-recipients-have-keys"')
    [account] = parse_config(text, PATH).accounts
    assert account.sign is SignPolicy.IF_REPLYING_TO_SIGNED
    assert account.encrypt is EncryptPolicy.IF_ALL_RECIPIENTS_HAVE_KEYS


@pytest.mark.parametrize(("extra", "named"), [
    ('sign = "sometimes"', "sign"), ('encrypt = true', "encrypt"),
    ('encrypt = "if-possible"', "encrypt"), ('crypto = "pgp"', "crypto"),
    ('autocrypt = "yes"', "autocrypt"), ('wkd = "yes"', "wkd"),
    ('cache_decrypted = 1', "cache_decrypted")])
def test_a_wrong_value_names_the_file_account_key_and_the_choices(extra: str,
                                                                  named: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(ACCOUNT.format(extra=extra), PATH)
    said = str(info.value)
    assert said.startswith(f"{PATH}: account 'work': key '{named}': expected")


def test_autocrypt_with_smime_is_refused_at_load() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(ACCOUNT.format(extra='autocrypt = "mutual"\ncrypto = "smime"'), PATH)
    assert str(info.value) == (f"{PATH}: account 'work': key 'autocrypt': Autocrypt works with"
                               " OpenPGP keys only; this account has crypto = 'smime' (use one"
                               " or the other)")
