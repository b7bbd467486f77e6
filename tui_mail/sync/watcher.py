"""Push for one folder (IMAP IDLE on its own connection) plus a periodic STATUS check of others.

`Watcher` runs in its own daemon thread with its own connection (imapclient is not
thread-safe). It only *notices* changes: it emits `FolderChanged(account, folder)` and the
caller runs a sync of that folder (in another worker) to bring the cache up to date.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from tui_mail.errors import ServerRefused, TuiMailError
from tui_mail.model import Account
from tui_mail.remote.backend import FolderStatus
from tui_mail.remote.imap import ImapBackend
from tui_mail.sync.events import EventSink, FolderChanged, SyncError, SyncProgress

IDLE_RENEW_SECONDS = 25 * 60  # RFC 2177: re-issue before the server's 30-minute timeout
_CHANGE_WORDS = (b"EXISTS", b"EXPUNGE", b"FETCH", b"VANISHED", b"RECENT")


class Watcher:
    """Watch `folder` with IDLE and poll `others` with STATUS every `poll_seconds`."""

    def __init__(
        self,
        account: Account,
        connect: Callable[[], ImapBackend],
        on_event: EventSink,
        folder: str = "INBOX",
        others: Sequence[str] = (),
        *,
        poll_seconds: float = 120.0,
        renew_seconds: float = IDLE_RENEW_SECONDS,
        max_backoff: float = 60.0,
    ) -> None:
        self.account = account
        self.folder = folder
        self.others = tuple(o for o in others if o != folder)
        self._connect = connect
        self._emit = on_event
        self._poll = poll_seconds
        self._renew = renew_seconds
        self._max_backoff = max_backoff
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen: dict[str, FolderStatus] = {}
        self.idling = threading.Event()  # set while an IDLE is in progress (tests wait on it)
        self.gave_up = False  # the server cannot or will not be watched: do not start again

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"watch-{self.account.name}-{self.folder}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to end (it notices within about a second) and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        """Connect and watch until stopped; reconnect after a lost connection (backing off).
        A server without IDLE, or one that refuses (a login or the IDLE itself), ends the
        watch for good (`gave_up`): retrying would only hammer it; periodic syncs remain."""
        delay = 1.0
        failed = False
        while not self._stop.is_set():
            backend: ImapBackend | None = None
            try:
                backend = self._connect()
                if "IDLE" not in backend.capabilities:
                    self.gave_up = True
                    return
                delay = 1.0
                if failed:  # connected again: say so (the status line showed the error)
                    self._emit(SyncProgress(self.account.name, self.folder, 1, 1))
                    failed = False
                self._watch(backend)
            except ServerRefused as exc:
                self.gave_up = True
                self._emit(SyncError(self.account.name, f"new mail is not pushed: {exc}",
                                     self.folder))
                return
            except TuiMailError as exc:
                failed = True
                self._emit(SyncError(self.account.name, str(exc), self.folder))
                self._stop.wait(delay)
                delay = min(delay * 2, self._max_backoff)
            finally:
                self.idling.clear()
                if backend is not None:
                    backend.close()

    def _watch(self, backend: ImapBackend) -> None:
        next_poll = time.monotonic()
        while not self._stop.is_set():
            if self.others and time.monotonic() >= next_poll:
                self._check_others(backend)
                next_poll = time.monotonic() + self._poll
            backend.idle_start(self.folder)
            self.idling.set()
            renew_at = time.monotonic() + self._renew
            changed = False
            try:
                while not self._stop.is_set():
                    now = time.monotonic()
                    if now >= renew_at or (self.others and now >= next_poll):
                        break
                    responses = backend.idle_wait(timeout=1.0)
                    if any(_is_change(r) for r in responses):
                        changed = True
                        break
            finally:
                self.idling.clear()
                responses = backend.idle_stop()
            if changed or any(_is_change(r) for r in responses):
                self._emit(FolderChanged(self.account.name, self.folder))

    def _check_others(self, backend: ImapBackend) -> None:
        for name in self.others:
            status = backend.status(name)
            before = self._seen.get(name)
            self._seen[name] = status
            if before is not None and before != status:
                self._emit(FolderChanged(self.account.name, name))


def _is_change(response: object) -> bool:
    return isinstance(response, tuple) and any(
        isinstance(part, bytes) and part.upper() in _CHANGE_WORDS for part in response
    )
