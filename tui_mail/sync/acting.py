"""The user's actions on cached messages: read/unread, flag, delete, archive, move, copy, undo.

Every change goes through the account's `ActionQueue`, where each kind is defined once: the
cache changes at once; an IMAP account's server when the queue is replayed. A POP3 account,
the demo, or a cache opened without a config has no server that keeps flags or folders: its
queue changes the cache the same way and hands back the rows as they were, which undo puts
back. Selections spanning several accounts
are split per account. Blocking (SQLite writes): call from a worker thread, never the UI's.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from tui_mail.errors import TuiMailError
from tui_mail.model import Account, Flags, FolderRole, MessageSummary, Protocol
from tui_mail.store.db import Store
from tui_mail.sync.actions import ActionQueue, UndoOutcome
from tui_mail.words import plural

UNDO_DEPTH = 50  # actions `u` can take back, newest first


class ActionKind(enum.StrEnum):
    READ = "read"
    UNREAD = "unread"
    FLAG = "flag"
    UNFLAG = "unflag"
    DELETE = "delete"
    ARCHIVE = "archive"
    MOVE = "move"
    COPY = "copy"

    @property
    def done(self) -> str:
        """How the outcome is told: "Deleted 3 messages"."""
        return {"read": "Marked read", "unread": "Marked unread", "flag": "Flagged",
                "unflag": "Unflagged", "delete": "Deleted", "archive": "Archived",
                "move": "Moved", "copy": "Copied"}[self.value]

    @property
    def removes(self) -> bool:
        """Whether the messages leave their folder."""
        return self in (ActionKind.DELETE, ActionKind.ARCHIVE, ActionKind.MOVE)


@dataclass
class UndoStep:
    """How to take back one account's part of one action."""

    account: str
    ids: list[int]
    group: str | None = None  # queued: the ActionQueue group
    restore: list[tuple[int, str, int | None, Flags]] = field(default_factory=list)  # local


@dataclass
class ActOutcome:
    """What an action did: rows that left their folder, words for the user, whether undoable,
    and the accounts whose queue now holds something for the server."""

    removed: set[int] = field(default_factory=set)
    message: str = ""
    errors: list[str] = field(default_factory=list)
    undoable: bool = False
    queued: list[str] = field(default_factory=list)


def server_account(accounts: Mapping[str, Account], name: str) -> Account | None:
    """The account whose changes go to its server through the action queue: a configured
    IMAP one. A POP3 server keeps no flags or folders, so those changes stay local."""
    account = accounts.get(name)
    if account is None or account.incoming.protocol is Protocol.POP3:
        return None
    return account


def special_folder(store: Store, accounts: Mapping[str, Account], account: str,
                   role: FolderRole) -> str | None:
    """The folder with `role`: the config's choice first, then the cached folder's role."""
    configured = accounts.get(account)
    if configured is not None and configured.folders.get(role):
        return configured.folders[role]
    return next((f.name for f in store.folders(account) if f.role is role), None)


def deletes_for_good(store: Store, accounts: Mapping[str, Account],
                     summaries: Sequence[MessageSummary]) -> list[MessageSummary]:
    """The messages a delete would remove for good instead of moving to Trash (so the
    screens ask first): those already in their account's Trash folder. An IMAP account
    without a Trash gets one (`ActionQueue.delete`), a Gmail account does not (a folder
    there is a label: its delete is refused until Gmail's Trash is known). The same rule as
    `ActionQueue.delete`."""
    trash: dict[str, str | None] = {}
    gone: list[MessageSummary] = []
    for summary in summaries:
        row = store.message_row(summary.id)
        if row is None:
            continue
        account = row.account
        if account not in trash:
            found = special_folder(store, accounts, account, FolderRole.TRASH)
            if found is None and not store.is_gmail(account):
                found = store.folder_edits.personal_namespace(account)[0] + "Trash"
            trash[account] = found
        if trash[account] is not None and row.folder == trash[account]:
            gone.append(row)
    return gone


class UserActions:
    """Acting on messages and taking actions back, for every account of one cache.

    `store` is a writer used only under `lock` (several worker threads act); `replay_lock`
    gives, per account, the lock its replay holds, so an undo never races a replay.
    """

    def __init__(self, store: Store, accounts: Mapping[str, Account], lock: threading.RLock,
                 replay_lock: Callable[[str], threading.Lock]) -> None:
        self.store = store
        self.accounts = accounts
        self._lock = lock
        self._replay_lock = replay_lock
        self._undo: list[list[UndoStep]] = []

    def act(self, kind: ActionKind | str, summaries: Sequence[MessageSummary],
            target: str | None = None, *, undoable: bool = True) -> ActOutcome:
        """Apply `kind` to the messages, per account; `target` names the folder of a move or
        copy. Not `undoable`: kept off the undo stack (a message marked read because it was
        opened is not what `u` should take back). Raises CacheError when the cache cannot be
        written (nothing was changed)."""
        kind = ActionKind(kind)
        with self._lock:
            return self._act(kind, summaries, target, undoable)

    def _act(self, kind: ActionKind, summaries: Sequence[MessageSummary],
             target: str | None, undoable: bool) -> ActOutcome:
        outcome = ActOutcome()
        by_account: dict[str, list[int]] = {}
        for summary in summaries:
            by_account.setdefault(summary.account, []).append(summary.id)
        steps: list[UndoStep] = []
        done = 0
        for_good = (len(deletes_for_good(self.store, self.accounts, summaries))
                    if kind is ActionKind.DELETE else 0)
        for account_name, ids in by_account.items():
            folder = target
            if kind is ActionKind.ARCHIVE:
                folder = special_folder(self.store, self.accounts, account_name,
                                        FolderRole.ARCHIVE)
                # An IMAP account without one gets "Archive" in its namespace, as Thunderbird
                # does (`ActionQueue.archive`), unless it is Gmail (archiving there is a move
                # to All Mail); elsewhere there is nowhere to make it.
                if folder is None and server_account(self.accounts, account_name) is None:
                    outcome.errors.append(
                        f"{account_name}: no archive folder (set [accounts.folders] archive in "
                        "the config, or give a folder the Archive role on the server)")
                    continue
            try:
                step = self._queue(self.accounts.get(account_name, account_name), kind, ids,
                                   folder, outcome)
            except TuiMailError as exc:
                outcome.errors.append(f"{account_name}: {exc}")
                continue
            done += len(ids)
            if step is not None:
                steps.append(step)
        if done:
            where = f" to {target}" if kind in (ActionKind.MOVE, ActionKind.COPY) and target \
                else ""
            outcome.message = f"{kind.done} {plural(done)}{where}."
            if for_good and for_good >= done:
                outcome.message = f"Deleted {plural(done)} for good."
            elif for_good:
                outcome.message = (f"Deleted {plural(for_good)} for good; moved "
                                   f"{plural(done - for_good)} to Trash.")
            if steps and undoable:
                self._undo.append(steps)
                del self._undo[:-UNDO_DEPTH]
            outcome.undoable = bool(steps) and undoable
            if outcome.undoable:
                outcome.message += " (u: undo)"
        return outcome

    def _queue(self, account: Account | str, kind: ActionKind, ids: list[int],
               folder: str | None, outcome: ActOutcome) -> UndoStep | None:
        """One account's part of the action, through its `ActionQueue`: queued for its server,
        or, for an account without one, kept for undo alone."""
        queue = ActionQueue(self.store, account)
        rows = self._rows(ids)
        leaving = {row.id for row in rows if kind is ActionKind.DELETE or row.folder != folder} \
            if kind.removes else set()
        method: dict[ActionKind, Callable[[], str | None]] = {
            ActionKind.READ: lambda: queue.mark_read(ids),
            ActionKind.UNREAD: lambda: queue.mark_unread(ids),
            ActionKind.FLAG: lambda: queue.flag(ids),
            ActionKind.UNFLAG: lambda: queue.unflag(ids),
            ActionKind.DELETE: lambda: queue.delete(ids),
            ActionKind.ARCHIVE: lambda: queue.move(ids, folder) if folder else queue.archive(ids),
            ActionKind.MOVE: lambda: queue.move(ids, str(folder)),
            ActionKind.COPY: lambda: queue.copy(ids, str(folder)),
        }
        group = method[kind]()  # a TuiMailError leaves the rows where they are
        outcome.removed |= leaving
        if group is None:
            return None
        if queue.server:
            outcome.queued.append(queue.name)
            return UndoStep(queue.name, ids, group=group)
        return UndoStep(queue.name, ids, restore=queue.before)

    def _rows(self, ids: Sequence[int]) -> list[MessageSummary]:
        rows = [self.store.message_row(i) for i in ids]
        return [row for row in rows if row is not None]

    # ---- undo -------------------------------------------------------------------------------

    def undo_last(self) -> tuple[str, list[int]]:
        """Take back the newest action not yet taken back, if it has not reached the server;
        again takes back the one before. Returns the words for the user and the ids of the
        messages put back."""
        with self._lock:
            if not self._undo:
                return "Nothing to undo.", []
            steps = self._undo[-1]
            locks = [self._replay_lock(s.account) for s in steps if s.group is not None]
            taken: list[threading.Lock] = []
            try:
                for lock in dict.fromkeys(locks):
                    if not lock.acquire(blocking=False):
                        return "Actions are being sent to the server right now; try undo again.", []
                    taken.append(lock)
                self._undo.pop()
                message, undone = self._undo_steps(steps)
            finally:
                for lock in taken:
                    lock.release()
            if self._undo and undone:
                message += " (u: undo the one before)"
            return message, undone

    def _undo_steps(self, steps: list[UndoStep]) -> tuple[str, list[int]]:
        """Actions reach the server in order, so once one has, every older one has too: an
        action too late to take back is dropped from the stack with them."""
        undone: list[int] = []
        sent: list[str] = []
        for step in steps:
            configured = self.accounts.get(step.account)
            if step.group is not None and configured is not None:
                result = ActionQueue(self.store, configured).undo_last(step.group)
                if result is UndoOutcome.UNDONE:
                    undone += step.ids
                else:
                    sent.append(step.account)
            else:
                self.store.restore_local(step.account, step.restore)
                undone += step.ids
        if sent:
            self._undo[:] = [older for older in self._undo
                             if not any(s.account in sent and s.group is not None for s in older)]
        if sent and not undone:
            return ("Too late to undo: the last action has already reached the server "
                    f"({', '.join(sent)}).", [])
        if sent:
            return (f"Undone for {plural(len(undone))}; the server already has the change for "
                    f"{', '.join(sent)}.", undone)
        return f"Undone ({plural(len(undone))}).", undone
