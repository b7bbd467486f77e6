"""Outbox delivery: a message is in the cache's outbox before any network call, and reaches its
recipients exactly once, even if the process is killed (SIGKILL included) at any instant.

A message is delivered the moment the server has read the final "." of DATA. Every state is
recorded in the cache at the instant it becomes true, so that whoever finds a row later knows
what may have happened to it (tui_mail.store.types.OutboxState):

- `queued`: waiting for its first attempt.
- `sending`: an SMTP session is under way, the end of DATA has not been written. Abandoned
  here, nothing was delivered: it is sent again.
- `committing`: recorded after the content has been written and right before the final dot
  (remote.smtp.send's `before_end`); the outcome is unknown until the server answers. Abandoned
  here, the message may have been delivered: the Sent folder is searched for its Message-ID
  (a server that saves sent mail itself has it there), and when it is not found the row
  becomes `unsure`. It is never sent again blindly.
- `accepted`: recorded the moment the server answers 250 (one short transaction, which also
  keeps refused recipients in a new entry). What remains are separate steps, each retried on
  its own and none of them a resend: (a) the copy to Sent (the folder is searched for the
  Message-ID first, so a kill between the APPEND and the row's update makes no second copy);
  (b) the caller's `on_accepted(entry)` (the app flags the original \\Answered/$Forwarded and
  removes the draft from the server); then the row is removed. A failed copy leaves the row in
  `accepted` with the reason (`last_error`) and a backoff (`next_attempt_at`): the message went
  out, it is not in Sent yet (the Delivery's `copy_error`). A flush retries only the copy once
  the time comes, and `deliver(id)` at once. The callback runs once per entry (`notified`), and
  again only if a kill interrupted it.
- `failed`: a temporary failure (4xx, network); tried again from `next_attempt_at` (backoff).
- `held`: a permanent failure (5xx, refused recipients, login, TLS, too large); kept with the
  server's words until the user edits or retries it.
- `unsure`: may have been sent (killed in `committing`, or the connection was lost after the
  dot). Kept for the user, who sends it again (`deliver(id)`, `tui-mail outbox retry ID`) or
  drops it (`tui-mail outbox drop ID`).

Ownership: whoever delivers an account's outbox holds that account's outbox lock (a
`ProcessLock` under the data folder, released by the kernel when its process dies) for the
whole `flush()`/`deliver()`. Only the holder writes `sending`/`committing`/`accepted`, so when
the lock is taken, a row found in one of them was abandoned by a dead process and is recovered
at once. Another process holding the lock makes `deliver()`/`flush()` return at once with
`Delivery.busy` (temporary: the rows are untouched). Threads of one process wait for each other.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from tui_mail.errors import AuthError, TuiMailError
from tui_mail.mail.compose import Composed
from tui_mail.model import Account, FolderRole
from tui_mail.model import Protocol as MailProtocol
from tui_mail.remote.connection import Credentials
from tui_mail.store.types import OutboxItem, OutboxState
from tui_mail.sync.proclock import ProcessLock, lock_path
from tui_mail.sync.retry import connection_delay

QUEUED = OutboxState.QUEUED.value
SENDING = OutboxState.SENDING.value
COMMITTING = OutboxState.COMMITTING.value
ACCEPTED = OutboxState.ACCEPTED.value
RETRY = OutboxState.FAILED.value  # temporary: retried at next_attempt_at
HELD = OutboxState.HELD.value  # permanent: waits for the user
UNSURE = OutboxState.UNSURE.value  # may have been sent: waits for the user
NOT_SAVED = "not_saved"  # event stage: sent, but the copy to Sent failed (detail: the reason)

BACKOFF_FIRST = 60
BACKOFF_MAX = 3600
ORIGIN_KINDS = ("reply", "forward")

BUSY = "another tui-mail is sending this account's mail now; try again when it is done"
UNSURE_NOTE = "may have been sent: send it again, or drop it"
INTERRUPTED = ("an attempt was interrupted after the whole message had been handed to the "
               "server, before the server answered")


class OutboxRows(Protocol):
    """The outbox's rows in the cache (`tui_mail.store.queues.Queues`)."""

    def outbox_add(
        self, account: str, raw: bytes, mail_from: str, rcpts: Sequence[str], message_id: str,
        origin_message_id: str = "", origin_kind: str = "",
    ) -> int: ...

    def outbox_get(self, entry_id: int) -> OutboxItem | None: ...

    def outbox_list(self, account: str | None = None) -> Sequence[OutboxItem]: ...

    def outbox_set_state(
        self, entry_id: int, state: str, error: str | None, next_attempt_at: datetime | None
    ) -> None: ...

    def outbox_accept(
        self, entry_id: int, refused: Iterable[str] = (), refused_state: str = HELD,
        refused_error: str | None = None, refused_next_attempt_at: datetime | None = None,
    ) -> int | None: ...

    def outbox_set_notified(self, entry_id: int) -> None: ...

    def outbox_requeue(self, entry_id: int) -> bool: ...

    def outbox_claim(self, entry_id: int) -> bool: ...

    def outbox_remove_waiting(self, entry_id: int) -> bool: ...

    def outbox_remove(self, entry_id: int) -> None: ...


class OutboxStore(Protocol):
    """The part of tui_mail.store.Store the outbox uses: its file (the send lock is made
    beside it) and the outbox rows of its queues."""

    @property
    def path(self) -> Path: ...

    @property
    def queues(self) -> OutboxRows: ...


@dataclass(frozen=True)
class OutboxEvent:
    """Progress of one delivery, for the UI and the CLI: stage is one of sending, committing,
    accepted, saved, not_saved (the copy to Sent failed), done, failed (temporary), held
    (permanent), unsure, recovered."""

    entry_id: int
    stage: str
    detail: str = ""


@dataclass(frozen=True)
class Delivery:
    """What happened to one outbox entry.

    `sent`: the server accepted it (now or in an earlier attempt: `already_sent`; `copy_retry`
    when this attempt was only the copy to Sent, the message having gone out before).
    `unsure`: it may have been sent; it is held as `unsure` for the user. `busy`: another
    process is delivering this account's mail, nothing was tried. `temporary`: it stays in the
    outbox and is tried again from `next_attempt_at`; `unreachable`: because the server could
    not be reached at all (the caller may try sooner, as soon as it answers). `copy_error`:
    sent, but the copy to Sent failed, for this reason; the entry stays (`accepted`) and only
    the copy is tried again from `next_attempt_at`. `warning`: another step after acceptance
    (the on_accepted callback) failed; the message went out all the same.
    """

    entry_id: int
    sent: bool
    error: str = ""
    temporary: bool = False
    refused: dict[str, str] = field(default_factory=dict)
    saved_to_sent: bool = False
    already_sent: bool = False
    warning: str = ""
    remaining_id: int | None = None  # new entry for recipients still to be reached
    unsure: bool = False
    busy: bool = False
    next_attempt_at: datetime | None = None
    unreachable: bool = False
    copy_error: str = ""
    copy_retry: bool = False


OnAccepted = Callable[[OutboxItem], None]


def backoff(attempts: int) -> int:
    """Seconds before the next try after `attempts` failed ones: 1, 2, 4 ... minutes, at most 1 h."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


_thread_locks: dict[Path, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


def _thread_lock(path: Path) -> threading.Lock:
    """One lock per lock file within this process: its threads take turns instead of finding
    each other's flock taken (which means another process)."""
    with _thread_locks_guard:
        return _thread_locks.setdefault(path, threading.Lock())


class Outbox:
    """Queue and deliver one account's outgoing mail.

    `smtp_credentials` and `imap_credentials` are called only when a connection is needed
    (they may run a password command). `clock` returns Unix seconds. The account's outbox
    lock lives under `data_dir` (default: the folder of the store's file).

    `on_accepted(entry)` runs once the server has accepted an entry, after the copy to Sent,
    in a worker thread (it may block on the network); `entry.origin_message_id` and
    `entry.origin_kind` name the message replied to or forwarded. It runs once per entry, and
    again after a kill interrupted it, so it must be harmless to repeat. A TuiMailError it
    raises becomes the Delivery's warning and blocks nothing. It must not deliver this
    account's outbox itself (the lock is held while it runs).
    """

    def __init__(
        self,
        store: OutboxStore,
        account: Account,
        *,
        smtp_credentials: Callable[[], Credentials] | None = None,
        imap_credentials: Callable[[], Credentials] | None = None,
        clock: Callable[[], float] = time.time,
        on_event: Callable[[OutboxEvent], None] | None = None,
        on_accepted: OnAccepted | None = None,
        data_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.account = account
        self._smtp_credentials = smtp_credentials
        self._imap_credentials = imap_credentials
        self._clock = clock
        self._on_event = on_event
        self._on_accepted = on_accepted
        folder = Path(data_dir) if data_dir is not None else Path(store.path).parent
        # resolved: two spellings of one folder must name one lock (see _thread_lock)
        self.lock_path = lock_path(folder.resolve(), "outbox", account.name)

    # --- queueing --------------------------------------------------------------------------

    def queue(self, composed: Composed, origin: tuple[str, str] | None = None) -> int:
        """Write the message to the outbox (before any network call); returns its id.

        `origin` is (Message-ID, 'reply' | 'forward') of the message this one answers or
        forwards, handed back to `on_accepted` once the server took it."""
        origin_id, kind = origin if origin is not None else ("", "")
        if kind and kind not in ORIGIN_KINDS:
            raise ValueError(f"origin kind must be one of {ORIGIN_KINDS}, not {kind!r}")
        return self.store.queues.outbox_add(
            self.account.name, composed.raw, composed.mail_from, list(composed.rcpts),
            composed.message_id, origin_id if kind else "", kind,
        )

    def requeue(self, entry_id: int) -> bool:
        """Make a failed, held or unsure entry due now: the next flush sends it (again, for an
        unsure one: the user decided). False when it is being sent or already went out."""
        return self.store.queues.outbox_requeue(entry_id)

    def drop(self, entry_id: int) -> bool:
        """Remove an entry for good (it is not sent; an accepted one: its copy to Sent is not
        made). False, and nothing removed, while an attempt at it is under way; other entries
        of the account being sent meanwhile do not matter (an attempt claims its entry first)."""
        return self.store.queues.outbox_remove_waiting(entry_id)

    def entries(self) -> list[OutboxItem]:
        return list(self.store.queues.outbox_list(self.account.name))

    def due(self, *, ignore_backoff: bool = False) -> list[OutboxItem]:
        """Entries a flush works on now: queued ones, retries whose time has come, and accepted
        ones whose copy to Sent is to be tried again. In-flight rows are not listed: they are
        another process's, or abandoned ones the next lock holder recovers first."""
        now = self._now()
        out: list[OutboxItem] = []
        for entry in self.entries():
            if entry.state == QUEUED or (
                entry.state in (RETRY, ACCEPTED)
                and (ignore_backoff or _seconds(entry.next_attempt_at) <= now)
            ):
                out.append(entry)
        return out

    async def flush(
        self, *, ignore_backoff: bool = False, ids: Sequence[int] | None = None,
        on_delivery: Callable[[Delivery], None] | None = None,
    ) -> list[Delivery]:
        """Deliver every due entry (or the entries `ids`, whatever their state), one after
        the other under the account's outbox lock; abandoned attempts are recovered first.
        `held` and `unsure` entries wait for an explicit `ids`/deliver(). `on_delivery` hears
        each result as it comes. With the lock held by another process: one `busy` Delivery
        per entry that would be tried, and nothing else."""
        out: list[Delivery] = []

        def report(delivery: Delivery) -> None:
            out.append(delivery)
            if on_delivery is not None:
                on_delivery(delivery)

        async with self._locked() as mine:
            if not mine:
                wanted = list(ids) if ids is not None else [
                    e.id for e in self.entries() if e.state in (QUEUED, RETRY, SENDING, COMMITTING)]
                for entry_id in wanted:
                    report(self._busy(entry_id))
                return out
            tried: set[int] = set()
            for delivery in await self._recover_abandoned():
                tried.add(delivery.entry_id)
                if ids is None or delivery.entry_id in ids:
                    report(delivery)
            if ids is not None:
                for entry_id in ids:
                    if entry_id in tried:
                        continue
                    tried.add(entry_id)
                    entry = self.store.queues.outbox_get(entry_id)
                    if entry is None:
                        report(Delivery(entry_id, sent=False, error=_gone(entry_id)))
                    else:
                        report(await self._deliver_locked(entry))
                return out
            while True:  # rows queued meanwhile are taken too
                entry = next((e for e in self.due(ignore_backoff=ignore_backoff)
                              if e.id not in tried), None)
                if entry is None:
                    return out
                tried.add(entry.id)
                report(await self._deliver_locked(entry))

    # --- delivery --------------------------------------------------------------------------

    async def deliver(self, entry_id: int) -> Delivery:
        """One attempt at one entry, whatever its state: `held` and `unsure` ones are sent
        again (the user asked), an `accepted` one only gets its remaining steps, one found
        interrupted after its dot is resolved (Sent, or `unsure`) and not sent. Never raises
        for a delivery failure: the entry keeps the error and the Delivery says what happened."""
        if self.store.queues.outbox_get(entry_id) is None:
            raise TuiMailError(f"outbox: no message #{entry_id}")
        async with self._locked() as mine:
            if not mine:
                return self._busy(entry_id)
            for delivery in await self._recover_abandoned():
                if delivery.entry_id == entry_id:
                    return delivery  # found interrupted: that is its outcome, not a new attempt
            entry = self.store.queues.outbox_get(entry_id)
            if entry is None:
                raise TuiMailError(_gone(entry_id))
            return await self._deliver_locked(entry)

    @asynccontextmanager
    async def _locked(self) -> AsyncIterator[bool]:
        """Hold the account's outbox lock: True, or False when another process holds it."""
        local = _thread_lock(self.lock_path)
        while not local.acquire(blocking=False):
            await asyncio.sleep(0.05)
        try:
            lock = ProcessLock(self.lock_path)
            if not lock.acquire():
                yield False
                return
            try:
                yield True
            finally:
                lock.release()
        finally:
            local.release()

    async def _deliver_locked(self, entry: OutboxItem) -> Delivery:
        if entry.state == ACCEPTED:  # it went out in an earlier attempt: only the copy is left
            return await self._finish(entry, already_sent=True, copy_retry=True)
        if entry.state == COMMITTING:  # recovered when the lock was taken; kept for safety
            return await self._resolve_uncertain(entry, INTERRUPTED)
        return await self._attempt(entry)

    async def _attempt(self, entry: OutboxItem) -> Delivery:
        from tui_mail.remote import smtp

        if not self.store.queues.outbox_claim(entry.id):  # dropped, or taken out to be edited
            return Delivery(entry.id, sent=False, error=_gone(entry.id))
        self._emit(entry.id, SENDING)
        reply: dict[str, Any] = {}  # filled once the server accepted

        def before_end() -> None:
            self.store.queues.outbox_set_state(entry.id, COMMITTING, entry.last_error, None)
            self._emit(entry.id, COMMITTING)

        def accepted(result: smtp.SendResult) -> None:
            reply["accepted"] = True
            reply["remaining_id"] = self._record_accepted(entry, result.refused)
            self._emit(entry.id, "accepted", ", ".join(result.accepted))

        rcpts = list(entry.rcpts)
        try:
            if self.account.smtp is not None:
                if self._smtp_credentials is None:
                    raise TuiMailError(f"account {self.account.name!r}: no SMTP credentials given")
                # A credentials lookup may run a command or renew an OAuth2 token over HTTP:
                # never on the event loop.
                creds = await asyncio.to_thread(self._smtp_credentials)
                result = await smtp.send(
                    self.account.smtp, creds, entry.mail_from, rcpts,
                    entry.raw, before_end=before_end, on_accepted=accepted,
                )
            elif self.account.sendmail_command:
                result = await smtp.send_with_command(
                    self.account.sendmail_command, entry.mail_from, rcpts, entry.raw,
                    before_end=before_end,
                )
                accepted(result)
            else:
                raise TuiMailError(
                    f"account {self.account.name!r} has no [smtp] server and no sendmail_command"
                )
        except smtp.OutcomeUnknown as exc:
            return await self._resolve_uncertain(self._reread(entry), str(exc))
        except TuiMailError as exc:
            if reply:  # accepted, then recording it failed: the row (`committing`) tells the truth
                raise
            if isinstance(exc, smtp.SendFailed):
                return self._failed(entry, str(exc), temporary=exc.temporary, refused=exc.refused,
                                    unreachable=exc.unreachable)
            # A login the server could not check right now is tried again; a refused one
            # waits for the user.
            return self._failed(entry, str(exc),
                                temporary=isinstance(exc, AuthError) and exc.temporary)
        done = await self._finish(self._reread(entry), already_sent=False)
        if not result.refused:
            return done
        return replace(done, refused=dict(result.refused), remaining_id=reply["remaining_id"],
                       error=_refused_message(result.refused))

    def _record_accepted(self, entry: OutboxItem, refused: dict[str, str]) -> int | None:
        """`accepted`, in one transaction with the entry that keeps the refused recipients."""
        if not refused:
            self.store.queues.outbox_accept(entry.id)
            return None
        temporary = all(words[:1] == "4" for words in refused.values())
        return self.store.queues.outbox_accept(
            entry.id, list(refused), refused_state=RETRY if temporary else HELD,
            refused_error=_refused_message(refused),
            refused_next_attempt_at=self._at(backoff(1)) if temporary else None,
        )

    def _failed(
        self, entry: OutboxItem, error: str, *, temporary: bool,
        refused: dict[str, str] | None = None, unreachable: bool = False,
    ) -> Delivery:
        when = None
        if temporary:
            attempts = (entry.attempts or 0) + 1  # the store counts this failure
            # Unreachable: tried again on the connection schedule (seconds), so that mail
            # leaves as soon as the server is back; a server's 4xx: on the slow backoff.
            when = self._at(connection_delay(attempts) if unreachable else backoff(attempts))
            self.store.queues.outbox_set_state(entry.id, RETRY, error, when)
            self._emit(entry.id, RETRY, error)
        else:
            self.store.queues.outbox_set_state(entry.id, HELD, error, None)
            self._emit(entry.id, HELD, error)
        return Delivery(entry.id, sent=False, error=error, temporary=temporary,
                        refused=dict(refused or {}), next_attempt_at=when,
                        unreachable=unreachable)

    def _busy(self, entry_id: int) -> Delivery:
        return Delivery(entry_id, sent=False, error=BUSY, temporary=True, busy=True)

    # --- after acceptance, and recovery ----------------------------------------------------

    async def _finish(self, entry: OutboxItem, *, already_sent: bool,
                      copy_retry: bool = False) -> Delivery:
        """The steps after acceptance: the copy to Sent, the caller's callback, then the row
        leaves the outbox (or waits in `accepted`, with the reason, to try the copy again)."""
        warnings: list[str] = []
        saved = False
        copy_error = ""
        if self._copies_to_sent():
            try:
                await asyncio.to_thread(self._copy_to_sent, entry.raw, entry.message_id)
            except TuiMailError as exc:
                copy_error = str(exc) or type(exc).__name__
            else:
                saved = True
                self._emit(entry.id, "saved")
        if not entry.notified:
            if self._on_accepted is not None:
                try:
                    await asyncio.to_thread(self._on_accepted, entry)
                except TuiMailError as exc:
                    warnings.append(f"sent, but {exc}")
            self.store.queues.outbox_set_notified(entry.id)
        warning = "; ".join(warnings)
        when = None
        if copy_error:
            when = self._at(backoff(entry.attempts + 1))
            self.store.queues.outbox_set_state(entry.id, ACCEPTED, copy_error, when)
            self._emit(entry.id, NOT_SAVED, copy_error)
        else:
            self.store.queues.outbox_remove(entry.id)
        self._emit(entry.id, "done", warning)
        return Delivery(entry.id, sent=True, already_sent=already_sent, saved_to_sent=saved,
                        warning=warning, next_attempt_at=when, copy_error=copy_error,
                        copy_retry=copy_retry)

    async def _recover_abandoned(self) -> list[Delivery]:
        """With the lock just taken: every row in flight was abandoned by a dead process."""
        out: list[Delivery] = []
        for entry in self.entries():
            if entry.state == SENDING:  # the dot was never written: nothing was delivered
                self.store.queues.outbox_set_state(entry.id, QUEUED, entry.last_error, None)
                self._emit(entry.id, "recovered", "interrupted before the end of the message")
            elif entry.state == COMMITTING:
                out.append(await self._resolve_uncertain(entry, INTERRUPTED))
            elif entry.state == ACCEPTED and entry.next_attempt_at is None:
                self._emit(entry.id, "recovered", "accepted by the server before an interruption")
                out.append(await self._finish(entry, already_sent=True))
        return out

    async def _resolve_uncertain(self, entry: OutboxItem, why: str) -> Delivery:
        """The whole message reached the server and its answer was lost. Found in Sent (a
        server that saves sent mail puts it there on acceptance): it went out. Otherwise it
        waits for the user as `unsure`; it is never sent again blindly."""
        if self._can_see_sent() and not entry.partial:
            try:
                found = await asyncio.to_thread(self._sent_has, entry.message_id)
            except TuiMailError as exc:
                found = False
                why += f"; the Sent folder could not be checked: {exc}"
            if found:
                self.store.queues.outbox_accept(entry.id)
                self._emit(entry.id, "recovered", "found in Sent: it was sent")
                return await self._finish(self._reread(entry), already_sent=True)
        note = f"{UNSURE_NOTE} ({why})"
        self.store.queues.outbox_set_state(entry.id, UNSURE, note, None)
        self._emit(entry.id, UNSURE, note)
        return Delivery(entry.id, sent=False, error=note, unsure=True)

    def _reread(self, entry: OutboxItem) -> OutboxItem:
        return self.store.queues.outbox_get(entry.id) or entry

    # --- the Sent folder -------------------------------------------------------------------

    def _has_imap(self) -> bool:
        return (self.account.incoming.protocol is MailProtocol.IMAP
                and self._imap_credentials is not None)

    def _copies_to_sent(self) -> bool:
        return self._has_imap() and not self.account.server_saves_sent

    def _can_see_sent(self) -> bool:
        return self._has_imap() and (
            not self.account.server_saves_sent or FolderRole.SENT in self.account.folders)

    def _imap(self) -> Any:
        from tui_mail.remote.imap import ImapBackend

        assert self._imap_credentials is not None
        return ImapBackend.open(self.account.incoming, self._imap_credentials())

    def _copy_to_sent(self, raw: bytes, message_id: str) -> None:
        """APPEND to Sent with \\Seen, unless a copy is there already (a kill between an earlier
        APPEND and the row's update, or the rest of a partly refused message)."""
        backend = self._imap()
        try:
            folder = backend.role_folder(FolderRole.SENT, self.account.folders.get(FolderRole.SENT))
            if message_id and backend.find_message_id(folder, message_id):
                return
            backend.ensure_folder(folder)
            backend.append(folder, raw, ["\\Seen"])
        finally:
            backend.close()

    def _sent_has(self, message_id: str) -> bool:
        if not message_id:
            return False
        backend = self._imap()
        try:
            folder = backend.role_folder(FolderRole.SENT, self.account.folders.get(FolderRole.SENT))
            return bool(backend.find_message_id(folder, message_id))
        finally:
            backend.close()

    # --- helpers ---------------------------------------------------------------------------

    def _now(self) -> float:
        return self._clock()

    def _at(self, seconds_from_now: float) -> datetime:
        return datetime.fromtimestamp(self._now() + seconds_from_now, tz=UTC)

    def _emit(self, entry_id: int, stage: str, detail: str = "") -> None:
        if self._on_event is not None:
            self._on_event(OutboxEvent(entry_id, stage, detail))


def _seconds(moment: datetime | None) -> float:
    """Unix seconds of a stored time (naive values are taken as UTC); None is "now"."""
    if moment is None:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _gone(entry_id: int) -> str:
    return (f"outbox: message #{entry_id} is no longer in the outbox (another attempt sent it, "
            "or it was deleted)")


def _refused_message(refused: dict[str, str]) -> str:
    named = "; ".join(f"{rcpt}: {words}" for rcpt, words in refused.items())
    return f"the server refused {len(refused)} recipient(s): {named}"
