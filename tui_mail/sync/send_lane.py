"""An account's outbox on a thread of its own.

Sending talks to another server (SMTP) than the rest of the account's work, and an SMTP server
that does not answer costs its whole timeout at each try: on the account's worker that would
hold up new mail, replays and everything else. So delivery runs here, one attempt at a time,
when asked or when the next retry is due.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tui_mail.errors import TuiMailError
from tui_mail.store.db import Store
from tui_mail.sync.events import EventSink, Notice

log = logging.getLogger(__name__)


class SendLane:
    """Runs `deliver(store)` for one account: now, or at the time it last asked for (its
    return value: seconds until it wants to run again, None for "only when asked")."""

    def __init__(self, account: str, store_path: Path,
                 deliver: Callable[[Store], float | None], emit: EventSink) -> None:
        self.account = account
        self.store_path = store_path
        self._deliver = deliver
        self._emit = emit
        self._cond = threading.Condition()
        self._due: float | None = None
        self._busy = False
        self._stopped = False
        self._thread: threading.Thread | None = None

    def request(self, delay: float = 0.0) -> None:
        """Deliver after `delay` seconds (sooner if it was due sooner already)."""
        at = time.monotonic() + delay
        with self._cond:
            if self._stopped:
                return
            if self._due is None or at < self._due:
                self._due = at
            self._cond.notify_all()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name=f"send-{self.account}")
                self._thread.start()

    @property
    def busy(self) -> bool:
        """Delivering right now."""
        with self._cond:
            return self._busy

    def quiet(self) -> bool:
        """Not sending now, and nothing due now."""
        with self._cond:
            return not self._busy and (self._due is None or self._due > time.monotonic())

    def stop(self, timeout: float = 0.0) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _wait(self) -> bool:
        """Until a delivery is due (True), or the lane stops (False)."""
        with self._cond:
            while not self._stopped:
                now = time.monotonic()
                if self._due is not None and self._due <= now:
                    self._due = None
                    self._busy = True
                    return True
                self._cond.wait(None if self._due is None else self._due - now)
            return False

    def _run(self) -> None:
        try:
            store = Store.open(self.store_path)
        except TuiMailError as exc:
            self._emit(Notice(self.account, str(exc), "error"))
            return
        try:
            while self._wait():
                after: float | None = None
                try:
                    after = self._deliver(store)
                except TuiMailError as exc:
                    self._emit(Notice(self.account, f"Sending stopped: {exc}", "error"))
                except Exception as exc:  # a defect: said, and the lane goes on
                    log.exception("%s: delivering the outbox failed", self.account)
                    self._emit(Notice(self.account, "Sending stopped by an internal error: "
                                      f"{type(exc).__name__}: {exc}", "error"))
                finally:
                    with self._cond:
                        self._busy = False
                if after is not None:
                    self.request(after)
        finally:
            store.close()
