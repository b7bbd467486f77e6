"""The mail service: every piece of network work of one program, headless.

The interface (and the command line) holds a read-only view of the cache and asks this
service for everything else: open a message (its body is fetched at once when it is not
cached), act on messages (and undo), send, save drafts, sync now. The service owns the
writer connection, the credentials, each account's connection state and retries, the sync
schedule, IDLE, the replay of queued actions, the background body download and the outbox,
and reports through the events of `sync.events`, from its own threads.

Threads: one `AccountWorker` per configured account (its jobs, its sync connection, its IDLE
watcher) and one `BodyFetcher` per IMAP account (bodies asked for by the interface, on their
own connection). The methods here return at once or do only short local writes; call the
ones that write (`act`, `undo`, `send`, `save_draft_locally`...) from a worker thread of the
interface, never from its event loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui_mail.errors import TuiMailError
from tui_mail.model import Account, AutocryptMode, FolderRole, MessageSummary, Protocol
from tui_mail.store.db import Store
from tui_mail.store.types import OUTBOX_UNDER_WAY, OutboxItem, OutboxState
from tui_mail.sync.account_worker import (
    AccountWorker,
    DraftJob,
    Job,
    WorkerHost,
    WorkerSettings,
)
from tui_mail.sync.acting import ActionKind, ActOutcome, UserActions
from tui_mail.sync.bodies import BodyFetcher, NeedsConfirmation, NoServer
from tui_mail.sync.credentials import provider
from tui_mail.sync.events import EventSink, FolderChanged, Notice, OutboxStatus, ignore
from tui_mail.sync.folder_actions import (
    FolderEdits,
    FolderOutcome,
    FolderRefused,
    folder_refusal,
)
from tui_mail.sync.send_lane import SendLane

if TYPE_CHECKING:
    import ssl

    from tui_mail.mail.compose import Composed
    from tui_mail.remote.unsubscribe import OneClickAnswer
    from tui_mail.remote.wkd import HostMap
    from tui_mail.sync.account_sync import AccountSyncResult
    from tui_mail.sync.outbox import Delivery, Outbox

log = logging.getLogger(__name__)

__all__ = ["FolderOutcome", "FolderRefused", "MailService", "ServiceSettings", "folder_refusal"]

REPLAY_DELAY = 4.0  # seconds after the last action before it is sent (the undo moment)
BUSY_RETRY = 30.0  # seconds before the outbox is looked at again when another program sends
OUTBOX_LOOK = 60.0  # seconds between looks at the outbox (mail queued by another program)


@dataclass
class ServiceSettings:
    sync_every_minutes: float = 5.0  # 0: only at start and when asked
    idle: bool = True
    replay_delay: float | None = REPLAY_DELAY  # None: only when `replay_now()` is called
    outbox_look: float = OUTBOX_LOOK  # seconds between looks for mail another program queued
    # False for a one-shot command: its work runs in the calling thread (`sync_once`,
    # `outbox`), and nothing is left to threads that would die with the command.
    background: bool = True
    # Where to connect for a host a key directory is asked at (None: the name itself, through
    # DNS); a test's servers on 127.0.0.1 stand in for other domains this way.
    host_map: HostMap | None = None


class MailService:
    """The network work for `accounts` over the cache at `store_path`.

    Accounts without a server (the demo, a cache opened without a config) are acted on in the
    cache alone. Nothing starts until asked: `start()` runs the first sync and the schedule;
    opening a message, acting or sending start what they need.
    """

    def __init__(self, accounts: Sequence[Account], store_path: Path,
                 on_event: EventSink = ignore,
                 settings: ServiceSettings | None = None) -> None:
        self.accounts = {a.name: a for a in accounts}
        self.store_path = Path(store_path)
        self.settings = settings or ServiceSettings()
        self._emit = on_event
        self._lock = threading.RLock()  # the writer below is used by one thread at a time
        self.store = Store.open(self.store_path)  # creates and migrates the cache
        self._replay_locks: dict[str, threading.Lock] = {}
        self._held_until: dict[str, float] = {}  # account -> end of its undo moment
        self.actions = UserActions(self.store, self.accounts, self._lock, self.replay_lock)
        self._workers: dict[str, AccountWorker] = {}
        self._fetchers: dict[str, BodyFetcher] = {}
        self._senders: dict[str, SendLane] = {}
        self._told_waiting: set[int] = set()  # outbox ids whose wait was told once
        self._told_not_saved: set[int] = set()  # outbox ids whose failed copy to Sent was told
        self._copy_now: dict[str, set[int]] = {}  # account -> ids whose copy the user retries
        self._stopped = False

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Sync every account now and then on the schedule; send what waits in the outbox."""
        for account in self.accounts.values():
            worker = self.worker(account.name)
            if worker is not None:
                worker.request(Job.SYNC_ALL)
            self.deliver_soon(account.name)
            fetcher = self.fetcher(account.name)
            if fetcher is not None:
                fetcher.warm()
        self.report_outbox()

    def stop(self, timeout: float = 2.0) -> None:
        """End the threads (their connections log out) and close the cache."""
        self._stopped = True
        for fetcher in self._fetchers.values():
            fetcher.stop(0)
        for lane in self._senders.values():
            lane.stop(0)
        for worker in self._workers.values():
            worker.stop(0)
        deadline = time.monotonic() + timeout
        for worker in self._workers.values():
            worker.stop(max(0.0, deadline - time.monotonic()))
        with self._lock:
            self.store.close()

    def add_accounts(self, accounts: Sequence[Account]) -> None:
        """Accounts saved from the running interface: theirs is now the service's work too."""
        for account in accounts:
            self.accounts.setdefault(account.name, account)

    @property
    def running(self) -> bool:
        """Whether any of its threads was ever started (nothing to wait for otherwise)."""
        with self._lock:
            return bool(self._workers or self._fetchers or self._senders)

    @property
    def sending(self) -> bool:
        """Whether a message is being handed to an SMTP server right now."""
        with self._lock:
            lanes = list(self._senders.values())
        return any(lane.busy for lane in lanes)

    def is_quiet(self) -> bool:
        """No work runs or is due now in any account (later work, like the next periodic
        sync, does not count)."""
        with self._lock:
            parts: list[AccountWorker | BodyFetcher | SendLane] = [
                *self._workers.values(), *self._fetchers.values(), *self._senders.values()]
        return all(part.quiet() for part in parts)

    def wait_quiet(self, timeout: float = 30.0) -> bool:
        """Wait until `is_quiet()` holds (for tests and one-shot commands); False if still
        busy after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        settled = 0
        while time.monotonic() < deadline:
            if self.is_quiet():
                settled += 1
                if settled >= 3:  # a job that ends may have asked for the next one
                    return True
            else:
                settled = 0
            time.sleep(0.05)
        return False

    def worker(self, account: str) -> AccountWorker | None:
        """The account's worker (created on first use); None for an account without a server
        (and for a one-shot command)."""
        configured = self.accounts.get(account)
        if configured is None or self._stopped or not self.settings.background:
            return None
        with self._lock:
            worker = self._workers.get(account)
            if worker is None:
                host = WorkerHost(
                    store_path=self.store_path, emit=self._emit,
                    replay_lock=self.replay_lock(account),
                    replay_held=lambda: self.replay_held(account),
                    deliver_soon=lambda: self.deliver_soon(account))
                worker = AccountWorker(configured, host, WorkerSettings(
                    sync_every=self.settings.sync_every_minutes * 60, idle=self.settings.idle))
                self._workers[account] = worker
            return worker

    # ---- syncing --------------------------------------------------------------------------

    def sync_now(self, account: str | None = None) -> None:
        """Sync every folder of one account (or all) now, whatever the backoff says."""
        for name in [account] if account else list(self.accounts):
            worker = self.worker(name)
            if worker is not None:
                worker.retry_now()

    # ---- bodies ---------------------------------------------------------------------------

    def fetcher(self, account: str) -> BodyFetcher | None:
        configured = self.accounts.get(account)
        if configured is None or configured.incoming.protocol is not Protocol.IMAP \
                or self._stopped:
            return None
        with self._lock:
            fetcher = self._fetchers.get(account)
            if fetcher is None:
                from tui_mail.sync.engine import connector

                fetcher = BodyFetcher(
                    configured, self.store_path,
                    connector(configured, provider(configured, "incoming")),
                    lambda ok, error: self._connection(account, ok, error))
                self._fetchers[account] = fetcher
            return fetcher

    def _connection(self, account: str, ok: bool, error: TuiMailError | None) -> None:
        worker = self.worker(account)
        if worker is None:
            return
        if ok:
            worker.connection_ok()
        elif error is not None:
            worker.connection_lost(error)

    def fetch_body(self, summary: MessageSummary, *, allow_large: bool = False) -> Future[bytes]:
        """The whole message: from the cache, else fetched from the server at once (ahead of
        any background work). Over the account's `body_ask_above` the future fails with
        NeedsConfirmation unless `allow_large`."""
        try:
            with self._lock:
                cached = self.store.raw_message(summary.id)
        except TuiMailError as exc:  # a damaged cache: the viewer says so
            return _failed(exc)
        if cached is not None:
            return _done(cached)
        account = self.accounts.get(summary.account)
        if account is not None and not allow_large and account.body_ask_above \
                and summary.size > account.body_ask_above:
            return _failed(NeedsConfirmation(summary.size))
        fetcher = self.fetcher(summary.account)
        if fetcher is None:
            return _failed(NoServer(
                "the body of this message is not in the cache, and this account has no "
                "server to fetch it from"))
        return fetcher.fetch(summary.id)

    def prefetch(self, summaries: Sequence[MessageSummary]) -> None:
        """Fetch these bodies when nothing more urgent waits (the rows next to the cursor),
        those under the account's cap only, and not for an account that downloads only what
        is opened."""
        for summary in summaries:
            account = self.accounts.get(summary.account)
            if account is None or summary.size > account.body_size_cap \
                    or account.download_bodies == "on-open":  # only what is opened, then
                continue
            fetcher = self.fetcher(summary.account)
            if fetcher is not None:
                fetcher.fetch(summary.id, prefetch=True)

    # ---- acting ---------------------------------------------------------------------------

    def replay_lock(self, account: str) -> threading.Lock:
        with self._lock:
            return self._replay_locks.setdefault(account, threading.Lock())

    def replay_held(self, account: str) -> float:
        """Seconds the account's newest actions still wait out their undo moment (0: none
        wait; infinite: until `replay_now()`)."""
        return max(0.0, self._held_until.get(account, 0.0) - time.monotonic())

    def act(self, kind: ActionKind | str, summaries: Sequence[MessageSummary],
            target: str | None = None, *, undoable: bool = True) -> ActOutcome:
        """Apply an action (cache at once, server after the undo moment). Blocking: call
        from a worker thread. A cache that cannot be written raises CacheError."""
        outcome = self.actions.act(kind, summaries, target, undoable=undoable)
        self._schedule_replay(outcome.queued)
        return outcome

    def undo(self) -> tuple[str, list[int]]:
        return self.actions.undo_last()

    def _schedule_replay(self, accounts: Sequence[str]) -> None:
        delay = self.settings.replay_delay
        for name in dict.fromkeys(accounts):
            if delay is None:
                self._held_until[name] = float("inf")
                continue
            self._held_until[name] = time.monotonic() + delay
            worker = self.worker(name)
            if worker is not None:
                worker.request(Job.REPLAY, delay=delay)

    def replay_now(self) -> None:
        """Send every queued action now (the undo moment ends)."""
        for name in list(self._held_until):
            self._held_until.pop(name, None)
            worker = self.worker(name)
            if worker is not None:
                worker.request(Job.REPLAY)

    # ---- folders --------------------------------------------------------------------------

    def create_folder(self, account: str, typed: str) -> FolderOutcome:
        """Make the folder the user typed ("Projects/2025": a path inside the account's own
        namespace). Like every folder change here: the cache at once, the server after the
        usual moment (or when it is back); FolderRefused (said as it is) when tui-mail will
        not make it. Blocking: call from a worker thread."""
        return self._edit_folder(account, lambda edits: edits.create(typed))

    def rename_folder(self, account: str, name: str, typed: str) -> FolderOutcome:
        return self._edit_folder(account, lambda edits: edits.rename(name, typed))

    def delete_folder(self, account: str, name: str) -> FolderOutcome:
        return self._edit_folder(account, lambda edits: edits.delete(name))

    def subscribe_folder(self, account: str, name: str, subscribe: bool) -> FolderOutcome:
        return self._edit_folder(account, lambda edits: edits.subscribe(name, subscribe))

    def _edit_folder(self, account: str,
                     edit: Callable[[FolderEdits], FolderOutcome]) -> FolderOutcome:
        with self._lock:
            outcome = edit(FolderEdits(self.store, self.accounts, account))
        if outcome.queued:
            self._schedule_replay([account])
        return outcome

    # ---- sending --------------------------------------------------------------------------

    def can_send(self, account: str) -> bool:
        configured = self.accounts.get(account)
        return configured is not None and (configured.smtp is not None
                                           or bool(configured.sendmail_command))

    def send(self, account: Account, composed: Composed, draft_key: str = "",
             origin: tuple[str, str] | None = None) -> int:
        """Put the message in the outbox (durable before this returns) and deliver it in the
        background; the local draft `draft_key` is forgotten. Returns the outbox id."""
        from tui_mail.sync.outbox import Outbox

        with self._lock:
            outbox = Outbox(self.store, account)
            entry_id = outbox.queue(composed, origin) if origin else outbox.queue(composed)
            if draft_key:
                self.store.queues.delete_draft(draft_key)
        log.info("%s: message #%d queued for %d recipient(s)", account.name, entry_id,
                 len(composed.rcpts))
        self.report_outbox()
        worker = self.worker(account.name)
        if worker is not None and draft_key:  # a server copy still to be saved would come
            worker.forget_draft_jobs(draft_key)  # back after sending
        self.deliver_soon(account.name)
        return entry_id

    def unsubscribe_one_click(self, url: str, context: ssl.SSLContext | None = None
                              ) -> OneClickAnswer:
        """A mailing list's one-click unsubscribe (RFC 8058's HTTPS POST), after the user
        confirmed it; blocking, a worker thread's call. `context`: the TLS trust to verify
        the server with (None: the system's)."""
        from tui_mail.remote.unsubscribe import post_one_click

        log.info("one-click unsubscribe request to %s", url.partition("?")[0])
        return post_one_click(url, context=context)

    def find_keys(self, addresses: Sequence[str]) -> tuple[dict[str, bytes], dict[str, str]]:
        """The OpenPGP keys the recipients' mail domains publish (the Web Key Directory), for
        an account with `wkd = true`; blocking, a worker thread's call. (address: key data)
        for those found, (address: why not, in words) for the others."""
        from tui_mail.remote.wkd import locate_all

        log.info("looking up %d key(s) in the recipients' key directories", len(addresses))
        if self.settings.host_map is None:
            return locate_all(addresses)
        return locate_all(addresses, host_map=self.settings.host_map)

    def sender(self, account: str) -> SendLane | None:
        """The account's send lane (created on first use); None when it cannot send."""
        configured = self.accounts.get(account)
        if configured is None or self._stopped or not self.can_send(account) \
                or not self.settings.background:
            return None
        with self._lock:
            lane = self._senders.get(account)
            if lane is None:
                lane = SendLane(account, self.store_path,
                                lambda store: self._deliver(configured, store), self._emit)
                self._senders[account] = lane
            return lane

    def deliver_soon(self, account: str) -> None:
        """Try the account's outbox now (mail queued, a server back, the user asked)."""
        lane = self.sender(account)
        if lane is not None:
            lane.request()

    def outbox(self, account: Account, store: Store | None = None) -> Outbox:
        """The account's outbox with what delivering needs: the credentials, the copy to
        Sent, and what follows an accepted message (`_after_accepted`). `store`: the calling
        thread's writer (default: the service's own, for one-shot commands)."""
        from tui_mail.sync.outbox import Outbox

        writer = store if store is not None else self.store
        imap = account.incoming.protocol is Protocol.IMAP
        return Outbox(writer, account,
                      smtp_credentials=provider(account, "smtp") if account.smtp else None,
                      imap_credentials=provider(account, "incoming") if imap else None,
                      on_accepted=lambda entry: self._after_accepted(account, writer, entry),
                      data_dir=self.store_path.parent)

    def sync_once(self, account: Account, on_event: EventSink | None = None, *,
                  folders: Sequence[str] | None = None,
                  bodies: bool = False) -> AccountSyncResult:
        """One sync of the account now, in the calling thread (`tui-mail sync`): queued
        actions first, under the same replay locks as the app's."""
        from tui_mail.sync.account_sync import sync_account

        return sync_account(self.store, account, provider(account, "incoming"),
                            on_event or self._emit, folders=folders, bodies=bodies,
                            replay_lock=self.replay_lock(account.name))

    def _deliver(self, account: Account, store: Store) -> float | None:
        """The send lane's work: every due message of the account; then the seconds until
        the next look (the soonest retry, and in any case a look a while later: mail queued
        by `tui-mail send` meanwhile)."""
        outbox = self.outbox(account, store)
        with self._lock:
            asked = sorted(self._copy_now.pop(account.name, ()))
        # the copy may have been saved meanwhile (its scheduled retry): nothing left to try
        asked = [i for i in asked if getattr(store.queues.outbox_get(i), "state", "")
                 == OutboxState.ACCEPTED]
        deliveries: list[Delivery] = []
        if asked:  # copies to Sent the user retries now, whatever their backoff says
            for delivery in asyncio.run(outbox.flush(ids=asked)):
                deliveries.append(delivery)
                self._tell_delivery(account, delivery, asked=True)
        for delivery in asyncio.run(outbox.flush()):
            deliveries.append(delivery)
            self._tell_delivery(account, delivery)
        self.report_outbox()
        if any(d.saved_to_sent for d in deliveries) and not any(
                f.role is FolderRole.SENT for f in store.folders(account.name)):
            worker = self.worker(account.name)  # a Sent made just now: into the tree
            if worker is not None:
                worker.request(Job.SYNC_ALL)
        retry = self._next_retry(store, account.name)
        if any(d.busy for d in deliveries):  # another program is sending this account's mail
            retry = min(retry if retry is not None else BUSY_RETRY, BUSY_RETRY)
        look = self.settings.outbox_look
        return min(retry if retry is not None else look, look)

    def _after_accepted(self, account: Account, store: Store, entry: OutboxItem) -> None:
        """The original marked answered (queued: the worker replays it at once), the server
        draft gone; the interface re-reads the folders that changed."""
        from tui_mail.sync.after_send import after_accepted

        folders = after_accepted(store, account, entry)
        worker = self.worker(account.name)
        if folders and worker is not None:
            worker.request(Job.REPLAY)
        for folder in folders:
            self._emit(FolderChanged(account.name, folder))

    def _tell_delivery(self, account: Account, delivery: Delivery, *,
                       asked: bool = False) -> None:
        """One notice per thing the user should know; `asked`: the user retried this one."""
        entry = delivery.entry_id
        if delivery.busy:
            log.info("%s: outbox #%s waits: another tui-mail is sending", account.name, entry)
            if asked:
                self._emit(Notice(account.name, f"Not tried now: {delivery.error}", "warning"))
        elif delivery.sent and delivery.copy_error:
            self._tell_not_saved(account, delivery, asked)
        elif delivery.sent and delivery.copy_retry:
            self._told_not_saved.discard(entry)
            log.info("%s: outbox #%s saved to Sent", account.name, entry)
            note = delivery.warning
            self._emit(Notice(account.name, "The sent message is now saved to Sent"
                              f"{f' ({note})' if note else ''}.",
                              "warning" if note else "information"))
        elif delivery.sent:
            note = delivery.warning or delivery.error
            log.info("%s: outbox #%s sent%s", account.name, entry, f" ({note})" if note else "")
            self._emit(Notice(account.name, f"Sent{f' ({note})' if note else ''}.",
                              "warning" if note else "information"))
        elif delivery.unsure:
            log.warning("%s: outbox #%s may have been sent: %s", account.name, entry,
                        delivery.error)
            self._emit(Notice(account.name, "A message may have been sent already (an "
                              "attempt was interrupted): the outbox (O) asks you to send it "
                              "again or drop it.", "warning"))
        elif delivery.temporary:
            log.warning("%s: outbox #%s not sent yet: %s", account.name, entry, delivery.error)
            if entry not in self._told_waiting:  # each retry fails alike: said once
                self._told_waiting.add(entry)
                self._emit(Notice(account.name, "Not sent yet: it is kept in the outbox and "
                                  f"sent as soon as possible ({delivery.error})", "warning"))
        else:
            log.warning("%s: outbox #%s not sent: %s", account.name, entry, delivery.error)
            self._emit(Notice(account.name, f"Kept in the outbox: {delivery.error}", "error"))

    def _tell_not_saved(self, account: Account, delivery: Delivery, asked: bool) -> None:
        """Sent, but the copy to Sent failed: said when it happens and when the user retried;
        a scheduled retry that fails alike is only logged."""
        from tui_mail.mail.sanitize import sanitize_line

        entry = delivery.entry_id
        reason = sanitize_line(delivery.copy_error).rstrip(".")
        log.warning("%s: outbox #%s sent, but not saved to Sent: %s", account.name, entry,
                    reason)
        if delivery.copy_retry and entry in self._told_not_saved and not asked:
            return
        self._told_not_saved.add(entry)
        when = ""
        if delivery.next_attempt_at is not None:
            when = f" at {delivery.next_attempt_at.astimezone():%H:%M}"
        first = "Still not saved to Sent" if delivery.copy_retry else \
            "Sent, but not saved to Sent"
        others = [note for note in (delivery.error, delivery.warning) if note]
        extra = f" Also: {'; '.join(others)}." if others else ""
        self._emit(Notice(account.name, f"{first}: {reason}. The copy is tried again{when}, "
                          f"or now with r in the outbox (O); the message is not sent again."
                          f"{extra}", "warning"))

    @staticmethod
    def _next_retry(store: Store, account: str) -> float | None:
        """Seconds until the account's next outbox attempt (a retry, or a copy to Sent to try
        again) is due, if any waits."""
        from datetime import UTC, datetime

        moments = [e.next_attempt_at for e in store.queues.outbox_list(account)
                   if e.state in (OutboxState.FAILED, OutboxState.ACCEPTED)
                   and e.next_attempt_at is not None]
        if not moments:
            return None
        soonest = min(m if m.tzinfo else m.replace(tzinfo=UTC) for m in moments)
        return max(0.0, (soonest - datetime.now(UTC)).total_seconds())

    def report_outbox(self) -> None:
        """Tell how many messages wait (to be sent, or retried) and how many are held for
        the user (refused, or perhaps sent already); accepted ones have gone."""
        if self._stopped:
            return
        try:
            with self._lock:
                counts = self.store.queues.outbox_counts()
        except TuiMailError:  # the cache is in trouble: that is said where it is met
            return
        held = counts.get(OutboxState.HELD, 0) + counts.get(OutboxState.UNSURE, 0)
        gone = counts.get(OutboxState.ACCEPTED, 0)
        unsaved = 0
        if gone:  # sent ones: those whose copy to Sent failed wait for its retry
            try:
                with self._lock:
                    unsaved = sum(1 for e in self.store.queues.outbox_list() if e.not_saved)
            except TuiMailError:
                return
        self._emit(OutboxStatus(sum(counts.values()) - held - gone, held, unsaved))

    def retry_outbox(self, entry_id: int) -> None:
        """Send this message again now (a held or unsure one too: the user decided); for one
        that was sent but not saved to Sent, only the copy is tried again. Raises TuiMailError
        when it is being sent right now or has already gone."""
        with self._lock:
            entry = self.store.queues.outbox_get(entry_id)
            if entry is None:
                raise TuiMailError(f"outbox: no message #{entry_id}")
            if entry.not_saved:
                self._copy_now.setdefault(entry.account, set()).add(entry_id)
            elif not self.store.queues.outbox_requeue(entry_id):
                raise TuiMailError("it is being sent right now, or has already been sent")
        self.report_outbox()
        self.deliver_soon(entry.account)

    def drop_outbox(self, entry_id: int) -> None:
        """Remove a message from the outbox: it is not sent. Raises TuiMailError while an
        attempt at it is under way, or once it has gone."""
        with self._lock:
            if not self.store.queues.outbox_remove_waiting(entry_id):
                raise TuiMailError("it is being sent right now, or has already been sent")
        self.report_outbox()

    def outbox_to_draft(self, entry_id: int) -> str:
        """Take a message out of the outbox as a local draft (to edit it); its draft key.
        Out of the outbox first (an attempt claims its entry, so it is either sent or taken
        out, never both), then kept as a draft. Raises TuiMailError when it is being sent or
        has already gone."""
        with self._lock:
            entry = self.store.queues.outbox_get(entry_id)
            if entry is None:
                raise TuiMailError(f"outbox: no message #{entry_id}")
            if entry.state in OUTBOX_UNDER_WAY or not self.store.queues.outbox_remove_waiting(entry_id):
                raise TuiMailError("it is being sent right now, or has already been sent")
            key = entry.message_id or _message_id_of(entry.raw) or f"outbox-{entry_id}"
            self.store.queues.save_draft(entry.account, key, entry.raw)
        self.report_outbox()
        return key

    # ---- drafts ---------------------------------------------------------------------------

    def learn_gossip(self, account: str, seconds: int, keys: dict[str, bytes]) -> None:
        """Keys an encrypted message of `account` gossiped (Autocrypt), as the reader found
        them when it decrypted it: the cache keeps them for its peers. What it says of the
        user's own addresses is not kept (their key is theirs, not someone else's word)."""
        configured = self.accounts.get(account)
        if configured is None or configured.autocrypt is AutocryptMode.OFF:
            return  # an account that does not take part in Autocrypt learns nothing
        own = {identity.address.email.lower() for identity in configured.all_identities}
        keys = {address: key for address, key in keys.items() if address.lower() not in own}
        if not keys:
            return
        with self._lock:
            self.store.note_gossip(account, seconds, keys)

    def index_decrypted(self, account: str, folder: str, message_id: int,
                        plaintext: bytes) -> bool:
        """An encrypted message the reader decrypted: its text into the search index and its
        real Subject into the list, when the account allows it (`cache_decrypted`); blocking,
        a worker thread's call. False when it does not."""
        configured = self.accounts.get(account)
        if configured is None or not configured.cache_decrypted:
            return False
        with self._lock:
            indexed = self.store.index_decrypted(message_id, plaintext)
        if indexed:
            self._emit(FolderChanged(account, folder))
        return indexed

    def forget_decrypted(self) -> None:
        """Take decrypted text out of the index for each account that does not allow it (any
        more): the user turned `cache_decrypted` off. Blocking (a thread's call at start)."""
        for account in self.accounts.values():
            if account.cache_decrypted:
                continue
            with self._lock:
                folders = self.store.forget_decrypted(account.name)
            for folder in sorted(folders):
                log.info("%s/%s: decrypted text taken out of the search index", account.name,
                         folder)
                self._emit(FolderChanged(account.name, folder))

    def save_draft_locally(self, account: str, key: str, raw: bytes) -> None:
        """The autosave: the cache only."""
        with self._lock:
            self.store.queues.save_draft(account, key, raw)

    def save_draft(self, account: Account, key: str, raw: bytes) -> bool:
        """Save locally now and to the server's Drafts folder in the background; False when
        the account has no server folder for drafts."""
        self.save_draft_locally(account.name, key, raw)
        worker = self.worker(account.name)
        if worker is None or account.incoming.protocol is not Protocol.IMAP:
            return False
        worker.draft(DraftJob("save", key, raw))
        return True

    def forget_draft(self, key: str) -> None:
        """A draft the user threw away: gone locally now, and from the server's Drafts
        folder (where a ctrl+s put it) in the background."""
        with self._lock:
            owner = self.store.queues.draft_owner(key)
            self.store.queues.delete_draft(key)
        account = self.accounts.get(owner) if owner is not None else None
        worker = self.worker(account.name) if account is not None else None
        if worker is not None and account is not None \
                and account.incoming.protocol is Protocol.IMAP:
            worker.draft(DraftJob("discard", key))

def _done(raw: bytes) -> Future[bytes]:
    future: Future[bytes] = Future()
    future.set_result(raw)
    return future


def _failed(error: BaseException) -> Future[bytes]:
    future: Future[bytes] = Future()
    future.set_exception(error)
    return future



def _message_id_of(raw: bytes) -> str:
    from tui_mail.mail.headers import parse_headers

    return parse_headers(raw).message_id
