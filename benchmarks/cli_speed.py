"""CLI start-up against notmuch: `--version`, seven searches (text and --json) and `show`.

    python benchmarks/cli_speed.py --count 100000 [--dir DIR]      # build, then time
    python benchmarks/cli_speed.py --reuse DIR [--runs 20]          # time an existing DIR

Builds (unless --reuse) one Maildir of N generated messages (`gen_messages.py`, seed 7; every
third message unread), imports it into a tui-mail cache with `tui-mail import` and indexes it
with `notmuch new` (its own NOTMUCH_CONFIG in DIR, flags synchronised so `tag:unread` is the
same set as `is:unread`). Then runs each command pair interleaved (the order alternates each
round) and prints, per pair, the median wall time, the median CPU time (user+sys of the child,
from wait4) and the peak RSS of both tools, the ratio tui-mail / notmuch, and the load average.

`--tui-mail CMD` times another command line in place of the `tui-mail` next to this Python
(e.g. an older checkout: `--tui-mail "python -c '...'"`), for before/after figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.gen_messages import generate, write_maildir  # noqa: E402

SEED = 7
ACCOUNT = "bench"
FOLDER = "INBOX"


@dataclass
class Sample:
    wall_ms: float
    cpu_ms: float
    rss_mb: float
    lines: int


@dataclass
class Case:
    name: str
    tui: list[str]
    peer: list[str]
    samples: dict[str, list[Sample]] = field(default_factory=lambda: {"tui": [], "peer": []})


@dataclass
class Setup:
    work: Path
    tui: list[str]
    notmuch: str

    @property
    def maildir(self) -> Path:
        return self.work / "Maildir"

    @property
    def data_dir(self) -> Path:
        return self.work / "data"

    @property
    def notmuch_config(self) -> Path:
        return self.work / "notmuch-config"

    def env(self) -> dict[str, str]:
        """Both tools see the same environment: their own config and state folders in DIR."""
        env = dict(os.environ)
        env.update(
            NOTMUCH_CONFIG=str(self.notmuch_config),
            XDG_CONFIG_HOME=str(self.work / "xdg" / "config"),
            XDG_STATE_HOME=str(self.work / "xdg" / "state"),
            XDG_DATA_HOME=str(self.work / "xdg" / "data"),
            TZ="UTC",
        )
        env.pop("TUI_MAIL_CONFIG", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: the bytecode is kept
        return env

    def tui_mail(self, *args: str) -> list[str]:
        return [*self.tui, "--data-dir", str(self.data_dir), *args]


def write_notmuch_config(setup: Setup) -> None:
    setup.notmuch_config.write_text(
        "[database]\n"
        f"path={setup.maildir}\n"
        "[user]\nname=Bench\nprimary_email=bench@example.com\n"
        "[new]\ntags=unread;inbox;\nignore=\n"
        "[search]\nexclude_tags=\n"
        "[maildir]\nsynchronize_flags=true\n"
    )


def build(setup: Setup, count: int) -> None:
    """The Maildir, then the tui-mail import and `notmuch new` side by side (both from it)."""
    setup.work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    write_maildir(setup.maildir, generate(count, seed=SEED))
    print(f"generated {count} messages into {setup.maildir} in {time.perf_counter() - t0:.0f} s",
          flush=True)
    write_notmuch_config(setup)
    env = setup.env()
    t0 = time.perf_counter()
    importing = subprocess.Popen(
        setup.tui_mail("import", str(setup.maildir), "--account", ACCOUNT, "--folder", FOLDER),
        env=env,
    )
    indexing = subprocess.Popen([setup.notmuch, "new", "--quiet"], env=env)
    for name, proc in (("tui-mail import", importing), ("notmuch new", indexing)):
        if proc.wait() != 0:
            raise SystemExit(f"{name} failed with status {proc.returncode}")
        print(f"{name}: done at {time.perf_counter() - t0:.0f} s", flush=True)


def run_once(argv: list[str], env: dict[str, str]) -> Sample:
    """Wall time, CPU time and peak RSS of one run of `argv` (output read from a pipe)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{shlex.join(argv)} exited with {proc.returncode}")
    return Sample(
        wall_ms=wall * 1000,
        cpu_ms=(usage.ru_utime + usage.ru_stime) * 1000,
        rss_mb=usage.ru_maxrss / 1024,
        lines=out.count(b"\n"),
    )


def newest_message(setup: Setup, env: dict[str, str]) -> tuple[str, str, str]:
    """(tui-mail id, Message-ID, sender address) of the newest message with a rare word."""
    out = subprocess.run(setup.tui_mail("search", "--json", "--limit", "1", "narwhal"), env=env,
                         capture_output=True, text=True, check=True).stdout
    row = json.loads(out.splitlines()[0])
    sender = row["from"].rpartition("<")[2].rstrip(">")
    return str(row["id"]), row["message_id"].strip("<>"), sender


def cases(setup: Setup, env: dict[str, str]) -> list[Case]:
    tui_id, message_id, sender = newest_message(setup, env)
    nm = setup.notmuch
    searches = [  # (name, tui-mail query, notmuch query): the same set of messages
        ("common word", "the", "the"),
        ("rare word", "narwhal", "narwhal"),
        ("phrase", '"release plan"', '"release plan"'),
        ("from:", f"from:{sender}", f"from:{sender}"),
        ("date range", "date:2022-01-01..2022-06-30", "date:2022-01-01..2022-06-30"),
        ("unread", "is:unread", "tag:unread"),
        ("prefix", "kube*", "kube*"),
    ]
    found = [
        Case("--version", setup.tui_mail("--version"), [nm, "--version"]),
        Case(f"show (id {tui_id})", setup.tui_mail("show", tui_id), [nm, "show", f"id:{message_id}"]),
    ]
    for name, ours, theirs in searches:
        found.append(Case(f"search {name}: {ours}", setup.tui_mail("search", "--limit", "50", ours),
                          [nm, "search", "--limit=50", theirs]))
    for name, ours, theirs in searches:
        found.append(Case(f"search --json {name}",
                          setup.tui_mail("search", "--json", "--limit", "50", ours),
                          [nm, "search", "--format=json", "--limit=50", theirs]))
    return found


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--dir", type=Path, help="build here (default: a temp dir, removed after)")
    ap.add_argument("--reuse", type=Path, metavar="DIR", help="time an existing build in DIR")
    ap.add_argument("--runs", type=int, default=20, help="timed runs of each command (20)")
    ap.add_argument("--tui-mail", dest="tui", metavar="CMD",
                    default=str(Path(sys.executable).with_name("tui-mail")),
                    help="the tui-mail command line to time (default: next to this Python)")
    ap.add_argument("--notmuch", default=shutil.which("notmuch") or "notmuch")
    ap.add_argument("--skip", action="append", default=[], metavar="TEXT",
                    help="leave out the cases whose name holds TEXT (e.g. show: an older "
                    "tui-mail shows only files)")
    args = ap.parse_args()
    work = args.reuse or args.dir or Path(tempfile.mkdtemp(prefix="tui-mail-cli-"))
    setup = Setup(work.resolve(), shlex.split(args.tui), args.notmuch)
    if args.reuse is None:
        build(setup, args.count)
    env = setup.env()
    timed = [c for c in cases(setup, env) if not any(text in c.name for text in args.skip)]
    print(f"load average before: {load()}", flush=True)
    for case in timed:  # warm the page cache and check both answer
        for _ in range(2):
            tui, peer = run_once(case.tui, env), run_once(case.peer, env)
        print(f"  {case.name}: tui-mail {tui.lines} lines, notmuch {peer.lines} lines", flush=True)
    for round_ in range(args.runs):
        for case in timed:
            order = ("tui", "peer") if round_ % 2 == 0 else ("peer", "tui")
            for who in order:
                sample = run_once(case.tui if who == "tui" else case.peer, env)
                case.samples[who].append(sample)
    print(f"load average after:  {load()}")
    print(f"{'case':44} {'tui-mail ms':>11} {'notmuch ms':>10} {'ratio':>6}"
          f" {'CPU ms':>13} {'ratio':>6} {'RSS MB':>11}")
    for case in timed:
        ours, theirs = case.samples["tui"], case.samples["peer"]
        wall = [statistics.median(s.wall_ms for s in x) for x in (ours, theirs)]
        cpu = [statistics.median(s.cpu_ms for s in x) for x in (ours, theirs)]
        rss = [max(s.rss_mb for s in x) for x in (ours, theirs)]
        print(f"{case.name[:44]:44} {wall[0]:11.1f} {wall[1]:10.1f} {wall[0] / wall[1]:6.2f}"
              f" {cpu[0]:6.1f} {cpu[1]:6.1f} {cpu[0] / cpu[1]:6.2f} {rss[0]:5.0f} {rss[1]:5.0f}")
    if args.reuse is None and args.dir is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
