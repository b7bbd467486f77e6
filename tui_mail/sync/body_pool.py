"""The search text of downloaded bodies, extracted in worker processes during a bulk download.

`extract.body_text` (parse, render, collect attachment names) is most of the CPU a body costs,
and it holds the GIL: in the downloading process it would leave one core to everything. A
`TextPool` hands batches of raw messages to worker processes (started with "spawn": a fresh
interpreter that imports only the extraction code, never a copy of the app) and gives the
results back in the order asked. With `workers=0` it extracts in the calling thread, which is
what a download of a few bodies does (starting a process costs more than a few bodies).

Memory: the caller bounds what is in flight (`TextPool.busy`); each worker holds one batch.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from tui_mail.store.extract import BodyText

Extracted = tuple[str, str, bool]  # BodyText's fields: small to send back between processes


def _quiet_worker() -> None:
    """Ctrl-C goes to the whole process group: the parent stops the pool, the workers say
    nothing (no traceback of each)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import tui_mail.store.extract  # noqa: F401 - loaded once, before the first batch


def extract_batch(raws: Sequence[bytes]) -> list[Extracted | None]:
    """What a worker runs: the text of each message of a batch; None for a message whose
    extraction failed (a defect: the message is kept all the same, without search text,
    rather than the batch and the download failing with it)."""
    from tui_mail.store.extract import body_text

    out: list[Extracted | None] = []
    for raw in raws:
        try:
            body = body_text(raw)
        except Exception:  # noqa: BLE001 - see above; the caller logs it
            out.append(None)
            continue
        out.append((body.text, body.attachment_names, body.has_attachment))
    return out


NO_TEXT = BodyText(text="", attachment_names="", has_attachment=False)


def as_body_text(extracted: Extracted | None) -> BodyText:
    if extracted is None:
        return NO_TEXT
    text, names, attached = extracted
    return BodyText(text=text, attachment_names=names, has_attachment=attached)


class TextPool:
    """Batches of raw messages in, their `BodyText`s out, in worker processes or inline."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        if workers > 0:
            import multiprocessing

            self._executor = ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_quiet_worker)

    @property
    def busy(self) -> int:
        """How many batches may be in flight before the caller should wait for the oldest:
        one being extracted and one queued per worker."""
        return max(1, 2 * self.workers)

    def submit(self, raws: Sequence[bytes]) -> Future[list[Extracted | None]]:
        if self._executor is not None:
            return self._executor.submit(extract_batch, list(raws))
        future: Future[list[Extracted | None]] = Future()
        try:
            future.set_result(extract_batch(raws))
        except Exception as exc:  # noqa: BLE001 - given to whoever waits, as a worker's would be
            future.set_exception(exc)
        return future

    def close(self) -> None:
        """Stop the workers; batches not started are dropped (the caller has stopped)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> TextPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
