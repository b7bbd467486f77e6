"""Search over a Gmail account's cache, where a message is cached once per label it carries.

    python benchmarks/cache.py --count 100000 --dir /tmp/tm-bench --keep   # once
    python benchmarks/gmail.py --dir /tmp/tm-bench

Copies the `cache.db` that benchmarks/cache.py left (account "bench", folder INBOX) to
`gmail.db` and makes it look like a synced Gmail account: the folder becomes [Gmail]/All Mail
(every message), a copy of every second message goes to INBOX (own row and search text, same
Message-ID, as a sync caches a message in two labels), and the account is marked as Gmail.
Then it times, through a read-only Store, median and p95 of 20 runs of searches over the
account (the copies are left out: `listing._Copies`) and the same in one folder (no copies to
look for), and counts the rows returned and how many of them share a Message-ID.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.cache import timed  # noqa: E402
from tui_mail.store import Store  # noqa: E402
from tui_mail.store.blobs import register  # noqa: E402

OFFSET = 512  # the copy's id: same second (date order kept), a tiebreak no import used

QUERIES = ["the", "narwhal", '"release plan"', "from:user1@example.com server",
           "date:2022-01..2022-06 budget", "is:unread from:user3", "kube*", "is:unread",
           "in:INBOX is:unread budget", "date:2022-01..2022-06", "is:flagged has:attachment"]


def make_gmail(source: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    with Store.open(source):  # checkpoint the WAL into the file, migrate to this version
        pass
    shutil.copyfile(source, target)
    conn = sqlite3.connect(target, isolation_level=None)
    register(conn)  # the search index triggers read packed search text through it
    conn.execute("BEGIN")
    account, folder = conn.execute(
        "SELECT a.id, f.id FROM folders f JOIN accounts a ON a.id = f.account_id"
        " WHERE a.name = 'bench' AND f.name = 'INBOX'").fetchone()
    if conn.execute("SELECT count(*) FROM messages WHERE id % 1024 >= ?", (OFFSET,)).fetchone()[0]:
        raise SystemExit("some message ids use a tiebreak of 512 or more: pick another OFFSET")
    conn.execute("UPDATE folders SET name = '[Gmail]/All Mail', role = 'archive' WHERE id = ?",
                 (folder,))
    conn.execute("INSERT INTO folders(account_id, name, role) VALUES (?, 'INBOX', 'inbox')",
                 (account,))
    inbox = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
    columns = [r[1] for r in conn.execute("PRAGMA table_info(messages)")]
    copied = ", ".join("id + ?" if c == "id" else "?" if c == "folder_id" else c
                       for c in columns)
    conn.execute(f"INSERT INTO messages({', '.join(columns)}) SELECT {copied} FROM messages"
                 " WHERE folder_id = ? AND (id / 1024) % 2 = 0", (OFFSET, inbox, folder))
    conn.execute("INSERT INTO search_text SELECT s.id + ?, s.subject, s.sender, s.to_addr,"
                 " s.cc_addr, s.body, s.attachments FROM search_text s JOIN messages m"
                 " ON m.id = s.id WHERE m.folder_id = ? AND (m.id / 1024) % 2 = 0",
                 (OFFSET, folder))
    conn.execute("UPDATE accounts SET gmail = 1 WHERE id = ?", (account,))
    conn.execute("COMMIT")
    conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description="search over a Gmail-like cache")
    ap.add_argument("--dir", type=Path, required=True, help="where cache.py --keep left cache.db")
    ap.add_argument("--reuse", action="store_true", help="time an existing gmail.db again")
    args = ap.parse_args()
    target = args.dir / "gmail.db"
    if not (args.reuse and target.exists()):
        t0 = time.perf_counter()
        make_gmail(args.dir / "cache.db", target)
        print(f"made {target} in {time.perf_counter() - t0:.1f} s")
    reader = Store.open(target, readonly=True)
    counts = dict(reader._conn.execute(  # noqa: SLF001 - a benchmark looks inside
        "SELECT f.name, f.total FROM folders f"))
    print(f"folders: {counts}")
    cases: list[tuple[str, Callable[[], list]]] = []
    for query in QUERIES:
        cases.append((f"account: {query}", partial(reader.listing.search, query, account="bench")))
    for query in ("the", "is:unread"):
        cases.append((f"All Mail only: {query}",
                      partial(reader.listing.search, query, account="bench",
                              folder="[Gmail]/All Mail")))
    print(f"{'case':46} {'median ms':>10} {'p95 ms':>10} {'rows':>5} {'dup':>4}")
    for name, fn in cases:
        med, p95, rows = timed(fn)
        found = fn()
        dup = len(found) - len({r.message_id for r in found})
        print(f"{name:46} {med:10.2f} {p95:10.2f} {rows:5} {dup:4}")
    reader.close()


if __name__ == "__main__":
    main()
