"""Values the store takes and gives besides the domain types of `model.py`."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from tui_mail.model import Flags, Folder, FolderKind, FolderRole


@dataclass(frozen=True)
class NewMessage:
    """A message to cache: the whole `raw` message, or only `raw_headers` (body fetched later).

    `uid` is the server UID (IMAP); None for local, imported and POP3 messages, which are keyed
    by a hash of their bytes instead so that a resumed import never duplicates them.
    `gm_msgid` is Gmail's id of the message, the same in each label (folder) it is in.
    """

    uid: int | None
    flags: Flags = Flags()
    raw: bytes | None = None
    raw_headers: bytes | None = None
    size: int = 0
    internaldate: datetime | None = None
    gm_msgid: int | None = None


@dataclass(frozen=True)
class ListedFolder:
    """A folder as the server's LIST gave it this time (see `Store.apply_folder_list`)."""

    name: str
    role: FolderRole = FolderRole.NONE
    delimiter: str = "/"
    kind: FolderKind = FolderKind.PERSONAL
    prefix: str = ""
    mailboxid: str = ""


@dataclass(frozen=True)
class FolderListChanges:
    """What one LIST changed in the cache: folders `removed` (name, messages that left the
    cache with it), `renamed` (old name, new name; messages kept), `added` names and those
    `updated` (drawn differently: role, delimiter or namespace)."""

    removed: list[tuple[str, int]]
    renamed: list[tuple[str, str]]
    added: list[str]
    updated: list[str] = field(default_factory=list)  # role, delimiter or namespace changed
    held: list[str] = field(default_factory=list)  # left out, kept until the next LIST says

    def __bool__(self) -> bool:
        return bool(self.removed or self.renamed or self.added or self.updated or self.held)


class SortBy(enum.StrEnum):
    DATE = "date"
    SENDER = "sender"
    SUBJECT = "subject"


@dataclass(frozen=True)
class View:
    """What a message list shows: one folder, or every folder of a role (all inboxes).

    Build with `View.of(folder)` or `View.role(FolderRole.INBOX)`.
    """

    folder_id: int | None = None
    folder_role: FolderRole | None = None
    account: str | None = None
    sort: SortBy = SortBy.DATE
    descending: bool = True
    threaded: bool = False

    @classmethod
    def of(cls, folder: Folder, *, sort: SortBy = SortBy.DATE, descending: bool = True,
           threaded: bool = False) -> View:
        return cls(folder_id=folder.id, sort=sort, descending=descending, threaded=threaded)

    @classmethod
    def role(cls, role: FolderRole, account: str | None = None, *, sort: SortBy = SortBy.DATE,
             descending: bool = True, threaded: bool = False) -> View:
        return cls(folder_role=role, account=account, sort=sort, descending=descending,
                   threaded=threaded)


@dataclass(frozen=True)
class ThreadOrder:
    """A threaded view in order: row i is message `ids[i]` at indentation `depths[i]`;
    `starts` holds the first row of each thread, in order (a thread is named by that row's
    message id)."""

    ids: list[int]
    depths: list[int]
    starts: list[int]

    def visible(self, fold_all: bool, toggled: frozenset[int]) -> tuple[list[int], dict[int, int]]:
        """The rows shown when threads are folded: a thread is folded when `fold_all` and it is
        not in `toggled`, or the other way round; a folded thread shows its first row only.
        Returns the shown rows (indexes into `ids`) and, for each folded thread's first row,
        how many messages it hides."""
        rows = range(len(self.ids))
        if not self.starts or (not fold_all and not toggled):
            return list(rows), {}
        shown: list[int] = []
        hidden: dict[int, int] = {}
        ends = [*self.starts[1:], len(self.ids)]
        for start, end in zip(self.starts, ends, strict=True):
            folded = fold_all != (self.ids[start] in toggled)
            if folded:
                shown.append(start)
                if end - start > 1:
                    hidden[start] = end - start - 1
            else:
                shown.extend(rows[start:end])
        return shown, hidden

    def without(self, removed: set[int]) -> ThreadOrder:
        """The same order without these messages (moved or deleted here; the next read of
        the order re-threads what they leave behind)."""
        ids: list[int] = []
        depths: list[int] = []
        starts: list[int] = []
        ends = [*self.starts[1:], len(self.ids)]
        for start, end in zip(self.starts, ends, strict=True):
            kept = [row for row in range(start, end) if self.ids[row] not in removed]
            if kept:
                starts.append(len(ids))
                ids.extend(self.ids[row] for row in kept)
                depths.extend(self.depths[row] for row in kept)
        return ThreadOrder(ids, depths, starts)

    def thread_of(self, row: int) -> int:
        """The first row of the thread that row `row` belongs to."""
        import bisect

        return self.starts[bisect.bisect_right(self.starts, row) - 1]


class OutboxState(enum.StrEnum):
    """Where one outbox entry stands; see tui_mail.sync.outbox for when each is recorded."""

    QUEUED = "queued"
    SENDING = "sending"  # an SMTP session is under way; the end of DATA is not written yet
    COMMITTING = "committing"  # the end of DATA is (being) written; the server's answer is awaited
    ACCEPTED = "accepted"  # the server took it; the copy to Sent and the after-steps remain
    FAILED = "failed"  # will be retried at next_attempt_at
    HELD = "held"  # permanent failure, waits for the user
    UNSURE = "unsure"  # may have been sent (the answer was lost): the user sends it again or drops it


# An attempt is under way, or the message already went out: editing it (or sending it again)
# is not safe. Only the holder of the account's outbox lock writes sending/committing, so
# whoever takes the lock and finds a row in one of those knows that its owner died.
OUTBOX_UNDER_WAY = frozenset({OutboxState.SENDING, OutboxState.COMMITTING, OutboxState.ACCEPTED})


@dataclass(frozen=True)
class OutboxItem:
    """One outbox row. `origin_message_id`/`origin_kind` ('reply', 'forward' or '') name the
    message this one answers or forwards; `partial` marks the rest of a message that already
    reached its other recipients; `notified` says the after-acceptance callback has run."""

    id: int
    account: str
    raw: bytes
    mail_from: str
    rcpts: tuple[str, ...]
    message_id: str
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    origin_message_id: str = ""
    origin_kind: str = ""
    partial: bool = False
    notified: bool = False

    @property
    def not_saved(self) -> bool:
        """Sent, but its copy to the Sent folder failed; the copy waits for its retry."""
        return self.state == OutboxState.ACCEPTED and self.next_attempt_at is not None


class ActionState(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Action:
    """One entry of the offline action queue (kind: flag, move, copy, delete, expunge...)."""

    id: int
    account: str
    kind: str
    payload: dict[str, object]
    state: str
    error: str | None
    created_at: datetime


@dataclass(frozen=True)
class StoredDraft:
    """A draft kept in the cache."""

    account: str
    key: str
    raw: bytes
    updated_at: datetime


@dataclass(frozen=True)
class ImportResult:
    """What an import did: messages added, already cached (skipped), unreadable (failed)."""

    added: int
    skipped: int  # already in the cache (a re-run, or duplicates in the source)
    failed: int  # unreadable files
