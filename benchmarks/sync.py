"""Sync speed and memory: tui-mail's engine against mbsync (isync), same Dovecot, same mail.

    /work/main/.venv/bin/python benchmarks/sync.py [--count 10000]

Starts a Dovecot with the test-suite code (tests/servers), bulk-delivers `count` generated
messages (benchmarks/gen_messages.py), then measures, each phase in its own child process so
that peak RSS (VmHWM, sampled) belongs to that phase alone:

  1. tui-mail headers-only initial sync (empty cache)
  2. tui-mail no-change resync (same cache)           - plus the in-process sync time
  3. tui-mail full sync with bodies and search index (empty cache)
  4. mbsync initial sync into a Maildir (bodies, as mbsync always fetches whole messages)
  5. mbsync no-change resync
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _child(args: argparse.Namespace) -> None:
    """One tui-mail phase; prints {"inprocess": seconds, ...} as JSON."""
    from tui_mail.model import Account, Address, Protocol, Security, ServerConfig
    from tui_mail.remote.connection import Credentials
    from tui_mail.remote.imap import ImapBackend
    from tui_mail.store import Store
    from tui_mail.sync.engine import SyncEngine

    server = ServerConfig(Protocol.IMAP, "127.0.0.1", args.port, Security.TLS, args.user,
                          ca_file=Path(args.ca), timeout=60)
    account = Account("bench", Address("", args.user), server, None, body_size_cap=10**9)
    store = Store.open(Path(args.cache))
    engine = SyncEngine(account, store,
                        lambda: ImapBackend.open(server, Credentials(args.user, args.password)))
    started = time.perf_counter()
    result = engine.sync(["INBOX"], bodies=args.bodies)
    elapsed = time.perf_counter() - started
    # The same again on the live connection: what a running app pays for a check with no news.
    started = time.perf_counter()
    engine.sync(["INBOX"])
    warm = time.perf_counter() - started
    engine.close()
    store.close()
    print(json.dumps({"inprocess": elapsed, "warm": warm, "new": result.new,
                      "bodies": result.bodies, "errors": result.errors}))


def _hwm_mib(pid: int) -> float | None:
    """Peak RSS of a live process (VmHWM: per address space, so it restarts at exec, unlike
    ru_maxrss, which Linux carries over from the forking parent)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _measure(cmd: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB, stdout) of a child process (outputs are small)."""
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out_file, stderr=err_file)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, _hwm_mib(proc.pid) or 0.0)
            time.sleep(0.02)
        wall = time.perf_counter() - started
        out_file.seek(0)
        err_file.seek(0)
        if proc.returncode != 0:
            words = err_file.read().decode(errors="replace")
            raise SystemExit(f"{cmd[0]} failed ({proc.returncode}):\n{words}")
        return wall, peak, out_file.read().decode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    for name in ("port", "user", "password", "ca", "cache"):
        parser.add_argument(f"--{name}", help=argparse.SUPPRESS)
    parser.add_argument("--bodies", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--resync-only", action="store_true",
                        help="only the headers-only sync and the no-change resyncs (no mbsync)")
    args = parser.parse_args()
    if args.child:
        args.port = int(args.port)
        _child(args)
        return

    from benchmarks.gen_messages import generate
    from tests.servers.certs import write_certificates
    from tests.servers.dovecot import Dovecot

    work = Path(tempfile.mkdtemp(prefix="tuimail-bench-"))
    work.chmod(0o755)
    certs = write_certificates(work / "certs")
    dovecot = Dovecot(work / "dovecot", certs.cert_file, certs.key_file)
    dovecot.start()
    try:
        user = dovecot.new_user()
        t = time.perf_counter()
        messages = list(generate(args.count))
        dovecot.deliver_many(user, messages)
        dovecot.message_count(user)  # let Dovecot index the folder before timing anything
        size = sum(len(m) for m in messages) / 1e6
        del messages
        print(f"{args.count} messages ({size:.0f} MB) delivered in {time.perf_counter() - t:.1f} s")
        port = dovecot.ports.imap_tls
        base = [sys.executable, __file__, "--child", "--port", str(port), "--user", user.login,
                "--password", user.password, "--ca", str(certs.ca_file)]

        def tui(label: str, cache: Path, bodies: bool = False) -> float:
            cmd = base + ["--cache", str(cache)] + (["--bodies"] if bodies else [])
            wall, rss, out = _measure(cmd)
            info = json.loads(out.strip().splitlines()[-1])
            if info["errors"]:
                raise SystemExit(f"{label}: {info['errors']}")
            print(f"tui-mail {label:<34} wall {wall:6.2f} s  in-process {info['inprocess']:6.2f} s"
                  f"  peak RSS {rss:6.1f} MiB  (new {info['new']}, bodies {info['bodies']})")
            print(f"         {'then no-change on the live connection':<34} "
                  f"{info['warm'] * 1000:8.1f} ms")
            return wall

        headers = tui("headers-only initial sync", work / "h.sqlite3")
        resync = tui("no-change resync", work / "h.sqlite3")
        if args.resync_only:
            return
        full = tui("full sync (bodies + search index)", work / "f.sqlite3", bodies=True)

        maildir = work / "Maildir"
        config = work / "mbsyncrc"
        config.write_text(f"""IMAPAccount bench
Host localhost
Port {port}
User {user.login}
Pass {user.password}
SSLType IMAPS
CertificateFile {certs.ca_file}

IMAPStore remote
Account bench

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel bench
Far :remote:
Near :local:
Patterns INBOX
Create Near
Sync Pull
SyncState *
""")
        (maildir).mkdir()

        def mbsync(label: str) -> float:
            wall, rss, _ = _measure(["mbsync", "-q", "-c", str(config), "bench"])
            print(f"mbsync   {label:<34} wall {wall:6.2f} s  peak RSS {rss:6.1f} MiB")
            return wall

        m_full = mbsync("initial sync (whole messages)")
        m_resync = mbsync("no-change resync")
        print(f"ratio tui-mail/mbsync: headers-only initial {headers / m_full:.2f}x, "
              f"full with bodies {full / m_full:.2f}x, no-change resync {resync / m_resync:.2f}x")
    finally:
        dovecot.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
