"""A cache error met while handling a key or a message is said, and the interface goes on.

Textual ends a message pump whose handler raises (for the app's own pump: the whole
interface). A damaged, full or vanished cache makes reads and writes fail at any moment: the
user should be told what happened and what to do, and keep reading what can still be read.
Screens and the app use `SaysCacheErrors`; the work that writes runs in workers that catch
the error themselves (see `MessageActions`), so this is the net under what is left.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message

from tui_mail.errors import CacheError


class SaysCacheErrors:
    """Mixin for a Textual message pump (the app, a screen)."""

    async def _dispatch_message(self, message: Message) -> None:
        try:
            await super()._dispatch_message(message)  # type: ignore[misc]
        except CacheError as error:
            app: Any = getattr(self, "app", None)
            trouble = getattr(app, "cache_trouble", None)
            if trouble is None:
                raise
            trouble(error)
