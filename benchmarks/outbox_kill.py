"""Kill campaign: does the outbox deliver every message exactly once when `tui-mail outbox
flush` is SIGKILLed at random moments during deliveries?

    .venv/bin/python benchmarks/outbox_kill.py --kills 50 [--seed N] [--max-delay 0.3]

Starts the test suite's own Postfix and Dovecot (tests/servers), writes a config for one
account (password through `password_command = "cat FILE"`), queues messages with
`tui-mail send --queue-only` (distinct subjects and Message-IDs), then runs
`tui-mail outbox flush` as a subprocess again and again. A poller reads the cache and, once a
row is in `sending`, `committing` or `accepted` (any of them, or one picked at random), waits
a random extra delay and SIGKILLs the flush. A kill counts when, with the process dead, some row is left in one of those states:
the kill landed while a delivery was in flight. After `--kills` such kills it flushes to the
end without killing, leaves the `unsure` rows alone as a careful user would before checking
(it counts them and says which had in fact been delivered), waits for Postfix's queue to
empty, and counts for every queued message its deliveries in the recipient's INBOX and its
copies in the sender's Sent folder (over IMAP).

Exit status 0 when there were no duplicates and no losses.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

IN_FLIGHT = ("sending", "committing", "accepted")
WAITING = ("queued", "failed")
SUBJECT_PREFIX = "kill campaign"
MAX_MISSES = 300  # flush runs in a row that end before a kill lands: something is wrong


@dataclass
class CampaignResult:
    kills: int = 0
    kills_by_state: Counter[str] = field(default_factory=Counter)
    flush_runs: int = 0
    messages: int = 0
    delivered_once: int = 0
    duplicates: list[str] = field(default_factory=list)
    losses: list[str] = field(default_factory=list)
    unsure: list[str] = field(default_factory=list)
    unsure_delivered: list[str] = field(default_factory=list)
    left_other: dict[str, str] = field(default_factory=dict)  # subject -> state
    sent_missing: list[str] = field(default_factory=list)
    sent_duplicated: list[str] = field(default_factory=list)
    final_output: str = ""

    def lines(self) -> list[str]:
        states = ", ".join(f"{state} {self.kills_by_state[state]}" for state in IN_FLIGHT)
        out = [
            f"kills landed during a delivery: {self.kills} ({states}); flush runs: "
            f"{self.flush_runs}",
            f"messages queued: {self.messages}",
            f"delivered exactly once: {self.delivered_once}",
            f"duplicates (delivered more than once): {len(self.duplicates)}"
            + _named(self.duplicates),
            f"losses (delivered 0 times and not in the outbox): {len(self.losses)}"
            + _named(self.losses),
            f"held as unsure (may have been sent): {len(self.unsure)}, of which in fact "
            f"delivered: {len(self.unsure_delivered)}" + _named(self.unsure_delivered),
            f"other rows left in the outbox: {len(self.left_other)}"
            + (f" {self.left_other}" if self.left_other else ""),
            f"Sent copies (messages that left the outbox): missing {len(self.sent_missing)}"
            + _named(self.sent_missing)
            + f", duplicated {len(self.sent_duplicated)}" + _named(self.sent_duplicated),
        ]
        return out

    @property
    def exactly_once(self) -> bool:
        return not self.duplicates and not self.losses


def _named(items: list[str]) -> str:
    return f" {items}" if items else ""


class Campaign:
    """One account (the sender) and one recipient on `servers`, a config and a data folder
    under `workdir`, and the `tui-mail` commands run against them."""

    def __init__(self, servers: Any, workdir: Path) -> None:
        self.servers = servers
        self.workdir = workdir
        self.sender = servers.new_user()
        self.recipient = servers.new_user()
        self.data_dir = workdir / "data"
        self.cache = self.data_dir / "cache.sqlite3"
        self.config = workdir / "config.toml"
        password = workdir / "password"
        password.write_text(self.sender.password + "\n")
        password.chmod(0o600)
        login, ca = self.sender.login, servers.ca_file
        self.config.write_text(
            f'[accounts.sender]\naddress = "Sender <{self.sender.address}>"\n\n'
            f'[accounts.sender.incoming]\nprotocol = "imap"\nhost = "127.0.0.1"\n'
            f'port = {servers.imap_tls_port}\nsecurity = "tls"\nusername = "{login}"\n'
            f'ca_file = "{ca}"\npassword_command = "cat {password}"\ntimeout = 20\n\n'
            f'[accounts.sender.smtp]\nhost = "127.0.0.1"\nport = {servers.smtp_starttls_port}\n'
            f'security = "starttls"\nusername = "{login}"\nca_file = "{ca}"\n'
            f'password_command = "cat {password}"\ntimeout = 20\n'
        )
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "TUI_MAIL"))}
        self.env.update(HOME=str(workdir), XDG_CONFIG_HOME=str(workdir / "config"),
                        XDG_DATA_HOME=str(workdir / "xdg-data"),
                        XDG_STATE_HOME=str(workdir / "state"), PYTHONPATH=str(ROOT))
        self.subjects: list[str] = []

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "tui_mail", "--config", str(self.config), "--data-dir",
                str(self.data_dir), *args]

    def run(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(*args), input=stdin, capture_output=True, text=True,
                              env=self.env, timeout=300, check=False, cwd=ROOT)

    def queue(self, count: int) -> None:
        for _ in range(count):
            subject = f"{SUBJECT_PREFIX} {len(self.subjects) + 1:04d}"
            done = self.run("send", "--queue-only", "-s", subject, self.recipient.address,
                            stdin=f"Message {subject}.\n")
            if done.returncode != 0:
                raise RuntimeError(f"queueing failed: {done.stdout}{done.stderr}")
            self.subjects.append(subject)

    def rows(self, conn: sqlite3.Connection | None = None) -> list[tuple[int, str, bytes]]:
        """(id, state, raw) of every outbox row, read without writing."""
        if conn is None:
            if not self.cache.exists():
                return []
            with self.reader() as own:
                return self.rows(own)
        try:
            return conn.execute("SELECT id, state, raw FROM outbox ORDER BY id").fetchall()
        except sqlite3.OperationalError:  # the first writer is still creating the cache
            return []

    @contextmanager
    def reader(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(f"file:{self.cache}?mode=ro", uri=True, timeout=10,
                               isolation_level=None)
        try:
            yield conn
        finally:
            conn.close()

    def in_flight(self, conn: sqlite3.Connection) -> set[tuple[int, str]]:
        rows = conn.execute("SELECT id, state FROM outbox WHERE state IN (?, ?, ?)", IN_FLIGHT)
        return {(entry_id, state) for entry_id, state in rows}

    def flush_and_kill(self, rng: random.Random, max_delay: float) -> list[str] | None:
        """One `outbox flush`, killed at a random moment of a delivery: the poller picks a
        state to wait for (any in-flight state, or one of them: `committing` lasts a couple
        of milliseconds and would hardly ever be hit otherwise), then waits a random extra
        delay. Returns the states the dead process left in flight (the kill landed during a
        delivery), or None when the flush ended first.

        Rows the previous kill left in flight are not this process's work until it moved
        them on: they neither trigger the kill nor count for it."""
        target = rng.choice(("any", "sending", "committing", "accepted"))
        delay = {"any": max_delay, "sending": 0.05, "committing": 0.0, "accepted": 0.05}[target]
        wanted = IN_FLIGHT if target == "any" else (target,)
        pause = 0.0 if target == "committing" else 0.0005
        with open(self.workdir / "flush.log", "a") as log, self.reader() as conn:
            stale = self.in_flight(conn)

            def fresh() -> set[tuple[int, str]]:
                now = self.in_flight(conn)
                stale.intersection_update(now)  # moved on once: no longer the dead one's
                return now - stale

            proc = subprocess.Popen(self.command("outbox", "flush"), stdout=log, stderr=log,
                                    env=self.env, cwd=ROOT)
            while proc.poll() is None:
                if any(state in wanted for _, state in fresh()):
                    if delay:
                        time.sleep(rng.uniform(0.0, delay))
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                    left = sorted(state for _, state in fresh())
                    return left if proc.returncode == -signal.SIGKILL and left else None
                time.sleep(pause)
            return None

    def wait_for_postfix(self, limit: float = 120.0) -> None:
        deadline = time.monotonic() + limit
        while "Mail queue is empty" not in self.servers.postfix.queued():
            if time.monotonic() > deadline:
                raise RuntimeError("Postfix's queue did not empty:\n"
                                   + self.servers.postfix.queued())
            self.servers.postfix.flush()
            time.sleep(0.2)

    def subjects_in(self, user: Any, folder: str) -> Counter[str]:
        import imapclient

        context = ssl.create_default_context(cafile=str(self.servers.ca_file))
        client = imapclient.IMAPClient("127.0.0.1", port=self.servers.imap_tls_port, ssl=True,
                                       ssl_context=context, timeout=30)
        try:
            client.login(user.login, user.password)
            if not client.folder_exists(folder):
                return Counter()
            client.select_folder(folder, readonly=True)
            uids = client.search(["ALL"])
            found: Counter[str] = Counter()
            for start in range(0, len(uids), 500):
                batch = uids[start:start + 500]
                key = b"BODY[HEADER.FIELDS (SUBJECT)]"
                for data in client.fetch(batch, ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"]).values():
                    found[_subject(data[key])] += 1
            return found
        finally:
            client.logout()


def _subject(raw: bytes) -> str:
    return str(BytesHeaderParser(policy=default_policy).parsebytes(raw).get("subject", ""))


def run_campaign(servers: Any, workdir: Path, kills: int, *, seed: int = 1,
                 max_delay: float = 0.3, batch: int = 8,
                 say: Callable[[str], None] = lambda line: None) -> CampaignResult:
    """Kill `tui-mail outbox flush` until `kills` kills landed during deliveries, finish,
    and count what every queued message became."""
    rng = random.Random(seed)
    campaign = Campaign(servers, workdir)
    result = CampaignResult()
    misses = 0
    while result.kills < kills:
        if sum(1 for _, state, _ in campaign.rows() if state in WAITING) < 3:
            campaign.queue(batch)
        result.flush_runs += 1
        left = campaign.flush_and_kill(rng, max_delay)
        if not left:
            misses += 1
            if misses > MAX_MISSES:
                raise RuntimeError(f"{misses} flush runs in a row ended before a kill landed")
            continue
        misses = 0
        result.kills += 1
        result.kills_by_state.update(left)
        say(f"kill {result.kills}: landed with rows in {', '.join(left)}")
    for _ in range(5):  # to the end, no kills: every abandoned row is recovered
        final = campaign.run("outbox", "flush")
        result.final_output += final.stdout + final.stderr
        if not any(state in (*WAITING, *IN_FLIGHT) for _, state, _ in campaign.rows()):
            break
    campaign.wait_for_postfix()

    delivered = campaign.subjects_in(campaign.recipient, "INBOX")
    copies = campaign.subjects_in(campaign.sender, "Sent")
    left_rows = {_subject(raw): (entry_id, state) for entry_id, state, raw in campaign.rows()}
    result.messages = len(campaign.subjects)
    for subject in campaign.subjects:
        times = delivered[subject]
        row = left_rows.get(subject)
        if times > 1:
            result.duplicates.append(subject)
        elif times == 1:
            result.delivered_once += 1
        elif row is None:
            result.losses.append(subject)
        if row is not None and row[1] == "unsure":
            result.unsure.append(subject)
            if times:
                result.unsure_delivered.append(subject)
        elif row is not None:
            result.left_other[subject] = row[1]
        if row is None and times:
            if copies[subject] == 0:
                result.sent_missing.append(subject)
            elif copies[subject] > 1:
                result.sent_duplicated.append(subject)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=50, help="kills that must land (default 50)")
    parser.add_argument("--seed", type=int, default=int(time.time()), help="random seed")
    parser.add_argument("--max-delay", type=float, default=0.3,
                        help="longest random wait, in seconds, between seeing a delivery in "
                        "flight and the kill (default 0.3)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()

    from tests.servers.mailservers import start_mail_servers

    workdir = Path(tempfile.mkdtemp(prefix="outbox-kill-"))
    started = time.monotonic()
    print(f"seed {args.seed}; work folder {workdir}", flush=True)
    servers = start_mail_servers()
    try:
        result = run_campaign(servers, workdir, args.kills, seed=args.seed,
                              max_delay=args.max_delay,
                              say=lambda line: print(line, flush=True))
    finally:
        servers.close()
        if not args.keep:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print("\n".join(result.lines()))
    print(f"({time.monotonic() - started:.0f} s)")
    print(json.dumps({"kills": result.kills, "messages": result.messages,
                      "duplicates": len(result.duplicates), "losses": len(result.losses),
                      "unsure": len(result.unsure),
                      "unsure_delivered": len(result.unsure_delivered)}))
    return 0 if result.exactly_once else 1


if __name__ == "__main__":
    raise SystemExit(main())
