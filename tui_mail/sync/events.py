"""What the sync side tells its caller. Plain dataclasses: the UI turns them into Textual messages.

Callbacks run on the sync worker thread; a UI must hop to its own thread (e.g. `app.call_from_thread`).
"""

from __future__ import annotations

import enum
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


class ErrorKind(enum.StrEnum):
    """What kind of failure put an account offline, where the way out differs for the user."""

    OTHER = "other"  # the server, the network, a password: retried, or `$` after a fix
    SIGN_IN = "sign-in"  # the OAuth2 sign-in was revoked, expired or never done: sign in again


@dataclass(frozen=True)
class ConnectionState:
    """Whether an account's server answers. Offline, `retry_in` says when the next try is
    (seconds; None: none is planned, e.g. a refused login waits for the user or the timer)
    and `kind` what the user can do about `error`."""

    account: str
    online: bool
    error: str = ""
    retry_in: float | None = None
    failures: int = 0  # tries in a row that found the server gone (a blink: 1)
    kind: ErrorKind = ErrorKind.OTHER


@dataclass(frozen=True)
class OutboxStatus:
    """How many messages wait in the outbox (to be sent or retried), how many are held for
    the user (refused, or possibly sent already by an interrupted attempt), and how many were
    sent but are not saved to Sent (their copy failed; only the copy is tried again)."""

    waiting: int
    held: int
    unsaved: int = 0


@dataclass(frozen=True)
class Notice:
    """Something the user should read once (a dropped action, a message sent, a warning).
    `level` is "information", "warning" or "error"."""

    account: str
    message: str
    level: str = "information"


@dataclass(frozen=True)
class MailArrived:
    """New mail in a folder that notifies (the account's `notify_folders`): messages that came
    since the folder's last sync (UIDs from its UIDNEXT then on), unread, and not already
    cached elsewhere in the account (a copy in Sent, the same message in a second folder).
    `count` of them, (sender, subject) of the newest few, newest first: a stranger's text,
    to be cleaned before it reaches a terminal or a command. `shown` names the folder as the
    folder pane does (inside the namespace: "Lists/dev", not "INBOX.Lists.dev").

    Never sent for a folder's first sync, nor after its cache was dropped and fetched again
    (the server's UIDVALIDITY changed): nothing there is news."""

    account: str
    folder: str
    shown: str
    count: int
    newest: tuple[tuple[str, str], ...]


SyncEvent = (FolderChanged | SyncProgress | SyncError | ConnectionState | OutboxStatus | Notice
             | MailArrived)
EventSink = Callable[[SyncEvent], None]


def ignore(event: SyncEvent) -> None:
    """The default sink."""
