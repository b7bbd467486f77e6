"""App-level acting on messages: read/unread, flag, delete, archive, move, copy, undo, outbox.

`TuiMailApp` inherits `MessageActions`. The screens decide what is selected (tagged messages,
else the cursor row); `target_summaries()` asks the active screen, so the composer's reply and
forward use the same selection as delete or move.

For a configured account every change goes through the sync layer's `ActionQueue` (the cache
changes at once, the server later): a replay is started `replay_delay` seconds after the last
action, in a thread worker, which leaves a moment to undo. The demo account (or a cache opened
without a config) has no server: the cache is changed directly and undo restores it from
memory. Selections spanning several accounts are split per account.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.timer import Timer

from tui_mail.errors import TuiMailError
from tui_mail.model import Account, Flags, FolderRole, MessageSummary, Protocol

if TYPE_CHECKING:
    from textual.screen import Screen

    from tui_mail.config import Config
    from tui_mail.store.db import Store

REPLAY_DELAY = 4.0  # seconds after the last action before it is sent (the undo window)
# One replay at a time in this process (the sync worker replays too): an action sent twice
# would fail the second time.
REPLAY_LOCK = threading.Lock()
UNDO_DEPTH = 50  # actions `u` can take back, newest first
KINDS = ("read", "unread", "flag", "unflag", "delete", "archive", "move", "copy")
_DONE = {"read": "Marked read", "unread": "Marked unread", "flag": "Flagged",
         "unflag": "Unflagged", "delete": "Deleted", "archive": "Archived", "move": "Moved",
         "copy": "Copied"}


@dataclass
class UndoStep:
    """How to take back one account's part of one action."""

    account: str
    ids: list[int]
    group: str | None = None  # queued: the ActionQueue group
    restore: list[tuple[int, str, int | None, Flags]] = field(default_factory=list)  # local


@dataclass
class ActOutcome:
    """What an action did: rows that left their folder, words for the user, whether undoable."""

    removed: set[int] = field(default_factory=set)
    message: str = ""
    errors: list[str] = field(default_factory=list)
    undoable: bool = False


def plural(count: int, word: str = "message") -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


class MessageActions:
    """Mixin for the App: the selection of the active screen, actions, undo, the outbox."""

    screen: Screen[object]
    config: Config | None
    demo: bool
    store_path: Path
    store: Store
    replay_delay: float | None = REPLAY_DELAY  # None: only when `replay_now()` is called

    # ---- selection --------------------------------------------------------------------------

    def target_summaries(self) -> list[MessageSummary]:
        """The messages an action applies to on the active screen: the tagged ones, else the
        one under the cursor (or shown in the viewer); empty when there is none."""
        screen: object = self.screen
        selecting = getattr(screen, "selected_summaries", None)
        if selecting is None:
            return []
        return list(selecting())

    # ---- folders ----------------------------------------------------------------------------

    def configured_account(self, name: str) -> Account | None:
        """The config's account of that name; None for the demo and unconfigured caches."""
        if self.demo or self.config is None:
            return None
        return next((a for a in self.config.accounts if a.name == name), None)

    def server_account(self, name: str) -> Account | None:
        """The configured account whose changes go to its server through the action queue:
        IMAP ones. A POP3 server keeps no flags or folders, so those changes stay local."""
        account = self.configured_account(name)
        if account is None or account.incoming.protocol is Protocol.POP3:
            return None
        return account

    def special_folder(self, account: str, role: FolderRole) -> str | None:
        """The folder with `role` (the config's choice first, then the cached folder's role)."""
        configured = self.configured_account(account)
        if configured is not None and configured.folders.get(role):
            return configured.folders[role]
        return next((f.name for f in self.store.folders(account) if f.role is role), None)

    def folder_choices(self, accounts: Sequence[str]) -> list[str]:
        """Folder names a move or copy can target: those every account involved has."""
        names: list[str] | None = None
        for account in dict.fromkeys(accounts):
            these = [f.name for f in self.store.folders(account)]
            names = these if names is None else [n for n in names if n in these]
        return names or []

    def deletes_for_good(self, summaries: Sequence[MessageSummary]) -> list[MessageSummary]:
        """The messages a delete would remove for good instead of moving to Trash (so the
        screens ask first): those already in their account's Trash folder, and for a server
        account with no folder but INBOX (nothing to move to), every one. Mirrors `_local` and
        `ActionQueue.delete`."""
        trash: dict[str, str] = {}
        no_folders: dict[str, bool] = {}
        gone: list[MessageSummary] = []
        for summary in summaries:
            row = self.store.message_row(summary.id)
            if row is None:
                continue
            account = row.account
            if account not in trash:
                trash[account] = self.special_folder(account, FolderRole.TRASH) or "Trash"
                no_folders[account] = self.server_account(account) is not None and not any(
                    f.name.upper() != "INBOX" for f in self.store.folders(account))
            if row.folder == trash[account] or no_folders[account]:
                gone.append(row)
        return gone

    # ---- acting -----------------------------------------------------------------------------

    def act(self, kind: str, summaries: Sequence[MessageSummary],
            target: str | None = None) -> ActOutcome:
        """Apply `kind` (one of KINDS) to the messages, per account; `target` names the folder
        of a move or copy."""
        assert kind in KINDS, kind
        outcome = ActOutcome()
        by_account: dict[str, list[int]] = {}
        for summary in summaries:
            by_account.setdefault(summary.account, []).append(summary.id)
        steps: list[UndoStep] = []
        done = 0
        for_good = len(self.deletes_for_good(summaries)) if kind == "delete" else 0
        replay: list[Account] = []
        for account_name, ids in by_account.items():
            folder = target
            if kind == "archive":
                folder = self.special_folder(account_name, FolderRole.ARCHIVE)
                if folder is None:
                    outcome.errors.append(
                        f"{account_name}: no archive folder (set [accounts.folders] archive in "
                        "the config, or give a folder the Archive role on the server)")
                    continue
            configured = self.server_account(account_name)
            try:
                if configured is not None:
                    step = self._queue(configured, kind, ids, folder, outcome)
                    replay.append(configured)
                else:
                    step = self._local(account_name, kind, ids, folder, outcome)
            except TuiMailError as exc:
                outcome.errors.append(f"{account_name}: {exc}")
                continue
            done += len(ids)
            if step is not None:
                steps.append(step)
        if done:
            where = f" to {target}" if kind in ("move", "copy") and target else ""
            outcome.message = f"{_DONE[kind]} {plural(done)}{where}."
            if for_good and for_good >= done:
                outcome.message = f"Deleted {plural(done)} for good."
            elif for_good:
                outcome.message = (f"Deleted {plural(for_good)} for good; moved "
                                   f"{plural(done - for_good)} to Trash.")
            if steps:
                stack = self._undo_stack()
                stack.append(steps)
                del stack[:-UNDO_DEPTH]
            outcome.undoable = bool(steps)
            if outcome.undoable:
                outcome.message += " (u: undo)"
        if replay:
            self.schedule_replay(replay)
        return outcome

    def _queue(self, account: Account, kind: str, ids: list[int], folder: str | None,
               outcome: ActOutcome) -> UndoStep | None:
        from tui_mail.sync.actions import ActionQueue

        queue = ActionQueue(self.store, account)
        moving = self._moving(account.name, kind, ids, folder)
        before = {row.id: row for row in self._rows(ids)}
        method: dict[str, Callable[[], str | None]] = {
            "read": lambda: queue.mark_read(ids), "unread": lambda: queue.mark_unread(ids),
            "flag": lambda: queue.flag(ids), "unflag": lambda: queue.unflag(ids),
            "delete": lambda: queue.delete(ids),
            "archive": lambda: queue.move(ids, str(folder)),
            "move": lambda: queue.move(ids, str(folder)),
            "copy": lambda: queue.copy(ids, str(folder)),
        }
        group = method[kind]()
        outcome.removed |= {i for i in moving if i in before}
        return UndoStep(account.name, ids, group=group) if group is not None else None

    def _moving(self, account: str, kind: str, ids: list[int], folder: str | None) -> list[int]:
        """The rows that leave their folder: moves, archives and deletes."""
        if kind not in ("move", "archive", "delete"):
            return []
        rows = self._rows(ids)
        if kind == "delete":
            return [row.id for row in rows]
        return [row.id for row in rows if row.folder != folder]

    def _rows(self, ids: Sequence[int]) -> list[MessageSummary]:
        rows = [self.store.message_row(i) for i in ids]
        return [row for row in rows if row is not None]

    def _local(self, account: str, kind: str, ids: list[int], folder: str | None,
               outcome: ActOutcome) -> UndoStep | None:
        """The demo account (no server): change the cache directly, remember the old rows."""
        store = self.store
        rows = self._rows(ids)
        snapshot = [(row.id, row.folder, row.uid, row.flags) for row in rows]
        if kind in ("read", "unread"):
            store.set_flags_local(ids, seen=kind == "read")
        elif kind in ("flag", "unflag"):
            store.set_flags_local(ids, flagged=kind == "flag")
        elif kind in ("move", "archive"):
            moving = [row.id for row in rows if row.folder != folder]
            store.move_local(moving, account, str(folder))
            outcome.removed |= set(moving)
        elif kind == "delete":
            trash = self.special_folder(account, FolderRole.TRASH) or "Trash"
            gone = [row.id for row in rows if row.folder == trash]
            moving = [row.id for row in rows if row.folder != trash]
            store.delete_local(gone)
            store.move_local(moving, account, trash)
            outcome.removed |= set(gone) | set(moving)
            snapshot = [s for s in snapshot if s[0] not in gone]
        elif kind == "copy":
            raise TuiMailError("copying needs a mail server; this account has none")
        return UndoStep(account, ids, restore=snapshot) if snapshot else None

    # ---- undo -------------------------------------------------------------------------------

    def _undo_stack(self) -> list[list[UndoStep]]:
        """The actions that can still be taken back, oldest first (at most UNDO_DEPTH)."""
        stack: list[list[UndoStep]] | None = getattr(self, "_undo_steps", None)
        if stack is None:
            stack = self._undo_steps = []
        return stack

    def undo_last_action(self) -> tuple[str, list[int]]:
        """Take back the newest action not yet taken back, if it has not reached the server;
        `u` again takes back the one before. Returns the words for the user and the ids of the
        messages put back."""
        stack = self._undo_stack()
        if not stack:
            return "Nothing to undo.", []
        if not REPLAY_LOCK.acquire(blocking=False):
            return "Actions are being sent to the server right now; try undo again.", []
        try:
            message, undone = self._undo(stack.pop())
        finally:
            REPLAY_LOCK.release()
        if stack and undone:
            message += " (u: undo the one before)"
        return message, undone

    def _undo(self, steps: list[UndoStep]) -> tuple[str, list[int]]:
        """Actions reach the server in order, so once one has, every older one has too: an
        action too late to take back is dropped from the stack with them."""
        from tui_mail.sync.actions import ActionQueue, UndoOutcome

        undone: list[int] = []
        sent: list[str] = []
        for step in steps:
            configured = self.configured_account(step.account)
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
            stack = self._undo_stack()
            stack[:] = [older for older in stack
                        if not any(s.account in sent and s.group is not None for s in older)]
        if sent and not undone:
            return ("Too late to undo: the last action has already reached the server "
                    f"({', '.join(sent)}).", [])
        if sent:
            return (f"Undone for {plural(len(undone))}; the server already has the change for "
                    f"{', '.join(sent)}.", undone)
        return f"Undone ({plural(len(undone))}).", undone

    # ---- replay to the server ---------------------------------------------------------------

    def schedule_replay(self, accounts: Sequence[Account]) -> None:
        """Send the queued actions of `accounts` after `replay_delay` (restarted by each new
        action, so a burst of actions goes out in one connection and undo has a moment)."""
        waiting: dict[str, Account] = getattr(self, "_replay_waiting", {})
        waiting.update({a.name: a for a in accounts})
        self._replay_waiting = waiting
        if self.replay_delay is None:
            return
        timer: Timer | None = getattr(self, "_replay_timer", None)
        if timer is not None:
            timer.stop()
        app: Any = self
        self._replay_timer = app.set_timer(self.replay_delay, self.replay_now)

    def replay_pending(self, account: str) -> bool:
        """True while the account's actions wait out their undo moment before replay."""
        return account in getattr(self, "_replay_waiting", {})

    def replay_now(self) -> None:
        """Start the replay of every account waiting for one (each in a thread worker)."""
        waiting: dict[str, Account] = getattr(self, "_replay_waiting", {})
        self._replay_waiting = {}
        for account in waiting.values():
            self.replay_account(account)

    @work(thread=True, exit_on_error=False, group="replay", description="send queued actions")
    def replay_account(self, account: Account) -> None:
        """Replay the account's queued actions, then re-sync the folders they touched."""
        from tui_mail.store.db import Store
        from tui_mail.sync.actions import ActionQueue
        from tui_mail.sync.engine import SyncEngine, connector
        from tui_mail.sync.events import SyncError
        from tui_mail.ui.app import _credentials

        app: Any = self
        try:
            with Store.open(self.store_path) as writer:
                queue = ActionQueue(writer, account)
                pending = queue.pending()
                if not pending:
                    return
                folders: dict[str, None] = {}
                for action in pending:
                    payload = action.payload  # type: ignore[attr-defined]
                    folders[str(payload["folder"])] = None
                    if "target" in payload:
                        folders[str(payload["target"])] = None
                engine = SyncEngine(account, writer, connector(account, _credentials(account)),
                                    on_event=app.report_sync_event)
                try:
                    with REPLAY_LOCK:
                        result = queue.replay(engine)
                    for folder in folders:
                        engine.sync_folder(folder)
                finally:
                    engine.close()
        except TuiMailError as exc:
            app.report_sync_event(SyncError(account.name, f"Actions kept for later: {exc}"))
            return
        for error in result.errors:
            app.report_sync_event(SyncError(account.name, error))

    # ---- outbox -----------------------------------------------------------------------------

    def action_outbox(self) -> None:
        from tui_mail.ui.screens.outbox import OutboxScreen

        app: Any = self
        if not isinstance(app.screen, OutboxScreen):
            app.push_screen(OutboxScreen())
