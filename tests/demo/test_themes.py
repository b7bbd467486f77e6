"""Theme files: the bundled set, user themes, and what happens to a broken file."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.color import Color
from textual.theme import BUILTIN_THEMES, Theme
from textual.widgets import Static

from tui_mail.ui.themes import (
    APP_VARIABLES,
    DEFAULT_THEME,
    bundled_themes_dir,
    choose_theme,
    load_themes,
    theme_variable_defaults,
)

REPO = Path(__file__).resolve().parents[2]


def by_name(themes: list[Theme]) -> dict[str, Theme]:
    return {t.name: t for t in themes}


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_themes_are_dark_light_high_contrast_and_nord() -> None:
    themes, warnings = load_themes(None)
    assert warnings == []
    names = by_name(themes)
    assert {"tui-mail-dark", "tui-mail-light", "tui-mail-high-contrast", "tui-mail-nord"} <= set(names)
    assert names["tui-mail-dark"].dark is True
    assert names["tui-mail-light"].dark is False
    assert DEFAULT_THEME in names


def test_every_bundled_theme_sets_every_app_variable_itself() -> None:
    for path in sorted(bundled_themes_dir().glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        missing = [v for v in APP_VARIABLES if f"\n{v} = " not in text]
        assert missing == [], f"{path.name} leaves {missing} to the derived defaults"


def test_top_level_themes_folder_is_the_packaged_one() -> None:
    assert (REPO / "themes").resolve() == bundled_themes_dir().resolve()


def test_user_theme_in_the_config_folder_is_picked_up(tmp_path: Path) -> None:
    write(tmp_path, "sunset.toml", 'primary = "#FF7F50"\nbackground = "#201010"\n'
          '[variables]\nquote-1 = "#FFAA00"\n')
    themes, warnings = load_themes(tmp_path)
    sunset = by_name(themes)["sunset"]
    assert warnings == []
    assert sunset.primary == "#FF7F50"
    assert sunset.variables["quote-1"] == "#FFAA00"
    assert set(APP_VARIABLES) <= set(sunset.variables)


def test_user_theme_can_extend_a_textual_builtin(tmp_path: Path) -> None:
    write(tmp_path, "my-gruvbox.toml", 'name = "my-gruvbox"\nextends = "gruvbox"\naccent = "#FF0000"\n')
    theme = by_name(load_themes(tmp_path)[0])["my-gruvbox"]
    assert theme.primary == BUILTIN_THEMES["gruvbox"].primary
    assert theme.accent == "#FF0000"
    assert BUILTIN_THEMES["gruvbox"].accent != "#FF0000"


def test_user_theme_with_a_bundled_name_replaces_it(tmp_path: Path) -> None:
    write(tmp_path, "tui-mail-dark.toml", 'extends = "tui-mail-dark"\nprimary = "#123456"\n')
    theme = by_name(load_themes(tmp_path)[0])["tui-mail-dark"]
    assert theme.primary == "#123456"
    assert theme.background == "#15181E"


def test_broken_toml_keeps_the_bundled_theme_and_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "tui-mail-dark.toml", 'primary = "#123456\n')
    themes, warnings = load_themes(tmp_path)
    assert by_name(themes)["tui-mail-dark"].primary == "#5FA8D3"
    assert len(warnings) == 1
    assert str(path) in warnings[0]
    assert "not valid TOML" in warnings[0]
    assert "keeping the built-in 'tui-mail-dark'" in warnings[0]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('primary = "blurple"\n', "'primary' is not a colour: 'blurple'"),
        ('primay = "#FFFFFF"\n', "unknown key 'primay' (did you mean 'primary'?)"),
        ('background = "#000000"\n', "'primary' is required"),
        ('extends = "nrod"\n', "unknown theme 'nrod' (did you mean 'nord'?)"),
        ('primary = "#FFFFFF"\ndark = "yes"\n', "'dark' must be true or false"),
        ('primary = "#FFFFFF"\n[variables]\nquote-1 = "$accent"\n', "'variables.quote-1' is not a colour"),
        ('primary = "#FFFFFF"\n[variables]\nunread-text-style = "heavy"\n', "is not a text style"),
    ],
)
def test_a_bad_value_is_skipped_with_a_warning_saying_what(tmp_path: Path, text: str, words: str) -> None:
    path = write(tmp_path, "mine.toml", text)
    themes, warnings = load_themes(tmp_path)
    assert "mine" not in by_name(themes)
    assert len(warnings) == 1
    assert warnings[0].startswith(f"theme file {path}: ")
    assert words in warnings[0]


def test_an_unknown_configured_theme_falls_back_to_the_default_with_a_hint() -> None:
    themes = by_name(load_themes(None)[0])
    assert choose_theme("tui-mail-light", themes) == ("tui-mail-light", None)
    name, warning = choose_theme("tui-mail-lihgt", themes)
    assert name == DEFAULT_THEME
    assert warning is not None and "did you mean 'tui-mail-light'?" in warning


def test_derived_defaults_cover_every_app_variable_and_follow_the_theme() -> None:
    dark = theme_variable_defaults()
    light = theme_variable_defaults(BUILTIN_THEMES["solarized-light"])
    assert set(dark) == set(APP_VARIABLES)
    assert dark["unread-foreground"] != light["unread-foreground"]


class VariablesApp(App[None]):
    """Uses every app variable in CSS, as the real app's stylesheet does."""

    CSS = "\n".join(
        f"#{name} {{ {'text-style' if 'style' in name else 'color'}: ${name}; }}"
        for name in APP_VARIABLES
    )

    def __init__(self, themes: list[Theme]) -> None:
        super().__init__()
        self._themes = themes

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return theme_variable_defaults(self.current_theme)

    def on_mount(self) -> None:
        for theme in self._themes:
            self.register_theme(theme)

    def compose(self) -> ComposeResult:
        for name in APP_VARIABLES:
            yield Static(name, id=name)


async def test_every_theme_styles_the_app_variables() -> None:
    themes = load_themes(None)[0]
    app = VariablesApp(themes)
    async with app.run_test() as pilot:
        for theme in themes:
            app.theme = theme.name
            await pilot.pause()
            quote = app.query_one("#quote-1", Static).styles.color
            assert quote.hex.upper() == Color.parse(theme.variables["quote-1"]).hex.upper()
        app.theme = "dracula"
        await pilot.pause()
        expected = theme_variable_defaults(BUILTIN_THEMES["dracula"])["quote-1"]
        assert app.query_one("#quote-1", Static).styles.color.hex == Color.parse(expected).hex
