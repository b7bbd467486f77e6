"""Locks held by a live process: work that two programs on one cache must not do at once.

The TUI and a `tui-mail` command can run beside each other on one cache. Some work must have
one owner at a time: delivering an account's outbox (a message sent twice cannot be unsent),
downloading an account's bodies in the background (the same bytes fetched twice). A lock
file under the data folder, held with `flock`, gives that owner. The kernel releases it when
the process ends, however it ends (SIGKILL included), so a killed owner never blocks the
next one: no lease that must time out first.

Within one process the lock is also exclusive between threads (each `ProcessLock` opens its
own file description, and flock locks of two descriptions conflict).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import time
from pathlib import Path
from types import TracebackType

from tui_mail.errors import CacheError


def lock_path(data_dir: Path, purpose: str, account: str) -> Path:
    """`DATA/locks/PURPOSE-ACCOUNT.lock`; odd account names get a readable, unique file name."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", account)[:40]
    if safe != account:
        safe += "-" + hashlib.sha1(account.encode()).hexdigest()[:8]
    return Path(data_dir) / "locks" / f"{purpose}-{safe}.lock"


class ProcessLock:
    """An exclusive lock on `path` for as long as this process (and this object) holds it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, wait: float = 0.0) -> bool:
        """Take the lock, waiting up to `wait` seconds; False if another holder kept it."""
        if self._fd is not None:
            return True
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise CacheError(f"cannot create the lock file {self.path}: {exc.strerror or exc}"
                             ) from None
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                time.sleep(0.05)
                continue
            except OSError as exc:
                os.close(fd)
                raise CacheError(f"cannot lock {self.path}: {exc.strerror or exc}") from None
            self._fd = fd
            self._note_owner()
            return True

    def _note_owner(self) -> None:
        """The holder's pid in the file, for a person looking at it (the lock is the flock)."""
        assert self._fd is not None
        try:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:
            pass  # a full disk must not stop the work the lock protects

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def __enter__(self) -> ProcessLock:
        self.acquire(wait=float("inf"))
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()
