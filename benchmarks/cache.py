"""Cache benchmark: import N generated messages, then time the list and search paths.

    python benchmarks/cache.py --count 100000 [--dir /tmp/cachebench] [--keep]

Prints the import rate, the database size, and median / p95 over 20 runs of: the first screen
(50 newest summaries), a jump to the oldest 50, a window in the middle, and five searches.
Reads go through a read-only Store, as the UI does. Targets at 100k: list < 5 ms,
searches < 30 ms median.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_messages import generate, write_mbox  # noqa: E402

from tui_mail.store import Store, View  # noqa: E402
from tui_mail.store.importer import import_path  # noqa: E402

RUNS = 20


def timed(fn: Callable[[], object]) -> tuple[float, float, int]:
    times = []
    size = 0
    fn()  # warm the page cache once, like a second screen would find it
    for _ in range(RUNS):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
        size = len(result) if hasattr(result, "__len__") else 0  # type: ignore[arg-type]
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], size


def main() -> None:
    ap = argparse.ArgumentParser(description="tui-mail cache benchmark")
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--workers", type=int, default=2, help="parsing processes for the import")
    ap.add_argument("--keep", action="store_true", help="keep the database and mbox")
    ap.add_argument("--reuse", action="store_true", help="reuse an existing database in --dir")
    ap.add_argument(
        "--reuse-mbox", action="store_true", help="import an existing mail.mbox in --dir again"
    )
    args = ap.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="tui-mail-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    db_path = work / "cache.db"
    mbox = work / "mail.mbox"

    if not (args.reuse and db_path.exists()):
        for p in work.glob("cache.db*"):
            p.unlink()
        if not (args.reuse_mbox and mbox.exists()):
            t0 = time.perf_counter()
            write_mbox(mbox, generate(args.count, seed=7))
            print(
                f"generated {args.count} messages ({mbox.stat().st_size / 1e6:.0f} MB mbox)"
                f" in {time.perf_counter() - t0:.1f} s"
            )
        store = Store.open(db_path)
        t0 = time.perf_counter()
        result = import_path(store, mbox, "bench", "INBOX", workers=args.workers)
        elapsed = time.perf_counter() - t0
        store.close()
        print(
            f"import: {result.added} messages in {elapsed:.1f} s"
            f" = {result.added / elapsed:.0f} messages/s",
            flush=True,
        )
    size = sum(p.stat().st_size for p in work.glob("cache.db*"))
    print(f"database: {size / 1e6:.0f} MB (with WAL)")

    reader = Store.open(db_path, readonly=True)
    folder = reader.folder("bench", "INBOX")
    assert folder is not None
    view = View.of(folder)
    total = reader.count(view)
    cases: list[tuple[str, Callable[[], object]]] = [
        ("first screen (50 newest)", lambda: reader.page(view, 0, 50)),
        ("oldest 50", lambda: reader.page(view, total - 50, 50)),
        ("middle 50 (id list cached)", lambda: reader.page(view, total // 2, 50)),
        ("search common word: the", lambda: reader.search("the")),
        ("search rare word: narwhal", lambda: reader.search("narwhal")),
        ('search phrase: "release plan"', lambda: reader.search('"release plan"')),
        ("search from:user1@ + word", lambda: reader.search("from:user1@example.com server")),
        ("search date range + word", lambda: reader.search("date:2022-01..2022-06 budget")),
        ("search is:unread from:user3", lambda: reader.search("is:unread from:user3")),
        ("search prefix: kube*", lambda: reader.search("kube*")),
        (
            "search folder:INBOX is:unread + word",
            lambda: reader.search("in:INBOX is:unread budget"),
        ),
        ("search is:unread (no text)", lambda: reader.search("is:unread")),
        ("search in:INBOX is:unread (no text)", lambda: reader.search("in:INBOX is:unread")),
        ("search date range (no text)", lambda: reader.search("date:2022-01..2022-06")),
        ("search is:flagged has:attachment", lambda: reader.search("is:flagged has:attachment")),
    ]
    t0 = time.perf_counter()
    reader.page(View.of(folder), total // 3, 50)
    print(
        f"first middle jump (loads the id list of {total}): "
        f"{(time.perf_counter() - t0) * 1000:.1f} ms"
    )
    print(f"{'case':40} {'median ms':>10} {'p95 ms':>10} {'rows':>6}")
    for name, fn in cases:
        med, p95, rows = timed(fn)
        print(f"{name:40} {med:10.2f} {p95:10.2f} {rows:6}")
    reader.close()
    if not args.keep and args.dir is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
