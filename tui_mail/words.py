"""How a count is said in the messages tui-mail shows: "1 message", "3 messages"."""

from __future__ import annotations


def plural(count: int, word: str = "message") -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
