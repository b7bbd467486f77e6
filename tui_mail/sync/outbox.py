"""Outbox delivery: a message is in the cache's outbox before any network call, and leaves it
only once the server has accepted it for every recipient.

Row states (tui_mail.store.types.OutboxState):
- `queued`: waiting for its first attempt.
- `sending`: an attempt is under way; `next_attempt_at` is the end of its lease.
- `failed`: a temporary failure (4xx, network); tried again from `next_attempt_at` (backoff).
- `held`: a permanent failure (5xx, refused recipients, login, TLS, too large); kept with the
  server's words until the user edits or retries it.

Killed after the server accepted, before the row was updated: the row is left in `sending`.
Whoever next finds it in `sending` with its lease expired does not resend blindly: the copy in
Sent is APPENDed right after acceptance, so it searches the Sent folder for the Message-ID
(UID SEARCH HEADER Message-ID). Found: the message went out; the row is removed. Not found:
it is sent again. What remains is the window between the server's 250 and the end of the
APPEND (normally well under a second): a kill there sends the message twice. Accounts without
IMAP (POP3, or the server saves sent mail in a folder we cannot see) cannot check; their row
goes to `held` with a note saying it may already have been sent, and is resent only when the
user asks (`tui-mail outbox retry ID`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from tui_mail.errors import TuiMailError
from tui_mail.mail.compose import Composed
from tui_mail.model import Account, FolderRole
from tui_mail.model import Protocol as MailProtocol
from tui_mail.remote.connection import Credentials
from tui_mail.store.types import OutboxItem, OutboxState

QUEUED = OutboxState.QUEUED.value
SENDING = OutboxState.SENDING.value
RETRY = OutboxState.FAILED.value  # temporary: retried at next_attempt_at
HELD = OutboxState.HELD.value  # permanent: waits for the user

SENDING_LEASE = 900  # seconds an attempt may take before its `sending` row counts as abandoned
BACKOFF_FIRST = 60
BACKOFF_MAX = 3600


class OutboxStore(Protocol):
    """The part of tui_mail.store.Store the outbox uses."""

    def outbox_add(
        self, account: str, raw: bytes, mail_from: str, rcpts: Sequence[str], message_id: str
    ) -> int: ...

    def outbox_get(self, entry_id: int) -> OutboxItem | None: ...

    def outbox_list(self, account: str | None = None) -> Sequence[OutboxItem]: ...

    def outbox_set_state(
        self, entry_id: int, state: str, error: str | None, next_attempt_at: datetime | None
    ) -> None: ...

    def outbox_remove(self, entry_id: int) -> None: ...


@dataclass(frozen=True)
class OutboxEvent:
    """Progress of one delivery, for the UI and the CLI: stage is one of sending, accepted,
    saved, done, failed (temporary), held (permanent), recovered."""

    entry_id: int
    stage: str
    detail: str = ""


@dataclass(frozen=True)
class Delivery:
    """What happened to one outbox entry."""

    entry_id: int
    sent: bool
    error: str = ""
    temporary: bool = False
    refused: dict[str, str] = field(default_factory=dict)
    saved_to_sent: bool = False
    already_sent: bool = False  # found in Sent while recovering an abandoned attempt
    warning: str = ""
    remaining_id: int | None = None  # new entry for recipients still to be reached


def backoff(attempts: int) -> int:
    """Seconds before the next try after `attempts` failed ones: 1, 2, 4 ... minutes, at most 1 h."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def read_attachments(paths: Sequence[Path]) -> dict[Path, bytes]:
    """The bytes of each attachment file, with an error naming a file that cannot be read."""
    data: dict[Path, bytes] = {}
    for path in paths:
        try:
            data[path] = path.read_bytes()
        except OSError as exc:
            raise TuiMailError(f"attachment {str(path)!r}: cannot read it: {exc.strerror or exc}") from None
    return data


class Outbox:
    """Queue and deliver one account's outgoing mail.

    `smtp_credentials` and `imap_credentials` are called only when a connection is needed
    (they may run a password command). `clock` returns Unix seconds.
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
    ) -> None:
        self.store = store
        self.account = account
        self._smtp_credentials = smtp_credentials
        self._imap_credentials = imap_credentials
        self._clock = clock
        self._on_event = on_event

    # --- queueing --------------------------------------------------------------------------

    def queue(self, composed: Composed) -> int:
        """Write the message to the outbox (before any network call); returns its id."""
        return self.store.outbox_add(
            self.account.name, composed.raw, composed.mail_from, list(composed.rcpts),
            composed.message_id,
        )

    def entries(self) -> list[OutboxItem]:
        return list(self.store.outbox_list(self.account.name))

    def due(self, *, ignore_backoff: bool = False) -> list[OutboxItem]:
        """Entries to try now: queued ones, retries whose time has come, abandoned attempts."""
        now = self._now()
        out: list[OutboxItem] = []
        for entry in self.entries():
            waiting_until = _seconds(entry.next_attempt_at)
            if entry.state == QUEUED or (
                entry.state == RETRY and (ignore_backoff or waiting_until <= now)
            ) or (entry.state == SENDING and waiting_until <= now):
                out.append(entry)
        return out

    async def flush(self, *, ignore_backoff: bool = False) -> list[Delivery]:
        """Deliver every due entry, one after the other. `held` ones wait for an explicit deliver()."""
        return [await self.deliver(entry.id) for entry in self.due(ignore_backoff=ignore_backoff)]

    # --- delivery --------------------------------------------------------------------------

    async def deliver(self, entry_id: int) -> Delivery:
        """One attempt at one entry. Never raises for a delivery failure: the entry keeps the
        error and the returned Delivery says what happened."""
        entry = self.store.outbox_get(entry_id)
        if entry is None:
            raise TuiMailError(f"outbox: no message #{entry_id}")
        if entry.state == SENDING:
            if _seconds(entry.next_attempt_at) > self._now():
                return Delivery(entry_id, sent=False, temporary=True,
                                error="another attempt is in progress")
            recovered = await self._recover(entry)
            if recovered is not None:
                return recovered
        return await self._attempt(entry)

    async def _attempt(self, entry: OutboxItem) -> Delivery:
        from tui_mail.remote import smtp

        self.store.outbox_set_state(entry.id, SENDING, entry.last_error, self._at(SENDING_LEASE))
        self._emit(entry.id, SENDING)
        rcpts = list(entry.rcpts)
        try:
            if self.account.smtp is not None:
                if self._smtp_credentials is None:
                    raise TuiMailError(f"account {self.account.name!r}: no SMTP credentials given")
                result = await smtp.send(
                    self.account.smtp, self._smtp_credentials(), entry.mail_from, rcpts, entry.raw
                )
            elif self.account.sendmail_command:
                result = await smtp.send_with_command(
                    self.account.sendmail_command, entry.mail_from, rcpts, entry.raw
                )
            else:
                raise TuiMailError(
                    f"account {self.account.name!r} has no [smtp] server and no sendmail_command"
                )
        except smtp.SendFailed as exc:
            return self._failed(entry, str(exc), temporary=exc.temporary, refused=exc.refused)
        except TuiMailError as exc:
            return self._failed(entry, str(exc), temporary=False)
        self._emit(entry.id, "accepted", ", ".join(result.accepted))
        saved, warning = await self._save_copy(entry.raw)
        if saved:
            self._emit(entry.id, "saved")
        remaining_id = None
        if result.refused:
            remaining_id = self._keep_refused(entry, result.refused)
        self.store.outbox_remove(entry.id)
        self._emit(entry.id, "done")
        return Delivery(
            entry.id, sent=True, refused=dict(result.refused), saved_to_sent=saved,
            warning=warning, remaining_id=remaining_id,
            error=_refused_message(result.refused) if result.refused else "",
        )

    def _failed(
        self, entry: OutboxItem, error: str, *, temporary: bool, refused: dict[str, str] | None = None
    ) -> Delivery:
        if temporary:
            wait = backoff((entry.attempts or 0) + 1)  # the store counts this failure
            self.store.outbox_set_state(entry.id, RETRY, error, self._at(wait))
            self._emit(entry.id, RETRY, error)
        else:
            self.store.outbox_set_state(entry.id, HELD, error, None)
            self._emit(entry.id, HELD, error)
        return Delivery(entry.id, sent=False, error=error, temporary=temporary,
                        refused=dict(refused or {}))

    def _keep_refused(self, entry: OutboxItem, refused: dict[str, str]) -> int:
        """The message went to the others; only the refused recipients stay in the outbox."""
        new_id = self.store.outbox_add(
            self.account.name, entry.raw, entry.mail_from, list(refused), entry.message_id
        )
        temporary = all(words[:1] == "4" for words in refused.values())
        error = _refused_message(refused)
        if temporary:
            self.store.outbox_set_state(new_id, RETRY, error, self._at(backoff(1)))
        else:
            self.store.outbox_set_state(new_id, HELD, error, None)
        return new_id

    async def _recover(self, entry: OutboxItem) -> Delivery | None:
        """An attempt was abandoned in `sending`: was the message sent? None means "send it"."""
        if not self._can_see_sent():
            note = (
                "an earlier attempt was interrupted and this account has no IMAP Sent folder to "
                f"check, so the message may already have been sent. `tui-mail outbox retry {entry.id}` "
                "sends it again"
            )
            self.store.outbox_set_state(entry.id, HELD, note, None)
            self._emit(entry.id, HELD, note)
            return Delivery(entry.id, sent=False, error=note)
        try:
            found = await asyncio.to_thread(self._sent_has, entry.message_id)
        except TuiMailError as exc:
            error = f"cannot check the Sent folder for an interrupted attempt: {exc}"
            self.store.outbox_set_state(entry.id, SENDING, error, self._at(backoff(1)))
            return Delivery(entry.id, sent=False, error=error, temporary=True)
        if not found:
            return None
        self.store.outbox_remove(entry.id)
        self._emit(entry.id, "recovered", "found in Sent: it was already sent")
        return Delivery(entry.id, sent=True, already_sent=True, saved_to_sent=True)

    # --- the Sent folder -------------------------------------------------------------------

    def _can_see_sent(self) -> bool:
        return (
            self.account.incoming.protocol is MailProtocol.IMAP
            and self._imap_credentials is not None
            and (not self.account.server_saves_sent or FolderRole.SENT in self.account.folders)
        )

    async def _save_copy(self, raw: bytes) -> tuple[bool, str]:
        """APPEND to Sent with \\Seen; a failure here is a warning, never a resend."""
        if self.account.server_saves_sent:
            return False, ""
        if self.account.incoming.protocol is not MailProtocol.IMAP or self._imap_credentials is None:
            return False, ""
        try:
            await asyncio.to_thread(self._append_sent, raw)
        except TuiMailError as exc:
            return False, f"sent, but the copy could not be saved to Sent: {exc}"
        return True, ""

    def _imap(self) -> Any:
        from tui_mail.remote.imap import ImapBackend

        assert self._imap_credentials is not None
        return ImapBackend.open(self.account.incoming, self._imap_credentials())

    def _append_sent(self, raw: bytes) -> None:
        backend = self._imap()
        try:
            folder = backend.role_folder(FolderRole.SENT, self.account.folders.get(FolderRole.SENT))
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


def _refused_message(refused: dict[str, str]) -> str:
    named = "; ".join(f"{rcpt}: {words}" for rcpt, words in refused.items())
    return f"the server refused {len(refused)} recipient(s): {named}"
