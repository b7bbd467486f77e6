"""Saving a search into the config file's `[searches]` table, leaving the rest as it was.

The file is edited as text, not parsed and written again (tomllib only reads; the project
carries no TOML writer), so every comment, blank line and key order the user chose stays byte
for byte: one line is inserted at the end of `[searches]` (the table is appended to the file
when there is none), or the line of a search of that name is replaced when the user agreed.
The result is read back with tomllib and must hold exactly the old searches plus the new one
and nothing else changed; a layout this cannot edit safely (the table written inline, a query
over several lines) is said, and the file is left alone.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from tui_mail.config import Config, parse_config
from tui_mail.errors import ConfigError
from tui_mail.setup.writer import toml_key, toml_string, write_config

# `[searches]` as a table header, spelt bare or quoted, with a comment after it or not.
_SEARCHES_HEADER = re.compile(
    r"""^[ \t]*\[[ \t]*(?:searches|"searches"|'searches')[ \t]*\][ \t]*(?:#.*)?$""")
_ANY_HEADER = re.compile(r"^[ \t]*\[")
_NOTHING = re.compile(r"^[ \t]*(?:#.*)?$")  # a blank or comment-only line


class SearchExists(ConfigError):
    """The file already holds a search of that name (saved again only when the user agrees)."""

    def __init__(self, path: Path, name: str) -> None:
        super().__init__(f"{path}: a saved search named {name!r} exists already")
        self.name = name


def search_line(name: str, query: str) -> str:
    """`name = "query"`, the name bare when TOML allows it, else quoted; both escaped."""
    return f"{toml_key(name)} = {toml_string(query)}"


def _loads(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def with_search(text: str, name: str, query: str, *, path: Path,
                replace: bool = False) -> str:
    """The config text `text` with the search `name` = `query` saved in `[searches]`.

    Raises SearchExists when the name is taken and not `replace`, ConfigError when the file
    cannot be edited without touching more than that one line (`path` names it)."""
    if not name.strip():
        raise ConfigError(f"{path}: a saved search needs a name")
    data = _loads(text, path)
    existing = data.get("searches")
    if existing is not None and not isinstance(existing, dict):
        raise ConfigError(f"{path}: key 'searches' is not a table; fix it before saving a search")
    searches: dict[str, Any] = dict(existing or {})
    if name in searches and not replace:
        raise SearchExists(path, name)
    newline = "\r\n" if "\r\n" in text else "\n"
    line = search_line(name, query) + newline
    lines = text.splitlines(keepends=True)
    header = next((i for i, row in enumerate(lines) if _SEARCHES_HEADER.match(row.rstrip("\r\n"))),
                  None)
    if header is None:
        if existing is not None:
            raise ConfigError(f"{path}: 'searches' is not written as a [searches] table; add"
                              f" the line {search_line(name, query)} to it by hand")
        ending = "" if not text or text.endswith(newline * 2) else \
            newline if text.endswith(("\n", "\r")) else newline * 2
        new_text = text + ending + "[searches]" + newline + line
    else:
        end = next((i for i in range(header + 1, len(lines)) if _ANY_HEADER.match(lines[i])),
                   len(lines))
        at = _line_of(lines, header + 1, end, name) if name in searches else None
        if name in searches and at is None:
            raise ConfigError(f"{path}: the search {name!r} is not on a line of its own in"
                              " [searches]; change it there by hand")
        if at is not None:
            lines[at] = line
        else:
            last = max((i for i in range(header, end) if not _NOTHING.match(lines[i])),
                       default=header)
            if not lines[last].endswith(("\n", "\r")):
                lines[last] += newline
            lines.insert(last + 1, line)
        new_text = "".join(lines)
    searches[name] = query
    _check(data, searches, _loads(new_text, path), path, name)
    return new_text


def _line_of(lines: list[str], start: int, end: int, name: str) -> int | None:
    """The line among `lines[start:end]` that defines `name` alone, on one line."""
    for i in range(start, end):
        try:
            alone = tomllib.loads(lines[i])
        except tomllib.TOMLDecodeError:
            continue
        if list(alone) == [name]:
            return i
    return None


def _check(before: dict[str, Any], searches: dict[str, Any], after: dict[str, Any],
           path: Path, name: str) -> None:
    """The new text must read as the old one with `searches` as the table, in that order."""
    rest_before = {k: v for k, v in before.items() if k != "searches"}
    rest_after = {k: v for k, v in after.items() if k != "searches"}
    table = after.get("searches")
    if rest_before != rest_after or not isinstance(table, dict) \
            or list(table.items()) != list(searches.items()):
        raise ConfigError(f"{path}: the search {name!r} could not be added without changing"
                          " something else in the file; add it to [searches] by hand")


def save_search(path: Path, name: str, query: str, *, replace: bool = False) -> Config:
    """Save the search in the config file at `path` (made when missing) and return the
    config read back. The new file is validated as a whole before it replaces the old one
    atomically: a query the search cannot read is never written."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    new_text = with_search(text, name, query, path=path, replace=replace)
    config = parse_config(new_text, path)
    write_config(path, new_text)
    return config
