"""`[notify]` and the accounts' `notify`/`notify_folders`: defaults, and errors naming file
and key, at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_mail.config import NotifySettings, parse_config
from tui_mail.errors import ConfigError

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


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text, PATH)
    return str(info.value)


def test_by_default_the_bell_rings_the_desktop_is_chosen_and_only_the_inbox_notifies() -> None:
    config = parse_config(ACCOUNT.format(extra=""), PATH)
    assert config.notify == NotifySettings(bell=True, desktop="auto", command="")
    assert config.accounts[0].notify is True
    assert config.accounts[0].notify_folders == ("INBOX",)


def test_notify_settings_are_read_as_written() -> None:
    text = ('[notify]\nbell = false\ndesktop = "osc777"\ncommand = "~/bin/ding --loud"\n'
            + ACCOUNT.format(extra='notify = false\nnotify_folders = ["INBOX", "Lists/*"]'))
    config = parse_config(text, PATH)
    assert config.notify == NotifySettings(bell=False, desktop="osc777",
                                           command="~/bin/ding --loud")
    assert config.accounts[0].notify is False
    assert config.accounts[0].notify_folders == ("INBOX", "Lists/*")


@pytest.mark.parametrize(("text", "words"), [
    ('[notify]\ndesktop = "growl"\n', ["key 'notify.desktop'", "'osc9'", "'growl'"]),
    ('[notify]\ncommand = "ding \'unclosed"\n', ["key 'notify.command'", "cannot be split"]),
    ('[notify]\ncommand = "\'\' x"\n', ["key 'notify.command'", "a program first"]),
    ("[notify]\nbel = true\n", ["key 'notify.bel'", "did you mean 'bell'"]),
    ("[notify]\nbell = 1\n", ["key 'notify.bell'", "true or false"]),
])
def test_a_wrong_notify_setting_is_an_error_naming_file_and_key(text: str,
                                                                words: list[str]) -> None:
    message = error_of(text)
    assert message.startswith(f"{PATH}: ")
    for word in words:
        assert word in message


def test_a_notify_folder_that_is_no_name_is_an_error_naming_account_and_key() -> None:
    message = error_of(ACCOUNT.format(extra='notify_folders = ["INBOX", 3]'))
    assert "account 'work'" in message and "key 'notify_folders[1]'" in message
    message = error_of(ACCOUNT.format(extra='notify_folders = "INBOX"'))
    assert "key 'notify_folders'" in message and "a list" in message
