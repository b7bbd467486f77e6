"""`address_book_command` and `address_book_vcards`, checked when the config is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_mail.config import parse_config
from tui_mail.errors import ConfigError

PATH = Path("/home/me/.config/tui-mail/config.toml")


def test_the_address_book_settings_are_read_with_paths_expanded(tmp_path: Path) -> None:
    (tmp_path / "cards").mkdir()
    config = parse_config(f'address_book_command = "khard email --parsable %s"\n'
                          f'address_book_vcards = ["{tmp_path / "cards"}", "~/contacts.vcf"]\n',
                          PATH)
    assert config.address_book_command == "khard email --parsable %s"
    assert config.address_book_vcards == (tmp_path / "cards", Path.home() / "contacts.vcf")


def test_a_vcard_path_not_there_yet_is_a_warning_not_an_error(tmp_path: Path) -> None:
    config = parse_config(f'address_book_vcards = ["{tmp_path / "none"}"]\n', PATH)
    assert config.warnings == (f"{PATH}: key 'address_book_vcards[0]': {tmp_path / 'none'} "
                               "does not exist; the composer offers no contacts from it",)


@pytest.mark.parametrize(("line", "error"), [
    ('address_book_command = "abook --mutt-query \'%s"',
     "key 'address_book_command': cannot be split into words (No closing quotation)"),
    ("address_book_vcards = [3]", "key 'address_book_vcards[0]': expected the path of a vCard"
                                  " file or of a folder of .vcf files, found an integer (3)"),
    ('address_book_vcards = "~/contacts"', "key 'address_book_vcards': expected"),
])
def test_a_wrong_address_book_setting_names_the_key(line: str, error: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(line + "\n", PATH)
    assert str(caught.value).startswith(f"{PATH}: {error}")
