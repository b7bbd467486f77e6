"""The offline action queue: apply to the cache at once, remember, replay to the server later.

Every action is written to the `actions` table (SQLite, so it survives restarts) in the same
moment the cache is changed, then `replay()` sends pending actions to the server in order when
online. A refused action is marked failed with the server's words (shown to the user, never
dropped silently); a lost connection leaves the rest pending for the next replay.

Payloads name the server-side source (folder + UIDs as they were when the action was taken), so
a later local change to the cached rows does not change what is replayed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tui_mail.errors import ConnectError, ServerRefused
from tui_mail.model import Account, FolderRole
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


class ActionQueue:
    """User actions on cached messages (by cache row id) for one account."""

    def __init__(self, store: object, account: Account) -> None:
        self.account = account
        self.io = StoreIO(store, account.name)

    # -- what the UI calls ------------------------------------------------------------------

    def mark_read(self, ids: Sequence[int], read: bool = True) -> None:
        self._flag(ids, SEEN, read, "seen")

    def mark_unread(self, ids: Sequence[int]) -> None:
        self.mark_read(ids, False)

    def flag(self, ids: Sequence[int], flagged: bool = True) -> None:
        self._flag(ids, FLAGGED, flagged, "flagged")

    def unflag(self, ids: Sequence[int]) -> None:
        self.flag(ids, False)

    def move(self, ids: Sequence[int], target: str) -> None:
        for folder, uids, rows in self.io.group_by_folder(ids):
            if folder == target:
                continue
            if uids:
                self.io.enqueue(
                    "move", {"folder": folder, "uids": uids, "target": target, "rows": rows}
                )
            self.io.move_local(rows, target)

    def copy(self, ids: Sequence[int], target: str) -> None:
        for folder, uids, _rows in self.io.group_by_folder(ids):
            if uids:
                self.io.enqueue("copy", {"folder": folder, "uids": uids, "target": target})

    def archive(self, ids: Sequence[int]) -> None:
        self.move(ids, self.folder_of_role(FolderRole.ARCHIVE, "Archive"))

    def delete(self, ids: Sequence[int]) -> None:
        """To Trash; messages already in Trash are removed for good."""
        trash = self.folder_of_role(FolderRole.TRASH, "Trash")
        for folder, uids, rows in self.io.group_by_folder(ids):
            if folder == trash or not self.io.has_folders():
                if uids:
                    self.io.enqueue("expunge", {"folder": folder, "uids": uids})
                self.io.remove_rows(rows)
            else:
                if uids:
                    self.io.enqueue(
                        "move",
                        {"folder": folder, "uids": uids, "target": trash, "rows": rows,
                         "why": "delete"},
                    )
                self.io.move_local(rows, trash)

    def folder_of_role(self, role: FolderRole, fallback: str) -> str:
        configured = self.account.folders.get(role)
        return configured or self.io.folder_with_role(role) or fallback

    def _flag(self, ids: Sequence[int], name: str, on: bool, attr: str) -> None:
        for folder, uids, rows in self.io.group_by_folder(ids):
            if uids:
                self.io.enqueue(
                    "flags", {"folder": folder, "uids": uids, "flag": name, "add": on}
                )
            self.io.set_flag_local(rows, attr, on)

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
