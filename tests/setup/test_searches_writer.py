"""Saving a search into the config text: one line added (or replaced) in `[searches]`, every
other byte of the file kept, and a file it cannot edit safely left alone with a reason."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from tui_mail.errors import ConfigError
from tui_mail.setup.searches_writer import SearchExists, save_search, with_search

PATH = Path("/home/u/.config/tui-mail/config.toml")

WITHOUT_SEARCHES = """\
# my mail
theme = "tui-mail-dark"   # the dark one

[ui]
threaded = true

[keys]
# quit = "q"
"""

WITH_SEARCHES = """\
theme = "tui-mail-dark"

[searches]   # virtual folders
flagged = "is:flagged"
'From Ann' = "from:ann"   # my sister

# the keys I changed
[keys]
quit = "q"
"""


def test_a_file_without_searches_gets_the_table_appended_after_a_blank_line():
    text = with_search(WITHOUT_SEARCHES, "unread", "is:unread", path=PATH)
    assert text == WITHOUT_SEARCHES + "\n[searches]\nunread = \"is:unread\"\n"
    assert tomllib.loads(text)["searches"] == {"unread": "is:unread"}


def test_a_file_not_ending_in_a_newline_keeps_its_last_line_whole():
    text = with_search('theme = "x"', "unread", "is:unread", path=PATH)
    assert text == 'theme = "x"\n\n[searches]\nunread = "is:unread"\n'


def test_an_empty_file_gets_only_the_table():
    assert with_search("", "unread", "is:unread", path=PATH) == \
        '[searches]\nunread = "is:unread"\n'


def test_a_new_search_goes_after_the_last_one_and_nothing_else_moves():
    text = with_search(WITH_SEARCHES, "to do", "is:flagged is:unread", path=PATH)
    assert text == WITH_SEARCHES.replace(
        '"from:ann"   # my sister\n',
        '"from:ann"   # my sister\n"to do" = "is:flagged is:unread"\n')
    assert list(tomllib.loads(text)["searches"]) == ["flagged", "From Ann", "to do"]


def test_an_empty_table_gets_the_line_right_under_its_header():
    text = with_search("[searches]\n\n[ui]\nthreaded = true\n", "a", "is:unread", path=PATH)
    assert text == '[searches]\na = "is:unread"\n\n[ui]\nthreaded = true\n'


def test_a_name_and_a_query_that_need_quoting_are_escaped_and_read_back_the_same():
    name = 'Ann\'s "urgent" \\ stuff\tnow'
    query = 'subject:"q3 report" from:ann\\x'
    text = with_search(WITHOUT_SEARCHES, name, query, path=PATH)
    assert tomllib.loads(text)["searches"] == {name: query}
    assert text.startswith(WITHOUT_SEARCHES)


def test_a_name_already_saved_is_not_replaced_unless_asked():
    with pytest.raises(SearchExists) as info:
        with_search(WITH_SEARCHES, "From Ann", "from:ann is:unread", path=PATH)
    assert info.value.name == "From Ann"
    text = with_search(WITH_SEARCHES, "From Ann", "from:ann is:unread", path=PATH,
                       replace=True)
    assert text == WITH_SEARCHES.replace("'From Ann' = \"from:ann\"   # my sister\n",
                                         '"From Ann" = "from:ann is:unread"\n')
    assert list(tomllib.loads(text)["searches"].items()) == [
        ("flagged", "is:flagged"), ("From Ann", "from:ann is:unread")]


def test_windows_line_endings_are_kept():
    crlf = WITH_SEARCHES.replace("\n", "\r\n")
    text = with_search(crlf, "x", "is:unread", path=PATH)
    assert "\n" not in text.replace("\r\n", "")
    assert tomllib.loads(text)["searches"]["x"] == "is:unread"


def test_an_inline_searches_table_is_left_to_the_user():
    with pytest.raises(ConfigError, match="by hand"):
        with_search('searches = { a = "is:unread" }\n', "b", "from:x", path=PATH)


def test_a_query_over_several_lines_is_not_replaced_blindly():
    text = '[searches]\nlong = """\nfrom:ann\n"""\n'
    with pytest.raises(ConfigError, match="by hand"):
        with_search(text, "long", "from:bob", path=PATH, replace=True)


def test_a_broken_file_is_said_and_not_edited():
    with pytest.raises(ConfigError, match="not valid TOML"):
        with_search("[ui\n", "a", "b", path=PATH)


def test_save_search_writes_the_file_and_returns_the_config_with_the_search(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text(WITH_SEARCHES, encoding="utf-8")
    os.chmod(path, 0o640)
    config = save_search(path, "unread", "is:unread")
    assert [s.name for s in config.searches] == ["flagged", "From Ann", "unread"]
    assert path.read_text(encoding="utf-8") == with_search(WITH_SEARCHES, "unread",
                                                           "is:unread", path=path)
    assert path.stat().st_mode & 0o777 == 0o640


def test_save_search_never_writes_a_query_the_search_cannot_read(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text(WITH_SEARCHES, encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot be read"):
        save_search(path, "bad", 'subject:"open')
    assert path.read_text(encoding="utf-8") == WITH_SEARCHES
