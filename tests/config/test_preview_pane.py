"""`ui.preview_pane`: a place ("auto", "right", "below", "off") or, as before, true or false."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_mail.config import parse_config
from tui_mail.errors import ConfigError

PATH = Path("/home/me/.config/tui-mail/config.toml")


@pytest.mark.parametrize(("value", "layout"), [
    ("true", "auto"), ("false", "off"), ('"auto"', "auto"), ('"right"', "right"),
    ('"below"', "below"), ('"off"', "off"),
])
def test_preview_pane_takes_a_place_or_a_boolean(value: str, layout: str) -> None:
    assert parse_config(f"[ui]\npreview_pane = {value}\n", PATH).ui.preview_pane == layout


def test_preview_pane_is_auto_when_not_set() -> None:
    assert parse_config("", PATH).ui.preview_pane == "auto"


@pytest.mark.parametrize(("value", "found"), [('"side"', "a string ('side')"),
                                              ("1", "an integer (1)")])
def test_a_wrong_preview_pane_names_the_file_the_key_and_the_choices(value: str, found: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(f"[ui]\npreview_pane = {value}\n", PATH)
    assert str(caught.value) == (
        f"{PATH}: key 'ui.preview_pane': expected true, false or one of 'auto', 'right', "
        f"'below', 'off', found {found}")
