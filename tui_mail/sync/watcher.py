"""Push for one folder (IMAP IDLE on its own connection) plus a periodic STATUS check of others.

`Watcher` runs in its own daemon thread with its own connection (imapclient is not
thread-safe). It only *notices* changes: it calls `on_change(folder)` and its owner syncs that
folder (in another thread) to bring the cache up to date.

It does not reconnect by itself: when its connection is lost it calls `on_lost(error)` and
ends. Its owner (the account's worker in `sync.service`) retries the server with one backoff
for all of the account's work and starts a new watcher once the server answers again, so a
server restart brings IDLE back as soon as the account is back online.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from tui_mail.errors import ConnectError, ServerRefused, TuiMailError
from tui_mail.model import Account
from tui_mail.remote.backend import FolderStatus
from tui_mail.remote.imap import ImapBackend

# RFC 2177 asks for a new IDLE before the server's 30 minutes run out; a connection that died
# without a word (a laptop's sleep, a changed network) shows only when DONE gets no answer,
# so it is renewed more often than that.
IDLE_RENEW_SECONDS = 5 * 60
_CHANGE_WORDS = (b"EXISTS", b"EXPUNGE", b"FETCH", b"VANISHED", b"RECENT")
_BYE = b"BYE"

log = logging.getLogger(__name__)


class Watcher:
    """Watch `folder` with IDLE and poll `others` with STATUS every `poll_seconds`.

    Ends when stopped, when the connection is lost (`on_lost` with the error: the owner
    reconnects), or when the server cannot or will not be watched (`gave_up`, with the reason
    in `on_lost` too: a server without IDLE, or one refusing it, is not asked again).
    """

    def __init__(
        self,
        account: Account,
        connect: Callable[[], ImapBackend],
        on_change: Callable[[str], None],
        on_lost: Callable[[TuiMailError], None],
        folder: str = "INBOX",
        others: Sequence[str] = (),
        *,
        poll_seconds: float = 120.0,
        renew_seconds: float = IDLE_RENEW_SECONDS,
    ) -> None:
        self.account = account
        self.folder = folder
        self.others = tuple(o for o in others if o != folder)
        self._connect = connect
        self._on_change = on_change
        self._on_lost = on_lost
        self._poll = poll_seconds
        self._renew = renew_seconds
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
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        backend: ImapBackend | None = None
        try:
            backend = self._connect()
            if "IDLE" not in backend.capabilities:
                self.gave_up = True
                log.info("%s: the server has no IDLE; new mail comes with the periodic sync",
                         self.account.name)
                return
            log.info("%s: watching %s with IDLE", self.account.name, self.folder)
            self._watch(backend)
        except ServerRefused as exc:
            self.gave_up = True
            log.warning("%s: IDLE refused: %s", self.account.name, exc)
            self._on_lost(ServerRefused(f"new mail is not pushed: {exc}"))
        except TuiMailError as exc:
            if not self._stop.is_set():
                log.info("%s: the IDLE connection was lost: %s", self.account.name, exc)
                self._on_lost(exc)
        finally:
            self.idling.clear()
            if backend is not None:
                backend.close()

    def _watch(self, backend: ImapBackend) -> None:
        next_poll = time.monotonic()
        caught_up = False
        while not self._stop.is_set():
            if self.others and time.monotonic() >= next_poll:
                self._check_others(backend)
                next_poll = time.monotonic() + self._poll
            backend.idle_start(self.folder)
            if not caught_up:
                # IDLE tells of what comes after it starts. Mail that came after the sync
                # that brought this watcher, but before this connection (its login, a token
                # to renew) had selected the folder, was told to nobody until the next
                # scheduled sync: one look now closes that gap.
                caught_up = True
                self._on_change(self.folder)
            self.idling.set()
            renew_at = time.monotonic() + self._renew
            changed = False
            try:
                while not self._stop.is_set():
                    now = time.monotonic()
                    if now >= renew_at or (self.others and now >= next_poll):
                        break
                    responses = backend.idle_wait(timeout=1.0)
                    if any(_is_bye(r) for r in responses):
                        raise ConnectError(
                            f"{self.account.name}: the server closed the IDLE connection "
                            f"({_bye_text(responses)})")
                    if any(_is_change(r) for r in responses):
                        changed = True
                        break
            except TuiMailError:
                self.idling.clear()
                raise  # the connection is gone: DONE would only fail again
            self.idling.clear()
            responses = backend.idle_stop()
            if changed or any(_is_change(r) for r in responses):
                self._on_change(self.folder)

    def _check_others(self, backend: ImapBackend) -> None:
        for name in self.others:
            status = backend.status(name)
            before = self._seen.get(name)
            self._seen[name] = status
            if before is not None and before != status:
                self._on_change(name)


def _is_change(response: object) -> bool:
    return isinstance(response, tuple) and any(
        isinstance(part, bytes) and part.upper() in _CHANGE_WORDS for part in response
    )


def _is_bye(response: object) -> bool:
    return isinstance(response, tuple) and bool(response) and response[0] == _BYE


def _bye_text(responses: Sequence[object]) -> str:
    for response in responses:
        if _is_bye(response):
            assert isinstance(response, tuple)
            words = b" ".join(p for p in response[1:] if isinstance(p, bytes))
            return words.decode("utf-8", "replace") or "BYE"
    return "BYE"
