"""The offline action queue: apply to the cache at once, remember, replay to the server later.

Every action is written to the `actions` table (SQLite, so it survives restarts) in the same
moment the cache is changed, then `replay()` sends pending actions to the server in order when
online. A refused action is marked failed with the server's words (shown to the user, never
dropped silently); a lost connection leaves the rest pending for the next replay.

Payloads name the server-side source (folder + UIDs as they were when the action was taken), so
a later local change to the cached rows does not change what is replayed.

One user action (e.g. "move these five messages") may queue several entries, one per source
folder; they share a `group` id, and each records how its cached rows were before (`before`:
row id, folder, UID, flag bits), so `undo_last()` can put the cache back and drop the entries
while none of them has reached the server yet.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from tui_mail.errors import ConnectError, ServerRefused
from tui_mail.model import Account, Flags, FolderRole
from tui_mail.remote.backend import FetchBackend, FolderMissing, MessagesGone, NotSupported
from tui_mail.sync.storeio import StoreIO

SEEN = "\\Seen"
FLAGGED = "\\Flagged"


@dataclass
class ReplayResult:
    done: int = 0
    failed: int = 0
    pending: int = 0  # left for later (connection lost)
    errors: list[str] = field(default_factory=list)


class UndoOutcome(enum.Enum):
    UNDONE = "undone"
    NOTHING = "nothing"  # no pending action (or none of that group)
    REACHED_SERVER = "reached server"  # part of the group was already replayed


class ActionQueue:
    """User actions on cached messages (by cache row id) for one account.

    Each action method returns the group id of what it queued (for `undo_last`), or None when
    nothing had to go to the server (only rows with no server copy yet were changed).
    """

    def __init__(self, store: object, account: Account) -> None:
        self.account = account
        self.io = StoreIO(store, account.name)
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

    def move(self, ids: Sequence[int], target: str) -> str | None:
        self._begin()
        for folder, uids, rows in self.io.group_by_folder(ids):
            if folder == target:
                continue
            if uids:
                self._enqueue(
                    "move", {"folder": folder, "uids": uids, "target": target, "rows": rows},
                    rows,
                )
            self.io.move_local(rows, target)
        return self._end()

    def copy(self, ids: Sequence[int], target: str) -> str | None:
        self._begin()
        for folder, uids, rows in self.io.group_by_folder(ids):
            if uids:
                self._enqueue("copy", {"folder": folder, "uids": uids, "target": target}, rows)
        return self._end()

    def archive(self, ids: Sequence[int]) -> str | None:
        return self.move(ids, self.folder_of_role(FolderRole.ARCHIVE, "Archive"))

    def delete(self, ids: Sequence[int]) -> str | None:
        """To Trash; messages already in Trash are removed for good (that cannot be undone)."""
        trash = self.folder_of_role(FolderRole.TRASH, "Trash")
        self._begin()
        for folder, uids, rows in self.io.group_by_folder(ids):
            if folder == trash or not self.io.has_folders():
                if uids:
                    self._enqueue("expunge", {"folder": folder, "uids": uids}, [])
                self.io.remove_rows(rows)
            else:
                if uids:
                    self._enqueue(
                        "move",
                        {"folder": folder, "uids": uids, "target": trash, "rows": rows,
                         "why": "delete"},
                        rows,
                    )
                self.io.move_local(rows, trash)
        return self._end()

    def folder_of_role(self, role: FolderRole, fallback: str) -> str:
        configured = self.account.folders.get(role)
        return configured or self.io.folder_with_role(role) or fallback

    def _flag(self, ids: Sequence[int], name: str, on: bool, attr: str) -> str | None:
        self._begin()
        for folder, uids, rows in self.io.group_by_folder(ids):
            if uids:
                self._enqueue(
                    "flags", {"folder": folder, "uids": uids, "flag": name, "add": on}, rows
                )
            self.io.set_flag_local(rows, attr, on)
        return self._end()

    # -- groups and undo --------------------------------------------------------------------

    def _begin(self) -> None:
        self._group = uuid.uuid4().hex
        self._queued = False

    def _end(self) -> str | None:
        group, queued = self._group, self._queued
        self._group, self._queued = None, False
        return group if queued else None

    def _enqueue(self, kind: str, payload: dict[str, object], rows: Sequence[int]) -> None:
        """Queue one entry of the current group, recording its rows as they are now."""
        before = []
        for row_id in rows:
            row = self.io.store.message_row(row_id)
            if row is not None:
                before.append([row.id, row.folder, row.uid, row.flags.to_bits()])
        self.io.enqueue(kind, {**payload, "group": self._group, "before": before})
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
        sent = [a for a in self.io.store.actions(self.account.name, ("done", "failed"))
                if a.payload.get("group") == group]
        if sent:
            return UndoOutcome.REACHED_SERVER
        if not entries:
            return UndoOutcome.NOTHING
        restore = []
        for entry in entries:
            for row_id, folder, uid, bits in entry.payload.get("before", []):  # type: ignore[attr-defined]
                restore.append((int(row_id), str(folder), uid, Flags.from_bits(int(bits))))
        self.io.store.restore_local(self.account.name, restore)
        for entry in entries:
            self.io.store.remove_action(entry.id)
        return UndoOutcome.UNDONE

    # -- replay -----------------------------------------------------------------------------

    def pending(self) -> list[object]:
        return list(self.io.pending_actions())

    def failed(self) -> list[object]:
        return list(self.io.failed_actions())

    def replay(self, engine: object) -> ReplayResult:
        """Send pending actions in order through `engine.backend` (a `SyncEngine`, or anything
        with a `backend` attribute). Stops at a lost connection, leaving the rest pending."""
        result = ReplayResult()
        actions = list(self.io.pending_actions())
        for index, action in enumerate(actions):
            try:
                backend: FetchBackend = engine.backend  # type: ignore[attr-defined]
                self._apply(backend, action.kind, action.payload)
            except ConnectError as exc:
                result.pending = len(actions) - index
                result.errors.append(f"offline actions kept for later: {exc}")
                drop = getattr(engine, "_drop", None)
                if drop:
                    drop()
                return result
            except MessagesGone as exc:
                if action.kind == "expunge" or action.payload.get("why") == "delete":
                    self.io.action_done(action.id)  # already gone: what was asked is true
                    result.done += 1
                else:
                    self._failed(action.id, str(exc), result)
            except (FolderMissing, NotSupported, ServerRefused) as exc:
                self._failed(action.id, str(exc), result)
            else:
                if action.kind == "move":
                    # The locally moved rows have no UID in the target; the next sync of the
                    # target brings the server's copy, so drop them to avoid a duplicate.
                    self.io.remove_placeholders(action.payload.get("rows", ()))
                self.io.action_done(action.id)
                result.done += 1
        return result

    def _failed(self, action_id: int, message: str, result: ReplayResult) -> None:
        self.io.action_failed(action_id, message)
        result.failed += 1
        result.errors.append(message)

    @staticmethod
    def _apply(backend: FetchBackend, kind: str, payload: dict[str, object]) -> None:
        folder = str(payload["folder"])
        uids = [int(u) for u in payload["uids"]]  # type: ignore[attr-defined]
        if not uids:
            return
        if kind == "flags":
            backend.set_flags(folder, uids, [str(payload["flag"])], bool(payload["add"]))
        elif kind == "move":
            backend.move(folder, uids, str(payload["target"]))
        elif kind == "copy":
            backend.copy(folder, uids, str(payload["target"]))
        elif kind == "expunge":
            backend.delete(folder, uids)
        else:
            raise NotSupported(f"unknown queued action {kind!r}")
