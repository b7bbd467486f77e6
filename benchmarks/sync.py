"""`tui-mail sync` against mbsync (isync): same Dovecot, same mail, interleaved in one run.

    /work/main/.venv/bin/python benchmarks/sync.py [--count 10000] [--no-change 10000,50000]
        [--rounds 2] [--runs 7] [--tree DIR]

Starts a Dovecot with the test-suite code (tests/servers), bulk-delivers `count` generated
messages (benchmarks/gen_messages.py) to one user, and for each no-change size another user
with that many, then runs the real command lines, each a child process:

  full sync     `tui-mail sync --bodies` into an empty cache (every body, and the search
                index), against `mbsync` into an empty Maildir (mbsync always fetches whole
                messages); `rounds` times, the two alternating which goes first;
  no change     `tui-mail sync` on a synced cache against `mbsync` on a synced Maildir,
                `runs` times each, alternating, at each size (median shown).

For each run: wall time, CPU seconds of the process and every process it started (user+sys,
from wait4, which counts the children it waited for: the text pool's workers), and the peak
RSS of the process tree (the sum of VmRSS over the process and its descendants, sampled every
20 ms; a process pool's workers count in full). The load average is printed with each phase:
the machine is shared, so CPU seconds are the steadier figure.

`--tree DIR` runs the tui-mail found in DIR (e.g. an earlier commit unpacked with `git archive`)
with this venv, for before/after figures in one run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mib: float
    out: str


def _tree(pid: int) -> list[int]:
    """The process and its descendants (by /proc/PID/task/*/children)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as handle:
                    todo.extend(int(c) for c in handle.read().split())
        except OSError:
            continue
    return found


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(cmd: list[str], cwd: Path = ROOT) -> Run:
    """Wall, CPU (user+sys of the process and its waited-for descendants) and the sampled
    peak of the process tree's summed RSS."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out_file, stderr=err_file, cwd=cwd, env=env)
        peak = 0
        status = None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, sum(_rss_kib(p) for p in _tree(proc.pid)))
            time.sleep(0.02)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_file.seek(0)
        err_file.seek(0)
        if proc.returncode != 0:
            words = err_file.read().decode(errors="replace")
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{words}")
        return Run(wall, usage.ru_utime + usage.ru_stime, peak / 1024, out_file.read().decode())


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def _line(who: str, label: str, run: Run) -> str:
    return (f"  {who:<9} {label:<26} wall {run.wall:7.2f} s  CPU {run.cpu:7.2f} s  "
            f"peak RSS (tree) {run.rss_mib:6.1f} MiB")


class Setup:
    """One mailbox on the Dovecot, with a tui-mail config and an mbsync config for it."""

    def __init__(self, work: Path, name: str, dovecot: Any, user: Any, ca: Path) -> None:
        self.work = work / name
        self.work.mkdir()
        port = dovecot.ports.imap_tls
        secret = self.work / "password"
        secret.write_text(user.password)
        self.config = self.work / "config.toml"
        self.config.write_text(
            f'[accounts.bench]\naddress = "{user.address}"\nbody_size_cap = 1000000000\n\n'
            f'[accounts.bench.incoming]\nprotocol = "imap"\nhost = "127.0.0.1"\nport = {port}\n'
            f'security = "tls"\nusername = "{user.login}"\nca_file = "{ca}"\n'
            f'password_command = "cat {secret}"\ntimeout = 120\n')
        self.rc = self.work / "mbsyncrc"
        self.maildir = self.work / "Maildir"
        self.rc.write_text(f"""IMAPAccount bench
Host localhost
Port {port}
User {user.login}
Pass {user.password}
SSLType IMAPS
CertificateFile {ca}

IMAPStore remote
Account bench

MaildirStore local
Path {self.maildir}/
Inbox {self.maildir}/INBOX
SubFolders Verbatim

Channel bench
Far :remote:
Near :local:
Patterns *
Create Near
Sync Pull
SyncState *
""")

    def tui(self, data: Path, tree: Path, *extra: str) -> Run:
        return measure([sys.executable, "-m", "tui_mail", "--config", str(self.config),
                        "--data-dir", str(data), "sync", *extra], cwd=tree)

    def mbsync(self, rc: Path | None = None) -> Run:
        return measure(["mbsync", "-q", "-c", str(rc or self.rc), "bench"])

    def mbsync_setup(self) -> None:
        """mbsync's first sync of a large mailbox, only to have a synced Maildir: without
        fsync per message (a setup step, not a measure)."""
        rc = self.work / "mbsyncrc-setup"
        rc.write_text("FSync no\n" + self.rc.read_text())
        self.mbsync(rc)

    def fresh_maildir(self) -> None:
        shutil.rmtree(self.maildir, ignore_errors=True)
        self.maildir.mkdir()


def full_sync(setup: Setup, tree: Path, rounds: int) -> None:
    print(f"full sync with bodies ({_load()})")
    tui_runs, mb_runs = [], []
    for n in range(rounds):
        order = ("tui", "mbsync") if n % 2 == 0 else ("mbsync", "tui")
        for who in order:
            if who == "tui":
                data = setup.work / f"full-{n}"
                run = setup.tui(data, tree, "--bodies")
                shutil.rmtree(data, ignore_errors=True)
                tui_runs.append(run)
                print(_line("tui-mail", "sync --bodies", run), "|", run.out.strip())
            else:
                setup.fresh_maildir()
                run = setup.mbsync()
                mb_runs.append(run)
                print(_line("mbsync", "initial sync", run))
    _ratio("full sync", tui_runs, mb_runs)


def no_change(setup: Setup, tree: Path, runs: int) -> None:
    data = setup.work / "synced"
    setup.tui(data, tree)  # headers: what a no-change sync compares against
    setup.fresh_maildir()
    setup.mbsync_setup()
    setup.tui(data, tree)
    setup.mbsync()
    print(f"no-change sync ({_load()})")
    tui_runs, mb_runs = [], []
    for n in range(runs):
        order = ("tui", "mbsync") if n % 2 == 0 else ("mbsync", "tui")
        for who in order:
            if who == "tui":
                tui_runs.append(setup.tui(data, tree))
            else:
                mb_runs.append(setup.mbsync())
    for who, got in (("tui-mail", tui_runs), ("mbsync", mb_runs)):
        walls = ", ".join(f"{r.wall * 1000:.0f}" for r in got)
        print(f"  {who:<9} wall ms: {walls}")
    _ratio("no-change", tui_runs, mb_runs)


def _ratio(label: str, tui: list[Run], mb: list[Run]) -> None:
    def med(runs: list[Run], attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in runs)

    t_wall, m_wall = med(tui, "wall"), med(mb, "wall")
    t_cpu, m_cpu = med(tui, "cpu"), med(mb, "cpu")
    t_rss, m_rss = max(r.rss_mib for r in tui), max(r.rss_mib for r in mb)
    print(f"  median {label}: tui-mail {t_wall:.2f} s / {t_cpu:.2f} CPU-s / {t_rss:.0f} MiB; "
          f"mbsync {m_wall:.2f} s / {m_cpu:.2f} CPU-s / {m_rss:.0f} MiB; ratio wall "
          f"{t_wall / m_wall:.2f}x, CPU {t_cpu / max(m_cpu, 1e-6):.2f}x, "
          f"RSS {t_rss / max(m_rss, 1e-6):.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000, help="messages of the full sync")
    parser.add_argument("--no-change", default="10000,50000",
                        help="folder sizes of the no-change syncs (comma-separated; '' for none)")
    parser.add_argument("--rounds", type=int, default=2, help="full syncs of each program")
    parser.add_argument("--runs", type=int, default=7, help="no-change syncs of each program")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the tui-mail source to run")
    args = parser.parse_args()

    from benchmarks.gen_messages import generate
    from tests.servers.certs import write_certificates
    from tests.servers.dovecot import Dovecot

    work = Path(tempfile.mkdtemp(prefix="tuimail-bench-"))
    work.chmod(0o755)
    certs = write_certificates(work / "certs")
    dovecot = Dovecot(work / "dovecot", certs.cert_file, certs.key_file)
    dovecot.start()
    tree = args.tree.resolve()
    print(f"tui-mail from {tree}; mbsync {subprocess.run(['mbsync', '--version'], text=True, capture_output=True).stdout.strip()}")
    try:
        sizes = [int(n) for n in args.no_change.split(",") if n.strip()]
        mailboxes: dict[int, Setup] = {}
        for count in sorted({args.count, *sizes}):
            user = dovecot.new_user()
            t = time.perf_counter()
            dovecot.deliver_many(user, generate(count))  # type: ignore[arg-type]
            dovecot.message_count(user)  # Dovecot indexes the folder before anything is timed
            print(f"{count} messages delivered in {time.perf_counter() - t:.1f} s")
            mailboxes[count] = Setup(work, f"m{count}", dovecot, user, certs.ca_file)
        user = dovecot.new_user()  # a run that writes the .pyc files and the dataclass code
        dovecot.deliver_many(user, generate(20))  # type: ignore[arg-type]
        warm = Setup(work, "warm", dovecot, user, certs.ca_file)
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "tui_mail")],
                       env={k: v for k, v in os.environ.items()
                            if k != "PYTHONDONTWRITEBYTECODE"}, check=False)
        warm.tui(warm.work / "warm-up", tree, "--bodies")
        if args.count and args.rounds:
            print(f"\n== {args.count} messages")
            full_sync(mailboxes[args.count], tree, args.rounds)
        for size in sizes:
            print(f"\n== {size} messages")
            no_change(mailboxes[size], tree, args.runs)
    finally:
        dovecot.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
