"""Completion for the composer's fields: addresses, and file paths.

Both are Textual `Suggester`s: the Input shows the rest of the suggestion dimmed and the right
arrow (or End) accepts it. The address lookup runs in a thread with its own read-only cache
connection, so typing never waits for the database. An address field also gets a list of
choices (the cache's addresses and the user's address books: `AddressChoices`, filled by the
composer), which its arrow keys, Enter and Escape work while it shows.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

from textual import events
from textual.content import Content
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from tui_mail.mail.sanitize import sanitize_line
from tui_mail.model import Address

AddressLookup = Callable[[str, int], list[Address]]


def last_item(value: str) -> tuple[str, str]:
    """Split an address list being typed into (everything before the last item, last item)."""
    cut = max(value.rfind(","), value.rfind(";"))
    if cut < 0:
        return "", value.lstrip()
    head, tail = value[: cut + 1], value[cut + 1 :]
    stripped = tail.lstrip()
    return head + tail[: len(tail) - len(stripped)], stripped


def complete_address(typed: str, candidates: list[Address]) -> str | None:
    """The best completion of `typed` (a name or address prefix), as the cache spells it."""
    folded = typed.casefold()
    for address in candidates:
        if address.name and address.name.casefold().startswith(folded):
            full = str(address)
        elif address.email.casefold().startswith(folded):
            full = address.email
        else:
            continue
        return full
    return None


def with_choice(value: str, chosen: Address) -> str:
    """The field's `value` with its last item (the one being typed) replaced by `chosen`,
    ready for the next address."""
    head, _typed = last_item(value)
    return f"{head}{chosen}, "


class AddressInput(Input):
    """A To, Cc or Bcc field. While its choices show (`choosing`, set by the composer), the
    arrow keys, Enter and Escape are for them: they go to the composer as `ChoiceKey`, not to
    the field (Enter would move on) or the screen (Escape would close the composer)."""

    CHOICE_KEYS = frozenset({"down", "up", "enter", "escape"})

    class ChoiceKey(Message):
        def __init__(self, field: AddressInput, key: str) -> None:
            super().__init__()
            self.field = field
            self.key = key

    choosing = False

    async def _on_key(self, event: events.Key) -> None:
        if self.choosing and event.key in self.CHOICE_KEYS:
            event.stop()
            event.prevent_default()  # not Input's own handling either
            self.post_message(self.ChoiceKey(self, event.key))


class AddressChoices(OptionList, can_focus=False):
    """The addresses matching what is typed in an address field, to choose from: a name and
    address per line, as plain text (they come from mail and address books)."""

    DEFAULT_CSS = """
    AddressChoices {
        height: auto; max-height: 8; border: none; padding: 0 0 0 10;
        background: $surface;
    }
    """

    def __init__(self) -> None:
        super().__init__(id="address-choices")
        self.addresses: list[Address] = []
        self.display = False

    def show(self, addresses: list[Address]) -> None:
        self.addresses = list(addresses)
        self.clear_options()
        self.add_options([Option(Content(sanitize_line(str(a)))) for a in self.addresses])
        self.highlighted = 0 if self.addresses else None
        self.display = bool(self.addresses)

    def hide(self) -> None:
        self.display = False
        self.addresses = []
        self.clear_options()

    def move(self, step: int) -> None:
        if self.addresses:
            current = self.highlighted if self.highlighted is not None else -step
            self.highlighted = (current + step) % len(self.addresses)

    @property
    def chosen(self) -> Address | None:
        index = self.highlighted
        return self.addresses[index] if index is not None and index < len(self.addresses) \
            else None


class AddressSuggester(Suggester):
    """Completes the last address of a To/Cc/Bcc list from the cache's senders."""

    def __init__(self, lookup: AddressLookup, *, limit: int = 10) -> None:
        super().__init__(use_cache=True, case_sensitive=True)
        self._lookup = lookup
        self._limit = limit

    async def get_suggestion(self, value: str) -> str | None:
        head, typed = last_item(value)
        if len(typed) < 2 or "<" in typed:
            return None
        try:
            found = await asyncio.to_thread(self._lookup, typed, self._limit)
        except Exception:  # a locked or missing cache only means no suggestion
            return None
        completion = complete_address(typed, found)
        return head + completion if completion and completion != typed else None


def complete_path(value: str) -> str | None:
    """The first entry of the directory being typed whose name starts with what was typed;
    a directory gets a trailing slash so the next name can be typed at once."""
    if not value:
        return None
    expanded = Path(os.path.expanduser(value))
    directory, stem = (expanded, "") if value.endswith(os.sep) else (expanded.parent, expanded.name)
    try:
        names = sorted(entry.name for entry in os.scandir(directory)
                       if entry.name.startswith(stem) and (stem.startswith(".") or
                                                         not entry.name.startswith(".")))
    except OSError:
        return None
    for name in names:
        rest = name[len(stem):]
        suffix = os.sep if (directory / name).is_dir() else ""
        if rest or suffix:
            return value + rest + suffix
    return None


class PathSuggester(Suggester):
    """Completes a file path (`~` is understood)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return await asyncio.to_thread(complete_path, value)
