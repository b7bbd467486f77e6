"""The offline action queue: apply to the cache at once, remember, replay to the server later.

Every action is written to the `actions` table (SQLite, so it survives restarts) in the same
moment the cache is changed, then `replay()` sends pending actions to the server in order when
online. A refused action is marked failed with the server's words (shown to the user, never
dropped silently); a lost connection leaves the rest pending for the next replay.

Payloads name the server-side source (folder + UIDs as they were when the action was taken), so
a later local change to the cached rows does not change what is replayed. They also carry the
folder's UIDVALIDITY as the cache knew it (`uidvalidity`) and each message's Message-ID
(`message_ids`, parallel to `uids`): UIDs only mean something under one UIDVALIDITY, and when
the folder was recreated on the server meanwhile, replay finds the messages again by
Message-ID instead of acting on whatever now holds those UIDs (see `ActionQueue.replay`).
Entries queued before these fields existed replay by UID, as they always did.

Folder changes the user makes (create, rename, delete, (un)subscribe) are queued here too and
replayed in the same order (`tui_mail.sync.folder_actions`): a folder made offline exists on
the server before the messages moved into it get there.

One user action (e.g. "move these five messages") may queue several entries, one per source
folder; they share a `group` id, and each records how its cached rows were before (`before`:
row id, folder, UID, flag bits), so `undo_last()` can put the cache back and drop the entries
while none of them has reached the server yet.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from tui_mail.errors import ConnectError, ServerRefused, TuiMailError
from tui_mail.model import Account, Flags, FolderRole
from tui_mail.model import Protocol as MailProtocol
from tui_mail.remote.backend import FetchBackend, FolderMissing, MessagesGone, NotSupported
from tui_mail.store.db import Store
from tui_mail.sync.folder_actions import FOLDER_KINDS, apply_on_server, changed_by, put_back
from tui_mail.sync.storeio import FolderGroup, StoreIO
from tui_mail.words import plural

SEEN = "\\Seen"
FLAGGED = "\\Flagged"
ANSWERED = "\\Answered"
FORWARDED = "$Forwarded"

# What a flag change is called in a notice: (when set, when cleared).
_FLAG_WORDS = {
    SEEN: ("mark as read", "mark as unread"),
    FLAGGED: ("flag", "unflag"),
    ANSWERED: ("mark as answered", "unmark as answered"),
    FORWARDED: ("mark as forwarded", "unmark as forwarded"),
}


@dataclass
class ReplayResult:
    """What one `replay()` did.

    `errors` holds a user-facing text for each action the server refused or that waits for a
    connection, without the account name (callers put it in front). `dropped` holds the
    notices, account name first, of messages left out because their folder was recreated on
    the server and they could not be found again: nothing went wrong on the server, but what
    the user asked for did not (all) happen, so a caller shows them as warnings. The two lists
    never repeat each other: a caller shows both.
    """

    done: int = 0
    failed: int = 0
    pending: int = 0  # left for later (connection lost)
    errors: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # folders a refused folder change put back


RowBefore = tuple[int, str, int | None, Flags]  # a cached row as an action found it


def rows_before(recorded: Iterable[Sequence[Any]]) -> list[RowBefore]:
    """The rows an entry recorded before it changed them ([id, folder, UID, flag bits] each,
    as JSON keeps them): what its undo, or its refusal by the server, puts back."""
    return [(int(row_id), str(folder), None if uid is None else int(uid),
             Flags.from_bits(int(bits)))
            for row_id, folder, uid, bits in recorded]


@runtime_checkable
class FindsMessageIds(Protocol):
    """A backend that can look a message up by Message-ID (IMAP SEARCH HEADER)."""

    def find_message_id(self, folder: str, message_id: str) -> list[int]: ...


@dataclass
class Resolved:
    """The UIDs a queued entry acts on now, and the messages left out (see `replay`)."""

    uids: list[int]
    recreated: bool = False  # the folder's UIDVALIDITY is not the one recorded at enqueue
    gone: int = 0  # had a Message-ID, not found in the recreated folder
    without_id: int = 0  # had no Message-ID to look for

    @property
    def left_out(self) -> int:
        return self.gone + self.without_id


class Queued(enum.StrEnum):
    """What an entry of the queue asks of the server (the `kind` it is stored with). Folder
    changes have their own (`folder_actions.FOLDER_KINDS`)."""

    FLAGS = "flags"  # set or clear one flag: {"flag", "add"}
    MOVE = "move"  # to "target" ("create": make it first; "why": "delete" for a delete)
    COPY = "copy"  # to "target"
    EXPUNGE = "expunge"  # remove for good (a delete in Trash)


class UndoOutcome(enum.Enum):
    UNDONE = "undone"
    NOTHING = "nothing"  # no pending action (or none of that group)
    REACHED_SERVER = "reached server"  # part of the group was already replayed


class ActionQueue:
    """User actions on cached messages (by cache row id) for one account.

    Each action is defined once, here: how it changes the cache, and what it queues for the
    server. Where the entries go depends on the account. An IMAP account's are written to the
    `actions` table and replayed to its server. An account whose server keeps no flags or
    folders (POP3), or that has none (the demo, a cache opened without a config: `account` is
    then just its name), has the same cache changes, and the rows as they were before are kept
    in `before` alone, for the caller's undo.

    Each action method returns the group id of what it queued (for `undo_last`), or None when
    nothing can be taken back (only rows with no server copy yet were changed, or a message
    was removed for good).
    """

    def __init__(self, store: Store, account: Account | str) -> None:
        if isinstance(account, str):
            self.name, self.folders, self.server = account, {}, False
        else:
            self.name, self.folders = account.name, dict(account.folders)
            self.server = account.incoming.protocol is MailProtocol.IMAP
        self.io = StoreIO(store, self.name)
        self.before: list[RowBefore] = []  # no server: the changed rows as they were
        self._group: str | None = None
        self._queued = False

    # -- what the UI calls ------------------------------------------------------------------

    def mark_read(self, ids: Sequence[int], read: bool = True) -> str | None:
        return self._flag(ids, SEEN, read, "seen")

    def mark_unread(self, ids: Sequence[int]) -> str | None:
        return self.mark_read(ids, False)

    def flag(self, ids: Sequence[int], flagged: bool = True) -> str | None:
        return self._flag(ids, FLAGGED, flagged, "flagged")

    def unflag(self, ids: Sequence[int]) -> str | None:
        return self.flag(ids, False)

    def mark_answered(self, ids: Sequence[int], answered: bool = True) -> str | None:
        """\\Answered: the app calls this once the SMTP server has accepted a reply."""
        return self._flag(ids, ANSWERED, answered, "answered")

    def mark_forwarded(self, ids: Sequence[int], forwarded: bool = True) -> str | None:
        """The $Forwarded keyword: the app calls this once a forward has been accepted."""
        return self._flag(ids, FORWARDED, forwarded, "forwarded")

    def rows_with_message_id(self, message_id: str) -> list[int]:
        """The cached row ids of this account holding the message `message_id` (with or
        without its angle brackets), in every folder: what to mark after a reply to it."""
        return self.io.rows_with_message_id(message_id)

    def move(self, ids: Sequence[int], target: str, *, create: bool = False) -> str | None:
        """Move to `target`; with `create`, the server makes the folder first if it has none
        (a role folder such as Archive that the account does not have yet)."""
        self._begin()
        for group in self.io.group_by_folder(ids):
            if group.folder == target:
                continue
            extra: dict[str, object] = {"target": target, "rows": group.rows}
            if create:
                extra["create"] = True
            self._enqueue(Queued.MOVE, group, extra)
            self.io.move_local(group.rows, target)
        return self._end()

    def copy(self, ids: Sequence[int], target: str) -> str | None:
        """A copy is made by the server (the next sync of `target` brings it): an account
        without one cannot copy (a second cached row would be a message no server has)."""
        if not self.server:
            raise TuiMailError("copying needs a mail server; this account has none")
        self._begin()
        for group in self.io.group_by_folder(ids):
            self._enqueue(Queued.COPY, group, {"target": target})
        return self._end()

    def archive(self, ids: Sequence[int]) -> str | None:
        """To the Archive folder, made on the server if the account has none yet. On Gmail,
        to All Mail (the \\All folder): a MOVE there from INBOX is how Gmail archives (the
        Inbox label goes), from another label it removes that label; no folder is made."""
        target = self.folder_of_role(FolderRole.ARCHIVE, "Archive")
        create = self.io.store.folder(self.name, target) is None
        if create:
            self.io.make_own_folder(target, FolderRole.ARCHIVE)
        return self.move(ids, target, create=create)

    def delete(self, ids: Sequence[int]) -> str | None:
        """To Trash; messages already in Trash are removed for good (that cannot be undone).
        On Gmail, Trash is the \\Trash folder ([Gmail]/Trash), never a label named "Trash"."""
        trash = self.folder_of_role(FolderRole.TRASH, "Trash")
        create = self.io.store.folder(self.name, trash) is None
        if create:
            self.io.make_own_folder(trash, FolderRole.TRASH)
        self._begin()
        for group in self.io.group_by_folder(ids):
            if group.folder == trash:
                self._enqueue(Queued.EXPUNGE, group, {}, before=False)
                self.io.remove_rows(group.rows)
            else:
                extra: dict[str, object] = {"target": trash, "rows": group.rows,
                                            "why": "delete"}
                if create:
                    extra["create"] = True
                self._enqueue(Queued.MOVE, group, extra)
                self.io.move_local(group.rows, trash)
        return self._end()

    def folder_of_role(self, role: FolderRole, fallback: str) -> str:
        """The configured folder, else the cached one with the role, else `fallback` inside
        the personal namespace ("INBOX.Trash" on Courier), to be created on the server.

        Not on Gmail: a folder made there is a new label, and archiving or deleting into a
        label is neither (the message keeps its Inbox label elsewhere or stays out of Trash).
        Gmail flags its own All Mail and Trash; without them known, this raises TuiMailError."""
        configured = self.folders.get(role) or self.io.folder_with_role(role)
        if configured:
            return configured
        if self.io.is_gmail():
            raise TuiMailError(gmail_folder_missing(role))
        return self.io.personal_folder_name(fallback)

    def _flag(self, ids: Sequence[int], name: str, on: bool, attr: str) -> str | None:
        self._begin()
        for group in self.io.group_by_folder(ids):
            self._enqueue(Queued.FLAGS, group, {"flag": name, "add": on})
            self.io.set_flag_local(group.rows, attr, on)
        return self._end()

    # -- groups and undo --------------------------------------------------------------------

    def _begin(self) -> None:
        self._group = uuid.uuid4().hex
        self._queued = False

    def _end(self) -> str | None:
        group, queued = self._group, self._queued
        self._group, self._queued = None, False
        return group if queued else None

    def _enqueue(
        self, kind: Queued, group: FolderGroup, extra: Mapping[str, object], *, before: bool = True
    ) -> None:
        """Queue one entry of the current group for the messages of `group` that have a
        server copy, naming them by UID under the folder's UIDVALIDITY and by Message-ID.
        With `before`, the rows are recorded as they are now (for `undo_last`). Without a
        server, only that record is kept (`self.before`)."""
        if self.server and not group.uids:
            return
        rows = []
        for row_id in group.rows if before else ():
            row = self.io.store.message_row(row_id)
            if row is not None:
                rows.append([row.id, row.folder, row.uid, row.flags.to_bits()])
        if not self.server:
            self.before += rows_before(rows)
            self._queued = self._queued or bool(rows)
            return
        payload: dict[str, object] = {
            "folder": group.folder,
            "uids": group.uids,
            "message_ids": group.message_ids,
            **extra,
            "group": self._group,
            "before": rows,
        }
        uidvalidity = self.io.sync_state(group.folder).uidvalidity
        if uidvalidity:
            payload["uidvalidity"] = uidvalidity
        self.io.enqueue(kind, payload)
        self._queued = True

    def undo_last(self, group: str | None = None) -> UndoOutcome:
        """Undo the newest pending action of this account (or the group `group`): restore the
        cached rows it changed and drop its queue entries. Refused when part of the group was
        already sent to the server (REACHED_SERVER) or nothing is pending (NOTHING)."""
        pending = self.io.pending_actions()
        if group is None:
            if not pending:
                return UndoOutcome.NOTHING
            group = pending[-1].payload.get("group")
            if group is None:
                return UndoOutcome.NOTHING
        entries = [a for a in pending if a.payload.get("group") == group]
        sent = [a for a in self.io.store.queues.actions(self.name, ("done", "failed"))
                if a.payload.get("group") == group]
        if sent:
            return UndoOutcome.REACHED_SERVER
        if not entries:
            return UndoOutcome.NOTHING
        restore = [row for entry in entries for row in rows_before(entry.payload.get("before", []))]
        self.io.store.restore_local(self.name, restore)
        for entry in entries:
            self.io.store.queues.remove_action(entry.id)
        return UndoOutcome.UNDONE

    # -- replay -----------------------------------------------------------------------------

    def pending(self) -> list[object]:
        return list(self.io.pending_actions())

    def failed(self) -> list[object]:
        return list(self.io.failed_actions())

    def replay(self, engine: object) -> ReplayResult:
        """Send pending actions in order through `engine.backend` (a `SyncEngine`, or anything
        with a `backend` attribute). Stops at a lost connection, leaving the rest pending.

        Before an entry that recorded its folder's UIDVALIDITY is sent, the folder's current
        one is asked of the server (STATUS, once per folder per replay). If it changed, the
        folder was recreated and the old UIDs may name other messages: each message is found
        again by its Message-ID and the action goes to the UIDs found. Messages not found, or
        without a Message-ID, are left out, never acted on by their old UID.

        When nothing is left, the entry is marked failed with the notice: the failed list is
        where a queued action that did not happen stays on record, and retrying it is safe
        (it is looked up by Message-ID again). When only some messages were left out, the
        entry is done (it did reach the server) and the notice is reported in the result.
        Either way the notice is in `ReplayResult.dropped`, for the caller to show.
        """
        result = ReplayResult()
        actions = list(self.io.pending_actions())
        validity: dict[str, int] = {}  # folder -> its UIDVALIDITY on the server, this run
        for index, action in enumerate(actions):
            resolved = Resolved([])
            try:
                backend: FetchBackend = engine.backend  # type: ignore[attr-defined]
                resolved = self._resolve(backend, action.payload, validity)
                if resolved.recreated and not resolved.uids:
                    self._drop_all(action.id, action.kind, action.payload, resolved, result)
                    continue
                self._apply(backend, action.kind, {**action.payload, "uids": resolved.uids})
            except ConnectError as exc:
                result.pending = len(actions) - index
                result.errors.append(f"offline actions kept for later: {exc}")
                drop = getattr(engine, "_drop", None)
                if drop:
                    drop()
                return result
            except MessagesGone as exc:
                if action.kind == Queued.EXPUNGE or action.payload.get("why") == "delete":
                    self.io.action_done(action.id)  # already gone: what was asked is true
                    result.done += 1
                else:
                    self._failed(action.id, str(exc), result, action.payload)
            except (FolderMissing, NotSupported, ServerRefused) as exc:
                self._failed(action.id, str(exc), result, action.payload, action.kind)
            else:
                if action.kind == Queued.MOVE:
                    # The locally moved rows have no UID in the target; the next sync of the
                    # target brings the server's copy, so drop them to avoid a duplicate.
                    self.io.remove_placeholders(action.payload.get("rows", ()))
                self.io.action_done(action.id)
                result.done += 1
            if resolved.left_out:  # sent for some messages (or refused): say who was left out
                self._notice(self._left_out_notice(action.kind, action.payload, resolved),
                             result)
        return result

    def _failed(self, action_id: int, message: str, result: ReplayResult,
                payload: Mapping[str, object] | None = None, kind: str = "") -> None:
        """The server refused the action: it stays on record as failed, and the cached rows
        it changed are put back as they were (a message moved into a folder the server does
        not have would otherwise vanish from the cache's view of its real folder, since
        nothing on the server changed that a sync would notice). A folder change is taken
        back the same way (`folder_actions.put_back`)."""
        if payload is not None and kind in FOLDER_KINDS:
            message += put_back(self.io.store, self.name, kind, payload)
            result.changed += changed_by(kind, payload)
            payload = None
        self.io.action_failed(action_id, message)
        if payload is not None:
            restore = rows_before(payload.get("before", []))  # type: ignore[arg-type]
            if restore:
                self.io.store.restore_local(self.name, restore)
                message += "; the message is shown as it was before"
        result.failed += 1
        result.errors.append(message)

    def _notice(self, message: str, result: ReplayResult) -> None:
        result.dropped.append(f"{self.name}: {message}")

    @staticmethod
    def _resolve(
        backend: FetchBackend, payload: Mapping[str, object], validity: dict[str, int]
    ) -> Resolved:
        """The UIDs to act on: the queued ones while the folder's UIDVALIDITY is the one
        recorded at enqueue (or none was recorded), else the messages found again by
        Message-ID. Every copy found of a Message-ID is acted on: they are the same message."""
        uids = [int(u) for u in payload.get("uids", ())]  # type: ignore[attr-defined]
        recorded = int(payload.get("uidvalidity") or 0)  # type: ignore[call-overload]
        if not recorded or not uids:
            return Resolved(uids)
        folder = str(payload["folder"])
        if folder not in validity:
            validity[folder] = backend.status(folder).uidvalidity
        if validity[folder] in (0, recorded):  # 0: the server did not say; nothing to compare
            return Resolved(uids)
        message_ids = [str(m) for m in payload.get("message_ids", ())]  # type: ignore[attr-defined]
        message_ids += [""] * (len(uids) - len(message_ids))
        found: list[int] = []
        gone = without_id = 0
        for message_id in message_ids[: len(uids)]:
            if not message_id:
                without_id += 1
                continue
            hits = (backend.find_message_id(folder, message_id)
                    if isinstance(backend, FindsMessageIds) else [])
            if hits:
                found.extend(uid for uid in hits if uid not in found)
            else:
                gone += 1
        return Resolved(found, recreated=True, gone=gone, without_id=without_id)

    def _drop_all(self, action_id: int, kind: str, payload: Mapping[str, object],
                  resolved: Resolved, result: ReplayResult) -> None:
        """Nothing of a queued entry is left in its recreated folder: record it as failed
        with the notice, and drop the local placeholders of a move (they stand for copies
        the server will never have)."""
        message = self._left_out_notice(kind, payload, resolved)
        self.io.action_failed(action_id, message)
        result.failed += 1
        self._notice(message, result)
        if kind == Queued.MOVE:
            self.io.remove_placeholders(payload.get("rows", ()))  # type: ignore[arg-type]

    @staticmethod
    def _left_out_notice(kind: str, payload: Mapping[str, object], resolved: Resolved) -> str:
        """E.g. "a queued delete of 2 messages in INBOX was not sent: the folder was recreated
        on the server and the messages are no longer there"."""
        what = _describe(kind, payload)
        folder = str(payload["folder"])
        total = len(payload["uids"])  # type: ignore[arg-type]
        why = _why_left_out(resolved)
        if resolved.left_out >= total:
            return (f"a queued {what} of {plural(total)} in {folder} was not sent: "
                    f"the folder was recreated on the server and {why}")
        verb = "was" if resolved.left_out == 1 else "were"
        return (f"{resolved.left_out} of the {total} messages of a queued {what} in {folder} "
                f"{verb} left out: the folder was recreated on the server and {why}")

    @staticmethod
    def _apply(backend: FetchBackend, kind: str, payload: dict[str, object]) -> None:
        if kind in FOLDER_KINDS:
            apply_on_server(backend, kind, payload)
            return
        folder = str(payload["folder"])
        uids = [int(u) for u in payload["uids"]]  # type: ignore[attr-defined]
        if not uids:
            return
        if kind == Queued.FLAGS:
            backend.set_flags(folder, uids, [str(payload["flag"])], bool(payload["add"]))
        elif kind == Queued.MOVE:
            if payload.get("create"):
                ensure = getattr(backend, "ensure_folder", None)
                if ensure is not None:
                    ensure(str(payload["target"]))
            backend.move(folder, uids, str(payload["target"]))
        elif kind == Queued.COPY:
            backend.copy(folder, uids, str(payload["target"]))
        elif kind == Queued.EXPUNGE:
            backend.delete(folder, uids)
        else:
            raise NotSupported(f"unknown queued action {kind!r}")



def gmail_folder_missing(role: FolderRole) -> str:
    """Why a Gmail account cannot archive or delete: its All Mail or Trash is not known."""
    name = "All Mail" if role is FolderRole.ARCHIVE else "Trash (or Bin)"
    what = "archive" if role is FolderRole.ARCHIVE else "delete"
    return (f"this Gmail account has no {name} folder in the cache, so there is nowhere to "
            f"{what} to (no label is made for it): sync the account, and check that {name} "
            "has \"Show in IMAP\" ticked in Gmail's settings (Labels), or set "
            f"[accounts.folders] {role.value} in the config")


def _describe(kind: str, payload: Mapping[str, object]) -> str:
    """A queued entry's action in words: "delete", "move to Archive", "mark as read"..."""
    if kind == Queued.FLAGS:
        flag, add = str(payload.get("flag")), bool(payload.get("add"))
        words = _FLAG_WORDS.get(flag)
        if words is not None:
            return words[0] if add else words[1]
        return f"{'setting' if add else 'clearing'} of {flag}"
    if kind == Queued.MOVE:
        if payload.get("why") == "delete":
            return "delete"
        return f"move to {payload.get('target')}"
    if kind == Queued.COPY:
        return f"copy to {payload.get('target')}"
    if kind == Queued.EXPUNGE:
        return "permanent delete"
    return kind


def _why_left_out(resolved: Resolved) -> str:
    """Why the left-out messages of `resolved` were left out, in words."""
    gone, without_id = resolved.gone, resolved.without_id
    if not without_id:
        return "the message is no longer there" if gone == 1 else \
            "the messages are no longer there"
    no_id = ("it has no Message-ID to find it by" if without_id == 1
             else "they have no Message-ID to find them by")
    if not gone:
        return ("the message could not be looked for: " if without_id == 1
                else "the messages could not be looked for: ") + no_id
    return (f"{plural(gone)} {'is' if gone == 1 else 'are'} no longer there, "
            f"{without_id} could not be looked for (no Message-ID)")
