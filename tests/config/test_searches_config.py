"""`[searches]`: saved searches read in the file's order, each query checked at load, and an
error that names the file and the search."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_mail.config import SavedSearch, parse_config
from tui_mail.errors import ConfigError

PATH = Path("/home/u/.config/tui-mail/config.toml")


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text, PATH)
    return str(info.value)


def test_no_searches_table_means_no_saved_searches():
    assert parse_config('theme = "tui-mail-dark"\n', PATH).searches == ()


def test_searches_keep_the_order_they_are_written_in():
    config = parse_config('[searches]\nzeta = "is:flagged"\n"Unread from Ann" = '
                          '"from:ann is:unread"\nalpha = "date:7d.. has:attachment"\n', PATH)
    assert config.searches == (
        SavedSearch("zeta", "is:flagged"),
        SavedSearch("Unread from Ann", "from:ann is:unread"),
        SavedSearch("alpha", "date:7d.. has:attachment"),
    )


def test_an_unparsable_query_names_the_file_and_the_search():
    text = error_of("[searches]\n'Unread from Ann' = 'from:ann subject:\"open'\n")
    assert text.startswith(f"{PATH}: key searches.'Unread from Ann': ")
    assert "quote" in text


def test_a_misspelt_field_is_said_with_the_fields_there_are():
    text = error_of('[searches]\nreports = "subjet:report"\n')
    assert f"{PATH}: key searches.reports:" in text
    assert "subject" in text


def test_an_empty_query_is_an_error():
    assert "found an empty query" in error_of('[searches]\nnothing = "  "\n')


def test_a_query_that_is_not_a_string_is_an_error():
    assert "found an integer (3)" in error_of("[searches]\nthree = 3\n")


def test_a_search_without_a_name_is_an_error():
    assert "expected a name" in error_of('[searches]\n"" = "is:unread"\n')


def test_searches_that_is_not_a_table_is_an_error():
    assert "key 'searches': expected a table" in error_of('searches = "is:unread"\n')
