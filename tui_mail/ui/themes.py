"""Colour themes: TOML files turned into `textual.theme.Theme` objects.

The bundled themes live in `tui_mail/themes/*.toml` (the top-level `themes/` folder of the
repository is a link to it); users add or override themes in `$XDG_CONFIG_HOME/tui-mail/themes/`.
The file format and the app-specific variables are documented in `themes/README.md`.

Loading never raises: a file that cannot be used is skipped with a warning naming the file and
the problem, so a bundled theme of the same name (or the default theme) stays in use.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.css.constants import VALID_STYLE_FLAGS
from textual.theme import BUILTIN_THEMES, Theme

DEFAULT_THEME = "tui-mail-dark"

_COLOR_FIELDS = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "success",
    "warning",
    "error",
)
_ALLOWED_KEYS = {"name", "extends", "dark", "variables", *_COLOR_FIELDS}

# Each app variable and the colour-system entry it defaults to when a theme does not set it.
# The values of `Theme.to_color_system().generate()` are concrete colours (a variable may not
# refer to another `$variable`), so defaults are computed per theme.
_DERIVED: dict[str, str] = {
    "unread-foreground": "foreground",
    "read-foreground": "foreground-muted",
    "flagged-foreground": "warning",
    "deleted-foreground": "foreground-disabled",
    "attachment-foreground": "text-secondary",
    "date-foreground": "foreground-muted",
    "thread-foreground": "foreground-disabled",
    "list-cursor-background": "block-cursor-background",
    "list-cursor-foreground": "block-cursor-foreground",
    "list-cursor-blurred-background": "block-cursor-blurred-background",
    "folder-count-foreground": "text-accent",
    "header-label": "text-primary",
    "header-value": "foreground",
    "quote-1": "text-primary",
    "quote-2": "text-success",
    "quote-3": "text-warning",
    "signature-foreground": "foreground-muted",
    "link-foreground": "text-accent",
    "search-match-background": "accent-muted",
    "search-match-foreground": "foreground",
}
_FIXED: dict[str, str] = {
    "unread-text-style": "bold",
    "deleted-text-style": "strike",
}
APP_VARIABLES: tuple[str, ...] = (*_DERIVED, *_FIXED)

_PERCENT = re.compile(r"\d+(\.\d+)?%")


def theme_variable_defaults(theme: Theme | None = None) -> dict[str, str]:
    """Values for every app variable, derived from `theme`'s colours (default: textual-dark).

    Meant for `App.get_theme_variable_defaults`; pass `self.current_theme` so that a Textual
    built-in theme the user picked (which sets none of our variables) still gets matching colours.
    """
    base = theme if theme is not None else BUILTIN_THEMES["textual-dark"]
    colors = base.to_color_system().generate()
    values = {name: colors[source] for name, source in _DERIVED.items()}
    values.update(_FIXED)
    return values


def bundled_themes_dir() -> Path:
    """The folder of the themes shipped inside the package."""
    return Path(str(resources.files("tui_mail") / "themes"))


def user_themes_dir(config_dir: Path) -> Path:
    """Where a user puts their own themes, given the config folder."""
    return config_dir / "themes"


def load_themes(user_dir: Path | None) -> tuple[list[Theme], list[str]]:
    """The bundled themes, then the user's (`user_dir/*.toml`), and warnings in words.

    A user theme with the name of a bundled one replaces it. Themes may `extends` a Textual
    built-in theme, a bundled theme or a user theme loaded before them (files are read in name
    order). Every returned theme carries all app variables.
    """
    warnings: list[str] = []
    themes: dict[str, Theme] = {}
    sources = [bundled_themes_dir()]
    if user_dir is not None and user_dir.is_dir():
        sources.append(user_dir)
    for folder in sources:
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = _load_file(path, themes)
            except ThemeFileError as exc:
                kept = f"; keeping the built-in {path.stem!r}" if path.stem in themes else ""
                warnings.append(f"theme file {path}: {exc}{kept}")
                continue
            themes[theme.name] = theme
    return list(themes.values()), warnings


def choose_theme(requested: str, available: Mapping[str, Theme]) -> tuple[str, str | None]:
    """The theme to use for the name in the config, and a warning if it is not available."""
    if requested in available:
        return requested, None
    close = difflib.get_close_matches(requested, list(available), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return DEFAULT_THEME, f"theme {requested!r} not found{hint}; using {DEFAULT_THEME!r}"


class ThemeFileError(ValueError):
    """A theme file that cannot be used; the message says why."""


def _load_file(path: Path, known: Mapping[str, Theme]) -> Theme:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ThemeFileError(f"cannot be read ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(f"is not valid TOML ({exc})") from exc
    return parse_theme(data, default_name=path.stem, known=known)


def parse_theme(
    data: Mapping[str, Any], default_name: str, known: Mapping[str, Theme] | None = None
) -> Theme:
    """Build a Theme from the parsed TOML of one file; `ThemeFileError` names the bad key."""
    for key in data:
        if key not in _ALLOWED_KEYS:
            close = difflib.get_close_matches(key, sorted(_ALLOWED_KEYS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ThemeFileError(f"unknown key {key!r}{hint}")
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        raise ThemeFileError("'name' must be a non-empty string")
    base = _base_theme(data.get("extends"), {**BUILTIN_THEMES, **(known or {})})
    fields: dict[str, Any] = {}
    for key in _COLOR_FIELDS:
        if key in data:
            fields[key] = _color(data[key], key)
    if "dark" in data:
        if not isinstance(data["dark"], bool):
            raise ThemeFileError(f"'dark' must be true or false, not {data['dark']!r}")
        fields["dark"] = data["dark"]
    variables = _variables(data.get("variables", {}))
    if base is None:
        if "primary" not in fields:
            raise ThemeFileError("'primary' is required (or 'extends' a theme that has one)")
        theme = Theme(name=name, **fields)
    else:
        theme = replace(base, name=name, variables=dict(base.variables), **fields)
    theme.variables.update(variables)
    return _with_app_variables(theme)


def _base_theme(extends: object, known: Mapping[str, Theme]) -> Theme | None:
    if extends is None:
        return None
    if not isinstance(extends, str):
        raise ThemeFileError(f"'extends' must be a theme name, not {extends!r}")
    if extends not in known:
        close = difflib.get_close_matches(extends, list(known), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ThemeFileError(f"'extends' names an unknown theme {extends!r}{hint}")
    return known[extends]


def _color(value: object, key: str) -> str:
    if not isinstance(value, str):
        raise ThemeFileError(f"{key!r} must be a colour string like \"#88C0D0\", not {value!r}")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeFileError(f"{key!r} is not a colour: {value!r}") from None
    return value


def _variables(table: object) -> dict[str, str]:
    if not isinstance(table, dict):
        raise ThemeFileError("[variables] must be a table of name = \"value\"")
    checked: dict[str, str] = {}
    for key, value in table.items():
        where = f"variables.{key}"
        if not isinstance(value, str):
            raise ThemeFileError(f"{where!r} must be a string, not {value!r}")
        if "style" in key:
            unknown = [w for w in value.split() if w not in VALID_STYLE_FLAGS]
            if unknown or not value.strip():
                raise ThemeFileError(f"{where!r} is not a text style: {value!r}")
        elif not _is_css_color(value):
            raise ThemeFileError(f"{where!r} is not a colour: {value!r}")
        checked[key] = value
    return checked


def _is_css_color(value: str) -> bool:
    """A colour as Textual CSS accepts it: `#hex`, a name, `auto`, with an optional `NN%`."""
    parts = value.split()
    if not parts or len(parts) > 2 or (len(parts) == 2 and not _PERCENT.fullmatch(parts[1])):
        return False
    if parts[0] in ("auto", "initial"):
        return True
    try:
        Color.parse(parts[0])
    except ColorParseError:
        return False
    return True


def _with_app_variables(theme: Theme) -> Theme:
    if any(name not in theme.variables for name in APP_VARIABLES):
        defaults = theme_variable_defaults(theme)
        theme.variables.update({k: v for k, v in defaults.items() if k not in theme.variables})
    return theme
