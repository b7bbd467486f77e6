"""Cache benchmark: import N generated messages, then time the list and search paths.

    python benchmarks/cache.py --count 100000 [--dir /tmp/cachebench] [--keep]
    python benchmarks/cache.py --db CACHE [--account bench --folder INBOX] [--notmuch DIR]

Prints the import rate, the database size, and median / p95 over 20 runs of: the first screen
(50 newest summaries), a jump to the oldest 50, a window in the middle, and the searches of
the table below, some of them with the account or the folder as scope (as the search bar
passes them). Reads go through a read-only Store, as the UI does. Targets at 100k: list
< 5 ms, searches < 30 ms median; at 1M (`--db` an inflated cache, see inflate_cache.py) a
search that finds nothing < 30 ms. With --notmuch (a notmuch database of the same mail), the
same questions are asked of `notmuch search` in the same run, interleaved, for the ratio. CPU
time, peak memory and the load average are printed at the end.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.gen_messages import generate, write_mbox  # noqa: E402
from tui_mail.store import Store, View  # noqa: E402
from tui_mail.store.importer import import_path  # noqa: E402

RUNS = 20


def timed(fn: Callable[[], object], runs: int = RUNS) -> tuple[float, float, int]:
    times = []
    size = 0
    fn()  # warm the page cache once, like a second screen would find it
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
        size = len(result) if hasattr(result, "__len__") else 0
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], size


# (label, query, scope) of the searches timed; scope is "", "account" or "folder".
SEARCHES: list[tuple[str, str, str]] = [
    ("search common word: the", "the", ""),
    ("search rare word: narwhal", "narwhal", ""),
    ('search phrase: "release plan"', '"release plan"', ""),
    ("search from:user1@ + word", "from:user1@example.com server", ""),
    ("search date range + word", "date:2022-01..2022-06 budget", ""),
    ("search is:unread from:user3", "is:unread from:user3", ""),
    ("search prefix: kube*", "kube*", ""),
    ("search folder:INBOX is:unread + word", "in:INBOX is:unread budget", ""),
    ("search is:unread (no text)", "is:unread", ""),
    ("search in:INBOX is:unread (no text)", "in:INBOX is:unread", ""),
    ("search date range (no text)", "date:2022-01..2022-06", ""),
    ("search narwhal, folder scope", "narwhal", "folder"),
    ("no hit: is:flagged has:attachment", "is:flagged has:attachment", ""),
    ("no hit: the same, account scope", "is:flagged has:attachment", "account"),
    ("no hit: the same, folder scope", "is:flagged has:attachment", "folder"),
    ("no hit: is:flagged, account scope", "is:flagged", "account"),
    ("no hit: is:flagged, folder scope", "is:flagged", "folder"),
    ("no hit: the is:flagged", "the is:flagged", ""),
    ("no hit: the is:flagged, folder scope", "the is:flagged", "folder"),
]

# The same questions for `notmuch search` (tags: unread, flagged, attachment; notmuch has no
# folder or account scope here: one Maildir).
NOTMUCH: dict[str, str] = {
    "the": "the", "narwhal": "narwhal", '"release plan"': '"release plan"',
    "is:flagged has:attachment": "tag:flagged and tag:attachment",
    "is:flagged": "tag:flagged", "the is:flagged": "the and tag:flagged",
    "is:unread": "tag:unread",
}


def notmuch_ms(db: Path, query: str, runs: int = 5) -> float:
    """Median wall ms of `notmuch search --limit=50` (its own process, as a script runs it)."""
    env = dict(os.environ, NOTMUCH_CONFIG=str(db / "notmuch-config"))
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(["notmuch", "search", "--limit=50", "--output=threads", query], env=env,
                       stdout=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


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
    ap.add_argument("--db", type=Path, default=None,
                    help="time this existing cache (nothing is generated or imported)")
    ap.add_argument("--runs", type=int, default=RUNS, help="timed runs of each case")
    ap.add_argument("--account", default="bench")
    ap.add_argument("--folder", default="INBOX")
    ap.add_argument("--notmuch", type=Path, default=None,
                    help="a folder holding notmuch-config for a notmuch index of the same mail")
    args = ap.parse_args()
    work = args.dir or (args.db.parent if args.db else
                        Path(tempfile.mkdtemp(prefix="tui-mail-bench-")))
    work.mkdir(parents=True, exist_ok=True)
    db_path = args.db or work / "cache.db"
    mbox = work / "mail.mbox"

    if args.db is None and not (args.reuse and db_path.exists()):
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
    size = sum(p.stat().st_size for p in db_path.parent.glob(db_path.name + "*"))
    print(f"database: {size / 1e6:.0f} MB (with WAL)")

    reader = Store.open(db_path, readonly=True)
    folder = reader.folder(args.account, args.folder)
    assert folder is not None
    view = View.of(folder)
    total = reader.listing.count(view)
    scopes: dict[str, dict[str, str]] = {
        "": {}, "account": {"account": args.account},
        "folder": {"account": args.account, "folder": args.folder}}

    def searching(query: str, scope: str) -> Callable[[], object]:
        return lambda: reader.listing.search(query, **scopes[scope])  # type: ignore[arg-type]

    cases: list[tuple[str, Callable[[], object], str]] = [
        ("first screen (50 newest)", lambda: reader.listing.page(view, 0, 50), ""),
        ("oldest 50", lambda: reader.listing.page(view, total - 50, 50), ""),
        ("middle 50 (id list cached)", lambda: reader.listing.page(view, total // 2, 50), ""),
        *((label, searching(query, scope), query) for label, query, scope in SEARCHES),
    ]
    t0 = time.perf_counter()
    reader.listing.page(View.of(folder), total // 3, 50)
    print(
        f"first middle jump (loads the id list of {total}): "
        f"{(time.perf_counter() - t0) * 1000:.1f} ms"
    )
    peer = args.notmuch is not None
    print(f"{'case':40} {'median ms':>10} {'p95 ms':>10} {'rows':>6}"
          + (f" {'notmuch ms':>11} {'ratio':>6}" if peer else ""))
    for name, fn, query in cases:
        med, p95, rows = timed(fn, args.runs)
        line = f"{name:40} {med:10.2f} {p95:10.2f} {rows:6}"
        if peer and query in NOTMUCH:
            theirs = notmuch_ms(args.notmuch, NOTMUCH[query])
            line += f" {theirs:11.1f} {med / theirs:6.2f}"
        print(line, flush=True)
    reader.close()
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"CPU: this process {own.ru_utime + own.ru_stime:.1f} s, peak RSS"
          f" {own.ru_maxrss / 1024:.0f} MB; notmuch processes {kids.ru_utime + kids.ru_stime:.1f} s;"
          f" load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if not args.keep and args.dir is None and args.db is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
