"""The one interface the sync engine talks to: a mail source that has folders of numbered messages.

IMAP implements it. The engine has one code path: ask `changes_since`, fetch the new summaries
newest first, apply flags and vanished UIDs, save the new state.

POP3 does not go through this interface: its mail is keyed by UIDL strings, and delete-after-
download needs whole messages committed to the cache before DELE, which a headers-first engine
cannot promise. `tui_mail.sync.pop3_sync` fetches POP3 accounts into a local INBOX instead.

Every method is blocking and may take seconds: call it from a worker thread, never the UI thread.
A backend instance is not thread-safe; use one per thread.

Failures are user-facing errors from `tui_mail.errors`: `ConnectError` when the connection is
lost or times out (the caller may reconnect), `AuthError` at login, `ServerRefused` (or one of the
subclasses below) when the server answers NO/BAD; its text carries the server's words.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from tui_mail.errors import ServerRefused
from tui_mail.model import Flags, FolderKind, FolderRole, FolderSyncState

# The header fields a summary needs (list columns, threading, attachment hint), and those
# Autocrypt learns a correspondent's key from (mail.autocrypt) before any body is downloaded.
SUMMARY_HEADER_FIELDS: tuple[str, ...] = (
    "DATE",
    "FROM",
    "TO",
    "CC",
    "SUBJECT",
    "MESSAGE-ID",
    "IN-REPLY-TO",
    "REFERENCES",
    "CONTENT-TYPE",
    "AUTOCRYPT",
    "AUTO-SUBMITTED",
)


class FolderMissing(ServerRefused):
    """The folder named in a command does not exist (any more) on the server."""


class MessagesGone(ServerRefused):
    """None of the messages a command names exist (any more) on the server."""


class NotSupported(ServerRefused):
    """The backend cannot do this at all (e.g. folders on POP3)."""


@dataclass(frozen=True)
class Namespace:
    """One IMAP namespace (RFC 2342): names starting with `prefix`, parts split by `delimiter`."""

    prefix: str = ""
    delimiter: str = "/"


@dataclass(frozen=True)
class Namespaces:
    """The server's NAMESPACE answer: where the user's own folders are named, and which names
    belong to other users or to everyone.

    Dovecot as usually run: personal ("", "/") only. Courier: personal ("INBOX.", "."). Cyrus
    with altnamespace: personal (""), other users ("Other Users/"), shared ("Shared Folders/");
    without it: personal ("INBOX."), other users ("user."), shared ("").
    """

    personal: tuple[Namespace, ...] = (Namespace(),)
    other_users: tuple[Namespace, ...] = ()
    shared: tuple[Namespace, ...] = ()

    @property
    def own(self) -> Namespace:
        """The personal namespace new folders are made in (the first one the server lists)."""
        return self.personal[0] if self.personal else Namespace()

    def folder_name(self, *parts: str) -> str:
        """The server name of a new personal folder: ("Sent",) -> "INBOX.Sent" on Courier."""
        own = self.own
        return own.prefix + (own.delimiter or "/").join(parts)

    def classify(self, name: str) -> tuple[FolderKind, str]:
        """Whose folder `name` is, and the prefix of the namespace it is in (the longest that
        matches; "INBOX" is always the user's own). A name matching no namespace is taken as
        personal: a server without NAMESPACE has only the user's folders."""
        if name.upper() == "INBOX":
            return FolderKind.PERSONAL, ""
        best: tuple[int, FolderKind, str] | None = None
        for kind, spaces in ((FolderKind.PERSONAL, self.personal),
                             (FolderKind.OTHER_USERS, self.other_users),
                             (FolderKind.SHARED, self.shared)):
            for space in spaces:
                prefix = space.prefix
                bare = prefix[: -len(space.delimiter)] if space.delimiter and \
                    prefix.endswith(space.delimiter) else prefix
                # "Other Users" itself (the container) belongs to its namespace too.
                matches = name.startswith(prefix) or bool(bare and name == bare)
                if matches and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), kind, prefix)
        if best is None:
            return FolderKind.PERSONAL, ""
        return best[1], best[2]


@dataclass(frozen=True)
class RemoteFolder:
    """A folder as the server lists it.

    `kind` and `prefix` say which namespace it is in; `mailboxid` is the server's permanent id
    for it (RFC 8474 OBJECTID), which survives a rename, or "" when the server has none.
    """

    name: str
    delimiter: str = "/"
    role: FolderRole = FolderRole.NONE
    selectable: bool = True
    kind: FolderKind = FolderKind.PERSONAL
    prefix: str = ""
    mailboxid: str = ""


@dataclass(frozen=True)
class FolderStatus:
    """Cheap counters (IMAP STATUS) used to decide whether a folder needs a sync at all."""

    messages: int
    unseen: int
    uidnext: int
    uidvalidity: int
    highestmodseq: int = 0


class KnownUids(Protocol):
    """The UIDs the cache holds for one folder, looked up only as far as a backend needs."""

    def __bool__(self) -> bool:
        """Whether the cache holds any message of the folder with a UID."""
        ...

    def subset(self, uids: Iterable[int]) -> set[int]:
        """Those of `uids` the cache holds."""
        ...

    def all(self) -> set[int]:
        """Every UID the cache holds (costs a read of the whole folder)."""
        ...


@dataclass
class FolderChanges:
    """What happened in a folder since its `FolderSyncState` was saved.

    `reset` means UIDVALIDITY changed (or the cache knew nothing): the engine drops the cached
    folder and treats every UID in `new_uids` as new. `flags` holds the server flags of messages
    the cache already knows that may have changed (with CONDSTORE only the changed ones; without
    it all of them, and the engine compares). `state` is to be saved once everything is applied.
    """

    state: FolderSyncState
    reset: bool = False
    new_uids: list[int] = field(default_factory=list)  # ascending
    flags: dict[int, Flags] = field(default_factory=dict)
    vanished: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class RemoteSummary:
    """What the list needs of one message: the raw summary header fields, flags, size, date.

    `gm_msgid` is Gmail's X-GM-MSGID, the same for the message in every label (folder) it
    shows up in; None from other servers."""

    uid: int
    flags: Flags
    size: int
    internaldate: datetime | None
    header: bytes
    gm_msgid: int | None = None


@dataclass(frozen=True)
class RemoteMessage:
    """A whole message with what its list row needs besides the bytes (`fetch_whole`)."""

    uid: int
    flags: Flags
    size: int
    internaldate: datetime | None
    raw: bytes


@dataclass(frozen=True)
class FlagUpdate:
    """A message's flags as the server now has them, told in the middle of `fetch_whole` (for
    a message already handed on, or one not asked for): the caller applies them to its cache
    if it holds the message."""

    uid: int
    flags: Flags


@runtime_checkable
class FetchBackend(Protocol):
    """A connected, logged-in mail source. See the module docstring for the rules."""

    @property
    def has_folders(self) -> bool:
        """False for POP3: only "INBOX", no move/copy/append/flags on the server."""
        ...

    def list_folders(self, known_ids: Mapping[str, str] | None = None) -> list[RemoteFolder]:
        """Every folder; `known_ids` (name -> MAILBOXID the cache has) spares asking again."""
        ...

    def status(self, folder: str) -> FolderStatus: ...

    def changes_since(
        self, folder: str, state: FolderSyncState, known: KnownUids
    ) -> FolderChanges:
        """Compare the server with what the cache knows (`state`, and the UIDs it holds).

        With QRESYNC only the UIDs the server names are looked up in `known`, so a check with
        no news costs the same in a folder of any size."""
        ...

    def fetch_summaries(
        self, folder: str, uids: Sequence[int], batch: int = 1000
    ) -> Iterator[list[RemoteSummary]]:
        """Summaries in batches, in the order of `uids` (pass newest first for the list)."""
        ...

    def fetch_bodies(self, folder: str, uids: Sequence[int],
                     agreed_size: int = 0) -> Iterator[tuple[int, bytes]]:
        """Whole messages, without marking them read (\\Seen is never set by fetching).
        `agreed_size`: the listed size of a message the user chose to download, which may be
        over the account's usual limit on what is accepted."""
        ...

    def set_flags(self, folder: str, uids: Sequence[int], flags: Iterable[str], add: bool) -> None:
        """Add or remove IMAP flags (e.g. "\\Seen", "\\Flagged")."""
        ...

    def copy(self, folder: str, uids: Sequence[int], target: str) -> None: ...

    def move(self, folder: str, uids: Sequence[int], target: str) -> None: ...

    def delete(self, folder: str, uids: Sequence[int]) -> None:
        """Remove permanently (\\Deleted + UID EXPUNGE of only these UIDs; DELE on POP3)."""
        ...

    def append(
        self, folder: str, raw: bytes, flags: Iterable[str] = (), when: datetime | None = None
    ) -> int | None:
        """Store a message; returns its UID when the server says (APPENDUID), else None."""
        ...

    def close(self) -> None:
        """Log out and close; never raises."""
        ...


def abort_backend(backend: object) -> None:
    """Shut down `backend`'s connection from any thread, if it can be (IMAP can): what a
    watchdog calls when a fetch is stuck on a stalled server."""
    abort = getattr(backend, "abort", None)
    if callable(abort):
        with contextlib.suppress(Exception):
            abort()
