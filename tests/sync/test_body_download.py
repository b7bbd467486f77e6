"""A download of many bodies (`download_bodies` with its reader thread and text pool) against
the suite's Dovecot: a connection lost midway keeps what was received, a download stopped to
let other work run keeps what it wrote and resumes, a text worker that dies is said."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tui_mail.errors import ConnectError, TuiMailError
from tui_mail.remote.imap import ImapBackend
from tui_mail.sync.bodies import POOL_FROM, DownloadResult, download_bodies
from tui_mail.sync.body_pool import TextPool

pytestmark = pytest.mark.servers


class CutAfter:
    """The real IMAP backend, whose connection is shut down (as a dropped network does) once
    `after` bodies have been read from it."""

    def __init__(self, backend: ImapBackend, after: int) -> None:
        self.backend = backend
        self.after = after
        self.read = 0

    def fetch_bodies(self, folder: str, uids: Sequence[int],
                     agreed_size: int = 0) -> Iterator[tuple[int, bytes]]:
        for item in self.backend.fetch_bodies(folder, uids, agreed_size):
            self.read += 1
            if self.read == self.after:
                self.backend.abort()
            yield item


def synced(dovecot, make_harness, message, count: int):  # noqa: ANN201
    h = make_harness(dovecot)
    dovecot.deliver_many(h.user, [message(i) for i in range(count)])
    assert h.sync(["INBOX"]).ok
    return h


def test_a_connection_lost_midway_keeps_every_body_received_and_the_next_run_ends_it(
        dovecot, make_harness, message, tmp_path: Path) -> None:
    count = POOL_FROM + 50  # enough for the text pool's worker processes
    h = synced(dovecot, make_harness, message, count)
    cut = CutAfter(h.connect(), after=count // 2)
    written = DownloadResult()
    with pytest.raises(ConnectError):
        download_bodies(h.store, h.account, lambda: cut, tmp_path,  # type: ignore[arg-type, return-value]
                        result=written)
    cut.backend.close()
    missing, _ = h.store.missing_bodies(h.account.name)
    assert missing <= count - count // 2  # everything read before the cut is in the cache
    assert written.bodies == count - missing  # and counted: `sync` says how many it kept
    backend = h.connect()
    try:
        again = download_bodies(h.store, h.account, lambda: backend, tmp_path)
    finally:
        backend.close()
    assert again.finished and again.bodies == missing  # none fetched twice
    assert h.store.missing_bodies(h.account.name) == (0, 0)
    row = h.store.ids_for_uids(h.account.name, "INBOX", [count])[count]
    assert [m.id for m in h.store.listing.search(f"\"body of message {count - 1}\"")] == [row]


def test_a_download_that_yields_to_other_work_keeps_what_it_wrote_and_resumes_later(
        dovecot, make_harness, message, tmp_path: Path) -> None:
    h = synced(dovecot, make_harness, message, 300)
    asked = []

    def after_first_fetch() -> bool:
        asked.append(1)
        return len(asked) > 1

    backend = h.connect()
    try:
        first = download_bodies(h.store, h.account, lambda: backend, tmp_path,
                                should_yield=after_first_fetch)
        assert not first.finished and 0 < first.bodies < 300
        assert h.store.missing_bodies(h.account.name)[0] == 300 - first.bodies
        rest = download_bodies(h.store, h.account, lambda: backend, tmp_path)
    finally:
        backend.close()
    assert rest.finished and first.bodies + rest.bodies == 300


def test_a_text_worker_that_dies_fails_its_batches_with_words_instead_of_hanging() -> None:
    with TextPool(1) as pool:
        pool.submit([b"Subject: x\r\n\r\nstart\r\n"]).result(timeout=30)
        [pid] = pool.live_pids
        os.kill(pid, signal.SIGSTOP)  # the batch stays unanswered until the kill
        in_flight = pool.submit([b"Subject: x\r\n\r\nhello\r\n"])
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(TuiMailError, match="stopped"):
            in_flight.result(timeout=30)


def test_after_its_workers_died_the_pool_extracts_in_process_instead_of_hanging() -> None:
    with TextPool(1) as pool:
        pool.submit([b"Subject: x\r\n\r\nstart\r\n"]).result(timeout=30)
        [pid] = pool.live_pids
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while pool.live_pids:  # the pool notices its worker died
            assert time.monotonic() < deadline, "the pool never saw its worker die"
            time.sleep(0.05)
        texts = pool.submit([b"Subject: x\r\n\r\nhello\r\n"]).result(timeout=1)
    assert texts[0] is not None and "hello" in texts[0][0]


def test_a_text_worker_does_not_import_modules_from_the_current_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    planted = tmp_path / "planted"
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "__init__.py").write_text(
        f"open({str(planted)!r}, 'w').close()\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with TextPool(1) as pool:
        texts = pool.submit([b"Subject: x\r\n\r\nhello\r\n"]).result(timeout=30)
    assert texts[0] is not None and "hello" in texts[0][0]
    assert not planted.exists()


def test_a_text_pool_given_no_batch_starts_no_process() -> None:
    with TextPool(2) as pool:
        assert pool.live_pids == []


def test_the_text_pool_gives_each_batch_its_own_texts_in_order() -> None:
    raws = [f"Subject: {n}\r\n\r\nword{n} here\r\n".encode() for n in range(40)]
    with TextPool(2) as pool:
        batches = [pool.submit(raws[i:i + 10]) for i in range(0, 40, 10)]
        texts = [t for b in batches for t in b.result(timeout=30)]
    assert [t[0].split()[0] if t else None for t in texts] == [f"word{n}" for n in range(40)]
