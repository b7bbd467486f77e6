"""The run at a million messages: generate, index with notmuch, import, sizes, searches, UI.

    nice -n 10 /work/main/.venv/bin/python benchmarks/scale.py --count 1000000 --dir /tmp/tm-1m
    .venv/bin/python benchmarks/scale.py --dir /tmp/tm-1m --phases sizes,search,ui   # later

Phases (each skipped when --phases leaves it out; every figure is kept in DIR/scale.json, so a
later invocation can run the phases still missing and print all of them):

  generate  gen_messages.py writes `count` messages (seed 7) as a Maildir, streamed: its peak
            memory is printed to show it does not grow with the count
  notmuch   `notmuch new` into a fresh index beside the Maildir (size.py's layout)
  import    `tui-mail import` of the Maildir into DIR/data, account `bench`, folder INBOX (the
            layout cli_speed.py --reuse and ui.py read)
  sizes     the Maildir, the notmuch index, the cache and its tables, and the ratio cache /
            (Maildir + notmuch) (size.py)
  search    cli_speed.py --reuse DIR: tui-mail search and show against notmuch, interleaved
  ui        ui.py on this cache (no NeoMutt: its header cache of a million files alone takes
            hours): time to the first rows, jump, open, search and the peak memory (VmHWM);
            it runs this checkout's code even with --commit

Each measured command prints wall and CPU seconds, messages/s and the peak memory of its
process tree (import_speed.run), with the load average when it started. The data is large (a
million messages: about 6 GB of Maildir, a few GB of index and cache): keep DIR on a disk with
room, and remove it after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.import_speed import Run, run  # noqa: E402
from benchmarks.size import SEED, Layout, import_command, notmuch_command, print_runs, print_sizes  # noqa: E402  # noqa: E402

PHASES = ("generate", "notmuch", "import", "sizes", "search", "ui")
ACCOUNT, FOLDER = "bench", "INBOX"  # what cli_speed.py and ui.py expect
HERE = Path(__file__).resolve().parent


def commit(rev: str | None = None) -> str:
    """The commit whose code runs: `rev`, or this checkout's HEAD (said if it has changes)."""
    out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev or "HEAD"],
                         capture_output=True, text=True, check=True).stdout.strip()
    if rev:
        return out
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "tui_mail"],
                           capture_output=True, text=True, check=False).stdout.strip()
    return out + (" (tui_mail/ has uncommitted changes)" if dirty else "")


def checkout(rev: str, where: Path) -> Path:
    """`rev`'s tui_mail package alone in `where` (a shared work tree changes under a long run)."""
    target = where / f"code-{commit(rev)}"
    if not (target / "tui_mail").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "tui_mail"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


class Record:
    """The figures of every phase so far, kept in DIR/scale.json."""

    def __init__(self, path: Path, code: str) -> None:
        self.path = path
        self.code = code
        self.data: dict[str, dict[str, object]] = (
            json.loads(path.read_text()) if path.exists() else {})

    def add(self, phase: str, r: Run) -> None:
        self.data[phase] = {**asdict(r), "commit": self.code, "loadavg": os.getloadavg()}
        self.path.write_text(json.dumps(self.data, indent=1))

    def runs(self) -> list[Run]:
        fields = Run.__dataclass_fields__
        return [Run(**{k: v for k, v in d.items() if k in fields})  # type: ignore[arg-type]
                for d in self.data.values()]


def generate(layout: Layout, count: int, record: Record) -> None:
    cmd = [sys.executable, str(HERE / "gen_messages.py"), "--count", str(count),
           "--seed", str(SEED), "--maildir", str(layout.maildir)]
    layout.root.mkdir(parents=True, exist_ok=True)
    record.add("generate", run("gen_messages.py (Maildir)", cmd, dict(os.environ)))
    (layout.root / f"maildir-{count}.complete").write_text("ok\n")


def ui(layout: Layout, count: int) -> None:
    """ui.py over this Maildir and cache, through the folder layout it builds for itself."""
    home = layout.root / "ui" / str(count)
    home.mkdir(parents=True, exist_ok=True)
    for name, target in (("Maildir", layout.maildir), ("data", layout.data())):
        link = home / name
        if not link.exists():
            link.symlink_to(target)
    (home / "complete").write_text("ok\n")
    subprocess.run([sys.executable, str(HERE / "ui.py"), "--sizes", str(count), "--runs", "1",
                    "--dir", str(layout.root / "ui"), "--no-neomutt"], check=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/tm-1m"))
    ap.add_argument("--commit", help="run tui-mail as of this commit (git archive into DIR)")
    ap.add_argument("--phases", default=",".join(PHASES),
                    help=f"comma-separated, of {', '.join(PHASES)} (default: all)")
    args = ap.parse_args()
    phases = [p for p in args.phases.split(",") if p]
    if unknown := set(phases) - set(PHASES):
        raise SystemExit(f"unknown phases: {sorted(unknown)}")
    layout = Layout(args.dir)
    code = commit(args.commit)
    source = checkout(args.commit, args.dir) if args.commit else ROOT
    record = Record(args.dir / "scale.json", code)
    print(f"{args.count:,} messages in {args.dir}; code {code}; load {os.getloadavg()}",
          flush=True)
    if "generate" in phases:
        generate(layout, args.count, record)
    if "notmuch" in phases:
        record.add("notmuch", run("notmuch new", *notmuch_command(layout)))
    if "import" in phases:
        record.add("import", run("tui-mail import (Maildir)",
                                 *import_command(layout, checkout=source, account=ACCOUNT,
                                                 folder=FOLDER)))
    print_runs(record.runs(), args.count)
    if "sizes" in phases:
        print_sizes(layout, {"tui-mail": layout.cache()}, args.count)
    if "search" in phases:
        pinned = ["--tui-mail", f"{sys.executable} -P -m tui_mail"] if args.commit else []
        subprocess.run([sys.executable, str(HERE / "cli_speed.py"), "--reuse", str(args.dir),
                        "--runs", "5", *pinned], check=False,
                       env={**os.environ, "PYTHONPATH": str(source)})
    if "ui" in phases:
        ui(layout, args.count)
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
