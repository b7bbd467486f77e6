"""`tui-mail import` against `notmuch new`: the same generated mail, in the same run.

    /work/main/.venv/bin/python benchmarks/import_speed.py --count 10000
    /work/main/.venv/bin/python benchmarks/import_speed.py --count 1000000 --source maildir

Generates `count` messages with `gen_messages.py` (streamed to disk, never held), writes them
as a Maildir (which notmuch indexes) and, unless --source maildir, copies them into an mbox
(--keep with --dir reuses both). Then runs,
interleaved `--repeat` times, each as a subprocess with a fresh cache or index:

  - `tui-mail --data-dir D import Maildir`  (and `... import mail.mbox`)
  - `notmuch new` (NOTMUCH_CONFIG in the temp dir, database inside the Maildir's parent)

and prints for each: wall seconds, CPU seconds (user+sys of the process and its children:
the parsing workers), messages/s, the peak memory of the whole process tree (VmRSS summed
over the process and its descendants, and PSS summed, which counts a page shared by the
forked workers once, both sampled every 50 ms), the load average, and the ratios to notmuch.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.gen_messages import generate, write_maildir, write_mbox  # noqa: E402

SCRIPT = Path(sys.executable).with_name("tui-mail")
TUI_MAIL = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "tui_mail"]
SAMPLE_SECONDS = 0.05


def _status_kib(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(field.encode()):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _tree(root: int) -> list[int]:
    """`root` and its live descendants."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


class TreeMemory:
    """Peak of the summed VmRSS and PSS of a process tree, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.rss_kib = self.pss_kib = self.processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = _tree(self.pid)
            self.processes = max(self.processes, len(pids))
            self.rss_kib = max(self.rss_kib, sum(_status_kib(p, "VmRSS:") for p in pids))
            self.pss_kib = max(self.pss_kib, sum(_pss_kib(p) for p in pids))
            self._stop.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Run:
    name: str
    wall: float
    cpu: float
    rss_mib: float
    pss_mib: float
    processes: int
    load: float
    output: str


def run(name: str, cmd: list[str], env: dict[str, str]) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            cwd=ROOT)
    memory = TreeMemory(proc.pid)
    output, _ = proc.communicate()
    wall = time.perf_counter() - started
    memory.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    text = output.decode(errors="replace").strip()
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed ({proc.returncode}): {text[-2000:]}")
    return Run(name, wall, cpu, memory.rss_kib / 1024, memory.pss_kib / 1024, memory.processes,
               load, text.splitlines()[-1] if text else "")


def _notmuch(tmp: Path, mail: Path) -> tuple[list[str], dict[str, str]]:
    config = tmp / "notmuch-config"
    shutil.rmtree(mail / ".notmuch", ignore_errors=True)
    config.write_text(
        f"[database]\npath={mail}\n\n[new]\ntags=unread;inbox;\n\n"
        "[maildir]\nsynchronize_flags=true\n"
    )
    env = {**os.environ, "NOTMUCH_CONFIG": str(config)}
    return ["notmuch", "new", "--quiet"], env


def _tui_mail(tmp: Path, source: Path, workers: int | None) -> tuple[list[str], dict[str, str]]:
    data = tmp / "tui-mail-data"
    shutil.rmtree(data, ignore_errors=True)
    cmd = [*TUI_MAIL, "--data-dir", str(data), "import", str(source), "--folder", "Bench"]
    if workers:
        cmd += ["--workers", str(workers)]
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp / "config"), "PYTHONPATH": str(ROOT)}
    return cmd, env


def _show(r: Run, count: int) -> None:
    print(f"{r.name:24} {r.wall:8.1f} {r.cpu:8.1f} {count / r.wall:8.0f}"
          f" {1000 * r.cpu / count:10.2f} {r.rss_mib:12.0f} {r.pss_mib:12.0f}"
          f" {r.processes:5} {r.load:5.2f}" + (f"  ({r.output})" if r.name != "notmuch new"
                                               else ""), flush=True)


def _maildir_messages(maildir: Path) -> Iterator[bytes]:
    """The Maildir's messages, one at a time (the mbox gets the same mail, unsorted)."""
    with os.scandir(maildir / "cur") as entries:
        for entry in entries:
            yield Path(entry.path).read_bytes()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--source", choices=("both", "maildir", "mbox"), default="both",
                    help="what tui-mail imports (notmuch always indexes the Maildir)")
    ap.add_argument("--repeat", type=int, default=1, help="interleaved rounds")
    ap.add_argument("--workers", type=int, help="tui-mail import --workers (default: its own)")
    ap.add_argument("--dir", type=Path, help="work folder (default: a temp dir, removed)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder and reuse the mail")
    args = ap.parse_args()

    tmp = args.dir or Path(tempfile.mkdtemp(prefix="tm-import-"))
    tmp.mkdir(parents=True, exist_ok=True)
    mail = tmp / "mail"
    maildir, mbox = mail / "Maildir", tmp / "mail.mbox"
    try:
        started = time.perf_counter()
        if not (maildir / "cur").is_dir():
            write_maildir(maildir, generate(args.count, args.seed))
        if args.source != "maildir" and not mbox.exists():
            write_mbox(mbox, _maildir_messages(maildir))
        size = sum(e.stat().st_size for e in os.scandir(maildir / "cur"))
        print(f"{args.count:,} messages, Maildir {size / 1e6:.0f} MB, written in"
              f" {time.perf_counter() - started:.0f} s; {os.cpu_count()} cores", flush=True)

        runs: list[Run] = []
        print(f"\n{'':24} {'wall s':>8} {'CPU s':>8} {'msg/s':>8} {'CPU ms/msg':>10}"
              f" {'tree RSS MiB':>12} {'tree PSS MiB':>12} {'procs':>5} {'load':>5}",
              flush=True)
        for _ in range(args.repeat):
            if args.source in ("both", "maildir"):
                runs.append(run("tui-mail import Maildir", *_tui_mail(tmp, maildir, args.workers)))
                _show(runs[-1], args.count)
            if args.source in ("both", "mbox"):
                runs.append(run("tui-mail import mbox", *_tui_mail(tmp, mbox, args.workers)))
                _show(runs[-1], args.count)
            runs.append(run("notmuch new", *_notmuch(tmp, mail)))
            _show(runs[-1], args.count)
        peers = [r for r in runs if r.name == "notmuch new"]
        for name in dict.fromkeys(r.name for r in runs if r.name != "notmuch new"):
            ours = [r for r in runs if r.name == name]
            pairs = list(zip(ours, peers, strict=False))
            print(f"{name} / notmuch new: wall "
                  + ", ".join(f"{a.wall / b.wall:.2f}x" for a, b in pairs) + "; CPU "
                  + ", ".join(f"{a.cpu / b.cpu:.2f}x" for a, b in pairs) + "; tree RSS "
                  + ", ".join(f"{a.rss_mib / b.rss_mib:.2f}x" for a, b in pairs))
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    finally:
        if not args.keep and not args.dir:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
