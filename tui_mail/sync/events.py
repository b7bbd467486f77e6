"""What the sync side tells its caller. Plain dataclasses: the UI turns them into Textual messages.

Callbacks run on the sync worker thread; a UI must hop to its own thread (e.g. `app.call_from_thread`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FolderChanged:
    """The cache of this folder changed (new, changed or removed messages): re-query it."""

    account: str
    folder: str


@dataclass(frozen=True)
class SyncProgress:
    """`done` of `total` items of `phase` ("headers" or "bodies") are in the cache."""

    account: str
    folder: str
    done: int
    total: int
    phase: str = "headers"


@dataclass(frozen=True)
class SyncError:
    """A user-facing failure (the text names the server and, where any, its words)."""

    account: str
    message: str
    folder: str = ""


SyncEvent = FolderChanged | SyncProgress | SyncError
EventSink = Callable[[SyncEvent], None]


def ignore(event: SyncEvent) -> None:
    """The default sink."""
