"""The cache's size against the Maildir plus a notmuch index of the same mail.

    /work/main/.venv/bin/python benchmarks/size.py --count 100000 --dir /tmp/tm-size
    /work/main/.venv/bin/python benchmarks/size.py --count 10000 --dir D --before /tmp/old-checkout

Writes `count` generated messages (gen_messages.py, seed 7, streamed) as a Maildir under DIR
(kept, and reused by later runs with the same count), indexes it with `notmuch new`
(NOTMUCH_CONFIG in DIR, the database beside the Maildir, not inside it) and imports it with
`tui-mail import` into a fresh data folder; with --before, also with the tui-mail of another
checkout (say the commit before compression), in the same run. Then prints:

  - the Maildir's size, apparent (du -sb: the bytes of the messages) and allocated (du: what
    the disk gives them, at least one 4 KiB block a message), and the notmuch index's
  - the cache file's size (after the import closed it: the WAL is folded in), and what each
    table and index weighs (SQLite's dbstat)
  - the ratio cache / (Maildir + notmuch index), for both ways of counting the Maildir; the
    issue's target is 0.6 or less at a million messages
  - wall and CPU seconds and the process tree's peak memory of `notmuch new` and of each
    import (import_speed.run), and the load average

The generated mail is not real mail: its words come from a small vocabulary (it compresses
better with a dictionary than real mail) and a tenth of it carries random base64 attachments
(which hardly compress). See benchmarks/README.md, "Cache size", for the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.gen_messages import generate, write_maildir  # noqa: E402
from benchmarks.import_speed import TUI_MAIL, Run, run  # noqa: E402

SEED = 7


@dataclass(frozen=True)
class Layout:
    """Where a run keeps its mail, notmuch's index and tui-mail's data."""

    root: Path

    @property
    def maildir(self) -> Path:
        return self.root / "Maildir"

    @property
    def notmuch_db(self) -> Path:
        return self.root / "notmuch-db"

    @property
    def notmuch_config(self) -> Path:
        return self.root / "notmuch-config"

    def data(self, name: str = "data") -> Path:
        return self.root / name

    def cache(self, name: str = "data") -> Path:
        return self.data(name) / "cache.sqlite3"


def ensure_maildir(layout: Layout, count: int) -> None:
    """The Maildir of `count` generated messages (written once; a marker says it is whole)."""
    done = layout.root / f"maildir-{count}.complete"
    if done.exists():
        return
    shutil.rmtree(layout.maildir, ignore_errors=True)
    layout.root.mkdir(parents=True, exist_ok=True)
    write_maildir(layout.maildir, generate(count, SEED))
    done.write_text("ok\n")


def notmuch_command(layout: Layout) -> tuple[list[str], dict[str, str]]:
    """`notmuch new` over a fresh index of the Maildir, its database outside the Maildir."""
    shutil.rmtree(layout.notmuch_db, ignore_errors=True)
    layout.notmuch_db.mkdir(parents=True)
    layout.notmuch_config.write_text(
        f"[database]\npath={layout.notmuch_db}\nmail_root={layout.maildir}\n\n"
        "[new]\ntags=unread;inbox;\n\n[maildir]\nsynchronize_flags=true\n"
    )
    return ["notmuch", "new", "--quiet"], {**os.environ,
                                           "NOTMUCH_CONFIG": str(layout.notmuch_config)}


def import_command(layout: Layout, name: str = "data", checkout: Path = ROOT,
                   account: str = "local", folder: str = "Bench",
                   ) -> tuple[list[str], dict[str, str]]:
    """`tui-mail import` of the Maildir into a fresh data folder, with the code of `checkout`."""
    data = layout.data(name)
    shutil.rmtree(data, ignore_errors=True)
    config = layout.root / "empty-config.toml"
    config.write_text("")
    # -P: the current folder (this checkout) is not put before PYTHONPATH
    argv = TUI_MAIL if checkout == ROOT else [sys.executable, "-P", "-m", "tui_mail"]
    cmd = [*argv, "--config", str(config), "--data-dir", str(data), "import",
           str(layout.maildir), "--account", account, "--folder", folder]
    return cmd, {**os.environ, "PYTHONPATH": str(checkout)}


def du_bytes(path: Path, apparent: bool) -> int:
    args = ["du", "-s", "--block-size=1"] + (["--apparent-size"] if apparent else [])
    out = subprocess.run([*args, str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


def cache_bytes(cache: Path) -> int:
    """The cache file with its WAL and shared-memory files, if any are left."""
    return sum(p.stat().st_size for p in cache.parent.glob(cache.name + "*"))


def breakdown(cache: Path) -> list[tuple[str, int]]:
    """Bytes of each table and index, largest first (SQLite's dbstat virtual table)."""
    conn = sqlite3.connect(f"file:{cache}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"
                            " ORDER BY 2 DESC").fetchall()
    finally:
        conn.close()
    return [(str(name), int(size)) for name, size in rows]


def live_cache_bytes(cache: Path) -> tuple[int, int]:
    """(messages, bytes) of a cache a writer is still filling: its pages as a reader sees
    them (the committed part of the WAL included), not the file's length."""
    conn = sqlite3.connect(f"file:{cache}?mode=ro", uri=True, timeout=10)
    try:
        count = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        page = conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()
    return int(count), int(pages) * int(page)


def first_files_bytes(maildir: Path, count: int) -> tuple[int, int]:
    """(apparent, allocated) bytes of the first `count` files of cur/ in name order, the order
    both tui-mail import and notmuch new take them in."""
    names = sorted(os.listdir(maildir / "cur"))[:count]
    apparent = allocated = 0
    for name in names:
        st = os.stat(maildir / "cur" / name)
        apparent += st.st_size
        allocated += st.st_blocks * 512
    return apparent, allocated


def print_snapshot(layout: Layout, cache: Path) -> None:
    """Bytes a message of the cache and of Maildir + notmuch index while both are still being
    built (a million messages take hours here): each side's size over the messages it holds
    so far, so the ratio compares the same mail at the counts reached."""
    env = {**os.environ, "NOTMUCH_CONFIG": str(layout.notmuch_config)}
    indexed = int(subprocess.run(["notmuch", "count", "*"], env=env, capture_output=True,
                                 text=True, check=True).stdout)
    notmuch = du_bytes(layout.notmuch_db, apparent=False)
    cached, size = live_cache_bytes(cache)
    apparent, allocated = first_files_bytes(layout.maildir, max(cached, indexed))
    per_mail = (apparent / max(cached, indexed), allocated / max(cached, indexed))
    per_cache, per_notmuch = size / cached, notmuch / indexed
    print(f"snapshot: cache {cached:,} messages, {size / 1e6:.1f} MB = {per_cache:.0f} B each;"
          f" notmuch {indexed:,} messages, {notmuch / 1e6:.1f} MB = {per_notmuch:.0f} B each;"
          f" Maildir {per_mail[0]:.0f} B each apparent, {per_mail[1]:.0f} allocated")
    print(f"  cache / (Maildir + notmuch), a message each: "
          f"{per_cache / (per_mail[1] + per_notmuch):.3f} (du),"
          f" {per_cache / (per_mail[0] + per_notmuch):.3f} (apparent)")


def print_runs(runs: list[Run], count: int) -> None:
    print(f"\n{'':28} {'wall s':>8} {'CPU s':>8} {'msg/s':>8} {'CPU ms/msg':>10}"
          f" {'tree RSS MiB':>12} {'procs':>5} {'load':>5}")
    for r in runs:
        print(f"{r.name:28} {r.wall:8.1f} {r.cpu:8.1f} {count / r.wall:8.0f}"
              f" {1000 * r.cpu / count:10.2f} {r.rss_mib:12.0f} {r.processes:5} {r.load:5.2f}")


def print_sizes(layout: Layout, caches: dict[str, Path], count: int,
                show_breakdown: bool = True) -> None:
    """Sizes, breakdowns and the ratios to Maildir + notmuch index."""
    mail_apparent = du_bytes(layout.maildir, apparent=True)
    mail_allocated = du_bytes(layout.maildir, apparent=False)
    notmuch = du_bytes(layout.notmuch_db, apparent=False)
    mb = 1e6
    print(f"\nsizes at {count:,} messages (MB = 10^6 bytes)")
    print(f"  Maildir                 {mail_apparent / mb:10.1f} MB apparent,"
          f" {mail_allocated / mb:.1f} MB allocated (du)")
    print(f"  notmuch index           {notmuch / mb:10.1f} MB")
    for name, cache in caches.items():
        size = cache_bytes(cache)
        print(f"  cache ({name:13}) {size / mb:10.1f} MB = {size / count:.0f} B a message;"
              f" / (Maildir + notmuch): {size / (mail_allocated + notmuch):.3f} (du),"
              f" {size / (mail_apparent + notmuch):.3f} (apparent);"
              f" / Maildir apparent: {size / mail_apparent:.2f}")
        if show_breakdown:
            parts = breakdown(cache)
            total = sum(s for _, s in parts)
            for part, s in parts[:10]:
                print(f"      {part:28} {s / mb:9.1f} MB {s / total:6.1%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/tm-size"),
                    help="work folder, kept (the Maildir is reused for the same count)")
    ap.add_argument("--before", type=Path,
                    help="a checkout of another commit whose tui-mail imports too, to compare")
    ap.add_argument("--no-breakdown", action="store_true")
    ap.add_argument("--snapshot", type=Path, metavar="DIR",
                    help="only compare, a message each, the cache DIR/data and the notmuch"
                         " index of a run still in progress (scale.py's layout)")
    args = ap.parse_args()
    if args.snapshot:
        print_snapshot(Layout(args.snapshot), Layout(args.snapshot).cache())
        return

    layout = Layout(args.dir / str(args.count))
    ensure_maildir(layout, args.count)
    runs = [run("notmuch new", *notmuch_command(layout))]
    caches = {}
    if args.before:
        runs.append(run("tui-mail import (before)", *import_command(layout, "before",
                                                                       args.before)))
        caches["before"] = layout.cache("before")
    runs.append(run("tui-mail import", *import_command(layout)))
    caches["this commit"] = layout.cache()
    print_runs(runs, args.count)
    print_sizes(layout, caches, args.count, not args.no_breakdown)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
