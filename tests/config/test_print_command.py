"""`ui.print_command`: the command `P` prints with, checked when the config is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_mail.config import parse_config
from tui_mail.errors import ConfigError

PATH = Path("/home/me/.config/tui-mail/config.toml")


def test_print_command_is_lpr_when_not_set() -> None:
    assert parse_config("", PATH).ui.print_command == "lpr"


def test_print_command_keeps_the_command_line_as_written() -> None:
    config = parse_config('[ui]\nprint_command = "lp -d \'Office printer\'"\n', PATH)
    assert config.ui.print_command == "lp -d 'Office printer'"


@pytest.mark.parametrize(("value", "problem"), [
    ('"lp -d \'office"', "cannot be split into words: No closing quotation"),
    ('"  "', "expected a command"),
    ("[\"lpr\"]", "expected a string, found a list"),
])
def test_a_wrong_print_command_names_the_file_and_the_key(value: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(f"[ui]\nprint_command = {value}\n", PATH)
    assert str(caught.value).startswith(f"{PATH}: key 'ui.print_command': {problem}")
