"""Inflate a benchmark cache tenfold by SQL: 100k messages become 1M without a 1M import.

    .venv/bin/python benchmarks/inflate_cache.py SOURCE DEST [--copies 10]

SOURCE is a cache made by benchmarks/cache.py or benchmarks/ui.py (say 100,000 generated
messages); DEST becomes a new cache holding `copies` copies of each message, for measuring the
interface and the queries at a million rows. A real import of a million messages is measured
elsewhere; these figures come from this inflated cache, which differs from an imported one as
follows:

- Copy k of a message keeps its date. Its id (the sort key, `seconds * 1024 + tiebreak`, see
  store/keys.py) is `seconds * 1024 + tiebreak * copies + k`: the same second, a tiebreak of
  its own, so id order stays date order and every date range holds `copies` times the rows.
  `thread_id` and `parent_id` (ids too) are mapped the same way: each copy is a thread of its
  own, as threaded as the source.
- Message-IDs (and In-Reply-To, References) of copy k > 0 read `<k.original>`, UIDs are
  shifted past the source's largest, local keys get a `.k` suffix: every unique index holds.
- Bodies and search text are copied (the raw bytes still say the original Message-ID); the
  FTS index is filled by the schema's own trigger, row by row, as a sync fills it.
- The folder counters are kept by the schema's triggers; planner statistics are not copied.

Prints the time taken and the size of DEST.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tui_mail.store import Store, blobs  # noqa: E402
from tui_mail.store.blobs import register  # noqa: E402
from tui_mail.store.keys import KEY_SCALE  # noqa: E402

ID_COLUMNS = {"id", "thread_id", "parent_id"}  # message ids: remapped per copy
MESSAGE_ID_COLUMNS = {"message_id", "in_reply_to", "refs"}  # "<...>" texts: made distinct
ROW_TABLES = ("bodies", "search_text")  # keyed by the message id, one row per message


def columns(conn: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA {schema}.table_info({table})")]


def remapped(column: str, copies: int, k: int) -> str:
    """The id of copy k: the same second, tiebreak * copies + k."""
    return (f"CASE WHEN {column} IS NULL THEN NULL ELSE ({column} / {KEY_SCALE}) * {KEY_SCALE}"
            f" + ({column} % {KEY_SCALE}) * {copies} + {k} END")


def message_expressions(cols: list[str], copies: int, k: int,
                        shifts: dict[str, int]) -> list[str]:
    """One SQL expression per column of `messages` for copy k of a source row."""
    out: list[str] = []
    for c in cols:
        if c in ID_COLUMNS:
            out.append(remapped(c, copies, k))
        elif c in MESSAGE_ID_COLUMNS and k:
            out.append(f"replace({c}, '<', '<{k}.')")
        elif c in shifts and k:
            out.append(f"CASE WHEN {c} IS NULL THEN NULL ELSE {c} + {k * shifts[c]} END")
        elif c == "local_key" and k:
            out.append(f"CASE WHEN {c} IS NULL THEN NULL ELSE {c} || '.{k}' END")
        else:
            out.append(c)
    return out


def inflate(source: Path, dest: Path, copies: int) -> None:
    for p in dest.parent.glob(dest.name + "*"):
        p.unlink()
    Store.open(dest).close()  # the current schema, by the store's own migrations
    conn = sqlite3.connect(dest, isolation_level=None, uri=True)
    blobs.register(conn)  # the search index's triggers call its SQL function
    register(conn)  # the search index triggers read packed search text through tm_text
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -200000")
    conn.execute("ATTACH DATABASE ? AS src", (f"file:{source.resolve()}?mode=ro",))
    mine = conn.execute("PRAGMA main.user_version").fetchone()[0]
    theirs = conn.execute("PRAGMA src.user_version").fetchone()[0]
    if mine != theirs:
        raise SystemExit(f"{source} has schema version {theirs}, this tui-mail {mine}: open it"
                         " once with this tui-mail (any command) to upgrade it first")
    most = conn.execute(f"SELECT max(id % {KEY_SCALE}) FROM src.messages").fetchone()[0] or 0
    if (most + 1) * copies > KEY_SCALE:
        raise SystemExit(f"a second of the source holds {most + 1} messages: at most"
                         f" {KEY_SCALE // (most + 1)} copies keep ids in their second")
    cols = columns(conn, "src", "messages")
    missing = set(cols) - set(columns(conn, "main", "messages"))
    if missing:
        raise SystemExit(f"columns of the source this schema lacks: {sorted(missing)}")
    shifts: dict[str, int] = {c: (conn.execute(f"SELECT max({c}) FROM src.messages").fetchone()[0] or 0) + 1
              for c in ("uid", "gm_msgid") if c in cols}
    conn.execute("BEGIN")
    conn.execute("INSERT INTO main.accounts SELECT * FROM src.accounts")
    folder_cols = columns(conn, "src", "folders")
    conn.execute(f"INSERT INTO main.folders ({', '.join(folder_cols)}) SELECT "
                 + ", ".join("0" if c in ("total", "unread") else c for c in folder_cols)
                 + " FROM src.folders")
    conn.execute("COMMIT")
    total = conn.execute("SELECT count(*) FROM src.messages").fetchone()[0]
    t0 = time.perf_counter()
    for k in range(copies):
        conn.execute("BEGIN")
        exprs = message_expressions(cols, copies, k, shifts)
        conn.execute(f"INSERT INTO main.messages ({', '.join(cols)})"
                     f" SELECT {', '.join(exprs)} FROM src.messages")
        for table in ROW_TABLES:
            tcols = columns(conn, "src", table)
            texprs = [remapped(c, copies, k) if c == "id" else c for c in tcols]
            conn.execute(f"INSERT INTO main.{table} ({', '.join(tcols)})"
                         f" SELECT {', '.join(texprs)} FROM src.{table}")
        conn.execute("COMMIT")
        print(f"  copy {k + 1}/{copies}: {(k + 1) * total:,} messages,"
              f" {time.perf_counter() - t0:.0f} s", flush=True)
    conn.execute("DETACH DATABASE src")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a cache made by cache.py or ui.py")
    parser.add_argument("dest", type=Path, help="the inflated cache (replaced)")
    parser.add_argument("--copies", type=int, default=10)
    args = parser.parse_args()
    if args.source.resolve() == args.dest.resolve():
        parser.error("SOURCE and DEST must differ")
    args.dest.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    inflate(args.source, args.dest, args.copies)
    size = sum(p.stat().st_size for p in args.dest.parent.glob(args.dest.name + "*"))
    print(f"{args.dest}: {args.copies} copies in {time.perf_counter() - t0:.0f} s,"
          f" {size / 1e6:,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
