"""The search text of downloaded bodies, extracted in worker processes during a bulk download.

`extract.body_text` (parse, render, collect attachment names) is most of the CPU a body costs,
and it holds the GIL: in the downloading process it would leave one core to everything. A
`TextPool` hands batches of raw messages to worker processes (`text_worker`, a fresh
interpreter that loads only the extraction code, never a copy of the app) and gives each
batch's results back through a Future. With `workers=0` it extracts in the calling thread,
which is what a download of a few bodies does (starting a process costs more than a few
bodies).

Plain pipes and `marshal` frames rather than `multiprocessing`: no resource-tracker process
(12 MiB), no pickling thread, no re-import of the program's main module in each worker.
Each worker has a thread that writes its batches (the caller never blocks on a busy worker)
and one that reads its answers, in order.

Memory: the caller bounds what is in flight (`TextPool.busy`); a worker holds one batch.
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

from tui_mail.cores import usable_cores
from tui_mail.errors import TuiMailError
from tui_mail.store.extract import BodyText
from tui_mail.sync.text_worker import (
    Extracted,
    FetchedItem,
    Job,
    extract_batch,
    prepare_batch,
    read_frame,
    write_frame,
)

Batch = Future[list[Extracted | None]]
# A worker's answer as `marshal` reads it back: a value of no declared type, whose shape is
# the one the job's function (`text_worker.run_batch`) gives.
Answer = Future[Any]
_T = TypeVar("_T")
log = logging.getLogger(__name__)
NO_TEXT = BodyText(text="", attachment_names="", has_attachment=False)


def as_body_text(extracted: Extracted | None) -> BodyText:
    if extracted is None:
        return NO_TEXT
    text, names, attached = extracted
    return BodyText(text=text, attachment_names=names, has_attachment=attached)


# The worker's start, run with -I (isolated: no current directory, no PYTHON* variables, no
# user site on its path): a mail client often runs where attachments are saved, and `-m` would
# import an `email/` or `zstandard.py` lying there. The worker resolves modules exactly as this
# process does, from the path handed to it; SIGINT is ignored before any import (Ctrl-C is
# left to the parent).
_BOOT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "sys.path[:] = os.environ.pop('TUI_MAIL_WORKER_PATH').split(os.pathsep); "
    "from tui_mail.sync.text_worker import main; main()"
)
_STDERR_KEPT = 2000  # characters of a dead worker's stderr put into the log


def worker_command() -> tuple[list[str], dict[str, str]]:
    """The command line and environment of a `text_worker` process."""
    env = dict(os.environ)
    env["TUI_MAIL_WORKER_PATH"] = os.pathsep.join(p for p in sys.path if p)
    return [sys.executable, "-I", "-c", _BOOT], env


class _Worker:
    """One `text_worker` process and its two pipe threads.

    Its stderr goes to a temporary file, never to the terminal (the interface draws on it);
    what a dead worker said there is logged."""

    def __init__(self, number: int) -> None:
        command, env = worker_command()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._stderr, env=env, close_fds=True)
        self.waiting: deque[Answer] = deque()  # sent, answer not read yet (in order)
        self.dead: TuiMailError | None = None  # set once the worker has stopped
        self._lock = threading.Lock()
        self._to_send: queue.Queue[tuple[bytes, Answer] | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._send, name=f"text-pool-in-{number}", daemon=True),
            threading.Thread(target=self._receive, name=f"text-pool-out-{number}", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    @property
    def in_flight(self) -> int:
        return len(self.waiting) + self._to_send.qsize()

    def submit(self, batch: Job) -> Answer:
        """The batch's future; failed at once when the worker has stopped."""
        future: Answer = Future()
        with self._lock:
            if self.dead is None:
                self.waiting.append(future)
                self._to_send.put((marshal.dumps(batch), future))
                return future
        future.set_exception(self.dead)
        return future

    def _send(self) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        try:
            while (item := self._to_send.get()) is not None:
                write_frame(stdin, item[0])
        except OSError:
            pass  # the worker is gone: _receive fails what waits
        finally:
            with contextlib.suppress(OSError):
                stdin.close()

    def _receive(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        try:
            while (payload := read_frame(stdout)) is not None:
                with self._lock:
                    future = self.waiting.popleft()
                future.set_result(marshal.loads(payload))
        except Exception:  # noqa: BLE001 - a damaged frame: whatever waits fails below
            log.exception("reading a text worker's answer")
            with contextlib.suppress(OSError):
                self.proc.kill()
        code = self.proc.wait()
        error = TuiMailError("the process extracting the search text of downloaded messages "
                             f"stopped (exit code {code})")
        with self._lock:
            self.dead = error
            futures = list(self.waiting)
            self.waiting.clear()
        if futures and code != 0:
            log.warning("text worker %d exited with %d: %s", self.proc.pid, code, self._said())
        for future in futures:
            if not future.done():
                future.set_exception(error)

    def _said(self) -> str:
        """The end of what the worker wrote on stderr."""
        try:
            self._stderr.seek(0, os.SEEK_END)
            size = self._stderr.tell()
            self._stderr.seek(max(0, size - _STDERR_KEPT))
            return self._stderr.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def close(self, kill: bool = False) -> None:
        self._to_send.put(None)
        if kill:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for thread in self._threads:
            thread.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._stderr.close()


class TextPool:
    """Batches of raw messages in, their extracted text out, in worker processes or inline."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._workers: list[_Worker] = []
        self._started = False

    def _start(self) -> None:
        """The worker processes, started with the first batch: a download that yields before
        any body arrived (the interface's, when a sync waits) starts none."""
        self._started = True
        try:
            for n in range(self.workers):
                self._workers.append(_Worker(n))
        except BaseException:
            self.close(abandon=True)
            raise

    @property
    def live_pids(self) -> list[int]:
        """The process ids of the workers still running (none before the first batch): what
        a memory watcher, or a test, may stop."""
        return [w.proc.pid for w in self._workers if w.dead is None]

    @property
    def busy(self) -> int:
        """How many batches may be in flight before the caller should wait for the oldest:
        one being extracted and one waiting per worker."""
        return max(1, 2 * self.workers)

    def submit(self, raws: Sequence[bytes]) -> Batch:
        """The batch goes to the least busy live worker; with none (none asked for, or all
        stopped: killed for memory, say) it is extracted here, and the download goes on."""
        batch = list(raws)
        sent = self._to_worker(batch)
        return sent if sent is not None else _answered(extract_batch(batch))

    def submit_prepare(self, items: Sequence[FetchedItem]) -> Future[list[tuple[Any, ...] | None]]:
        """Whole fetched messages (raw, INTERNALDATE in unix seconds, listed size) to the
        packed values of their cache rows (`text_worker.prepare_batch`), the same way."""
        batch = list(items)
        sent = self._to_worker(("prepare", batch))
        return sent if sent is not None else _answered(prepare_batch(batch))

    def _to_worker(self, batch: Job) -> Answer | None:
        """The batch sent to the least busy live worker; None when there is none."""
        if not self._started:
            self._start()
        live = [w for w in self._workers if w.dead is None]
        if live:
            return min(live, key=lambda w: w.in_flight).submit(batch)
        return None

    def close(self, *, abandon: bool = False) -> None:
        """Stop the workers: after their batches, or at once (`abandon`: the caller has
        stopped and waits for nothing)."""
        workers, self._workers = self._workers, []
        for worker in workers:
            worker.close(kill=abandon)

    def __enter__(self) -> TextPool:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        self.close(abandon=kind is not None)


POOL_MAX = 2  # worker processes at most

def pool_workers() -> int:
    """Worker processes extracting text in a large download: one per core, at most POOL_MAX
    (each is about 20 MiB: the download's memory stays bounded on a machine of many cores)."""
    return min(POOL_MAX, usable_cores())


def _answered(value: _T) -> Future[_T]:
    """A future that holds `value` already (a batch extracted in the calling thread)."""
    future: Future[_T] = Future()
    future.set_result(value)
    return future
