from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.gen_messages import generate, write_maildir, write_mbox
from tests.support.cache import sql
from tui_mail.errors import CacheError
from tui_mail.model import Flags
from tui_mail.store import Store, importer
from tui_mail.store.importer import import_path, maildir_flags
from tui_mail.store.types import NewMessage

ROOT = Path(__file__).resolve().parents[2]


def test_maildir_flags_come_from_the_info_suffix() -> None:
    assert maildir_flags("123.host:2,FRS") == Flags(seen=True, answered=True, flagged=True)
    assert maildir_flags("123.host:2,") == Flags()
    assert maildir_flags("123.host") == Flags()


def test_maildir_import_keeps_flags_and_rerun_adds_nothing(store: Store, tmp_path: Path) -> None:
    write_maildir(tmp_path / "md", generate(30, seed=3))
    seen: list[int] = []
    result = import_path(store, tmp_path / "md", "local", "Old", progress=seen.append)
    assert (result.added, result.skipped, result.failed) == (30, 0, 0)
    assert seen[-1] == 30
    assert store.folder("local", "Old").unread == 10  # type: ignore[union-attr]
    again = import_path(store, tmp_path / "md", "local", "Old")
    assert (again.added, again.skipped) == (0, 30)


def test_mbox_import_reads_every_message(store: Store, tmp_path: Path) -> None:
    write_mbox(tmp_path / "m.mbox", generate(40, seed=4))
    assert import_path(store, tmp_path / "m.mbox", "local", "Box").added == 40
    assert len(store.listing.search("", limit=100)) == 40


def _rows(store: Store) -> list[tuple[object, ...]]:
    return sql(store,
        "SELECT m.local_key, m.subject, m.from_email, m.to_text, m.date, m.flags, m.preview,"
        " m.has_attachment, m.thread_id = m.id, s.body, s.attachments FROM messages m"
        " JOIN search_text s ON s.id = m.id ORDER BY m.local_key").fetchall()


def test_parsing_in_worker_processes_caches_the_same_rows(store: Store, tmp_path: Path) -> None:
    write_maildir(tmp_path / "md", generate(120, seed=6))
    seen: list[int] = []
    alone = import_path(store, tmp_path / "md", "local", "Box")
    with Store.open(tmp_path / "pooled.db") as pooled_store:
        pooled = import_path(pooled_store, tmp_path / "md", "local", "Box", batch_size=25,
                             workers=2, progress=seen.append)
        assert (alone.added, pooled.added, pooled.failed) == (120, 120, 0)
        assert seen == [25, 50, 75, 100, 120]
        assert _rows(pooled_store) == _rows(store)


def test_only_a_few_batches_are_read_ahead_of_the_one_written(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory is bounded by the work in flight: the source is read lazily, at most IN_FLIGHT
    batches ahead of the writer, however large it is."""
    write_maildir(tmp_path / "md", generate(100, seed=8))
    read = [0]
    source = importer.maildir_items

    def counted(path: Path) -> Iterator[NewMessage | None]:
        for item in source(path):
            read[0] += 1
            yield item

    monkeypatch.setattr(importer, "maildir_items", counted)
    ahead: list[int] = []
    import_path(store, tmp_path / "md", "local", "Box", batch_size=10, workers=2,
                progress=lambda done: ahead.append(read[0] - done))
    assert len(ahead) == 10 and max(ahead) <= importer.IN_FLIGHT * 10


def test_something_else_is_refused_with_its_path(store: Store, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(CacheError, match="neither a Maildir"):
        import_path(store, tmp_path / "notes.txt", "local", "X")


IMPORTER = """
import sys
from pathlib import Path
from tui_mail.store import Store
from tui_mail.store.importer import import_path
store = Store.open(Path(sys.argv[1]))
import_path(store, Path(sys.argv[2]), "local", "Big", batch_size=50,
            progress=lambda n: print(n, flush=True))
"""


@pytest.mark.timeout(120)
def test_sigkill_during_import_leaves_a_consistent_cache_and_rerun_completes(
    tmp_path: Path,
) -> None:
    count = 1000  # re-import parses only the missing ones
    mbox = tmp_path / "big.mbox"
    write_mbox(mbox, generate(count, seed=5))
    db = tmp_path / "mail.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", IMPORTER, str(db), str(mbox)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # wait until some batches are committed, then kill mid-way
        if int(line) >= 150:
            break
    time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    with Store.open(db) as store:
        assert store.integrity_ok()
        done = sql(store, "SELECT count(*) FROM messages").fetchone()[0]
        assert 0 < done < count
        assert (
            sql(store,
                "SELECT count(*) FROM messages m WHERE NOT EXISTS"
                " (SELECT 1 FROM search_text s WHERE s.id = m.id)"
                " OR NOT EXISTS (SELECT 1 FROM bodies b WHERE b.id = m.id AND b.raw IS NOT NULL)"
            ).fetchone()[0]
            == 0
        )
        # fts_docsize has a row per message in the index (counting `fts` would count the
        # content table). The integrity check cannot compare the index with search_text
        # (rank 1): the stored bodies are compressed, so it checks the index alone.
        assert sql(store, "SELECT count(*) FROM fts_docsize").fetchone()[0] == done
        sql(store, "INSERT INTO fts(fts) VALUES ('integrity-check')")
        result = import_path(store, mbox, "local", "Big")
        assert result.added == count - done
        total = sql(store, "SELECT count(*), count(DISTINCT local_key) FROM messages").fetchone()
        assert total == (count, count)
        assert store.folder("local", "Big").total == count  # type: ignore[union-attr]
