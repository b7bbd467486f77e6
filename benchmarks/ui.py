"""UI benchmark in a real terminal (tmux): tui-mail on 1,000 and 100,000 cached messages.

    .venv/bin/python benchmarks/ui.py [--sizes 1000,100000] [--runs 3] [--dir DIR]

For each size, one folder of generated messages (benchmarks/gen_messages.py, seed 7) is written
as a Maildir and imported into a cache; both are kept under DIR (default: $TMPDIR/tui-mail-uibench)
so later runs start at once. Then, in a 120x40 tmux window, for `runs` launches:

  start    process start until the list shows the newest message's row
  jump     `G` until the oldest message's row is on screen
  open     Enter until the message view shows its headers and body (no "Loading…")
  search   a word arriving in one burst 0.3 s after `/` (as tmux sends it; like a paste) until the
           word's results and their count show (the count is read from the cache first, so a
           search of part of the word does not count): the bar searches at the first change,
           by when the input usually holds the whole burst, and once more DEBOUNCE_SECONDS
           after it if the query changed since; a long list shows its newest rows first with
           "100+ results", then the rest
  typed    the same word typed a key at a time (120 ms apart, each key once the bar shows the
           one before): from the last key until its results show (a lone key searches at once)
  memory   peak resident memory of the process (VmHWM) after those steps

With --remote, a mailbox on the test suite's own Dovecot (started here, on loopback, with TLS)
holds 50 KB messages whose bodies are not cached (download_bodies = "on-open", as on a first
start before the background download reached them); Enter on one is timed until its text is on
screen: the first open after the start, another further down (outside the prefetch window),
and that one again once its body is cached (the part of the time that is drawing).

Times are wall-clock from the moment the key is handed to tmux until `capture-pane` shows the
change (polled every ~5 ms, so each figure includes a few ms of tmux round trip). If NeoMutt is
installed, the same Maildir is opened with it (header cache warmed by a first run) and measured
for start, jump and open, with the ratio. Prints figures only; nothing is asserted.
Targets: start < 0.6 s at 1k..100k; jump, open and search < 100 ms; memory < 150 MB at 100k;
a 50 KB body from the server on screen < 300 ms after Enter.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.utils import parsedate_to_datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.gen_messages import generate, write_maildir  # noqa: E402
from tui_mail.model import FolderRole  # noqa: E402
from tui_mail.store import Store  # noqa: E402
from tui_mail.store.importer import import_path  # noqa: E402
from tui_mail.ui.screens.search_results import SEARCH_FIRST, SEARCH_LIMIT  # noqa: E402

WIDTH, HEIGHT = 120, 40
SEED = 7
ACCOUNT = "bench"
SEARCH_WORD = "narwhal"


# ---- data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    count: int
    root: Path
    newest_date: str  # YYYY-MM-DD of the newest message (as the list shows it, TZ=UTC)
    oldest_date: str
    search_status: tuple[str, ...]  # the search bar's count once SEARCH_WORD's results show

    @property
    def maildir(self) -> Path:
        return self.root / "Maildir"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def cache(self) -> Path:
        return self.data_dir / "cache.sqlite3"


def prepare(count: int, base: Path) -> Dataset:
    root = base / str(count)
    done = root / "complete"
    if not done.exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        t0 = time.perf_counter()
        write_maildir(root / "Maildir", generate(count, seed=SEED))
        print(f"  {count}: wrote the Maildir in {time.perf_counter() - t0:.1f} s", flush=True)
        t0 = time.perf_counter()
        store = Store.open(root / "data" / "cache.sqlite3")
        try:
            store.ensure_folder(ACCOUNT, "INBOX", FolderRole.INBOX)
            result = import_path(store, root / "Maildir", ACCOUNT, "INBOX",
                                 workers=max(1, (os.cpu_count() or 2)))
        finally:
            store.close()
        print(f"  {count}: imported {result.added} messages in {time.perf_counter() - t0:.1f} s",
              flush=True)
        done.write_text("ok\n")
    with Store.open(root / "data" / "cache.sqlite3") as store:
        store.ensure_folder(ACCOUNT, "INBOX", FolderRole.INBOX)  # the app opens "All inboxes"
        first = len(store.listing.search(SEARCH_WORD, limit=SEARCH_FIRST))
        listed = len(store.listing.search(SEARCH_WORD, limit=SEARCH_LIMIT))
    files = sorted((root / "Maildir" / "cur").iterdir())
    # A long list shows its first step ("100+ results"), then all it lists.
    statuses = {f"{first}+ results" if first == SEARCH_FIRST else f"{first} results",
                f"{listed}+ results" if listed == SEARCH_LIMIT else f"{listed} results"}
    return Dataset(count, root, _date_of(files[-1]), _date_of(files[0]), tuple(sorted(statuses)))


def from_cache(cache: Path, base: Path) -> Dataset:
    """A dataset of an existing cache (say the 1M one of inflate_cache.py): linked into a data
    folder of its own; its dates come from the cache. It has no Maildir (NeoMutt is measured on
    another size's in the same run)."""
    count = sqlite3.connect(f"file:{cache}?mode=ro", uri=True).execute(
        "SELECT count(*) FROM messages").fetchone()[0]
    root = base / f"cache-{count}"
    target = root / "data" / "cache.sqlite3"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(cache, target)
    with Store.open(target, readonly=True) as store:
        first = len(store.listing.search(SEARCH_WORD, limit=SEARCH_FIRST))
        listed = len(store.listing.search(SEARCH_WORD, limit=SEARCH_LIMIT))
        low, high = store._conn.execute("SELECT min(date), max(date) FROM messages").fetchone()
    statuses = {f"{first}+ results" if first == SEARCH_FIRST else f"{first} results",
                f"{listed}+ results" if listed == SEARCH_LIMIT else f"{listed} results"}
    day = lambda t: datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d")  # noqa: E731
    return Dataset(count, root, day(high), day(low), tuple(sorted(statuses)))


def _date_of(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(4096)
    msg = message_from_bytes(head.split(b"\r\n\r\n", 1)[0])
    return parsedate_to_datetime(str(msg["Date"])).strftime("%Y-%m-%d")


# ---- terminal ------------------------------------------------------------------------------


class Terminal:
    """One program in a private tmux server, started with `exec` so the pane pid is its pid."""

    def __init__(self) -> None:
        self.socket = f"tui-mail-bench-{uuid.uuid4().hex[:10]}"

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, "-f", os.devnull, *args],
                              capture_output=True, text=True, check=False)
        return done.stdout

    def start(self, argv: Sequence[str], env: dict[str, str], cwd: Path) -> float:
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        command = f"cd {shlex.quote(str(cwd))} && exec env -i {exports} {shlex.join(argv)}"
        t0 = time.perf_counter()
        self.tmux("new-session", "-d", "-s", "b", "-x", str(WIDTH), "-y", str(HEIGHT),
                  "sh", "-c", command)
        return t0

    @property
    def pid(self) -> int:
        return int(self.tmux("display-message", "-p", "-t", "b", "#{pane_pid}").strip())

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "b")

    def keys(self, *keys: str, literal: bool = False) -> float:
        t0 = time.perf_counter()
        self.tmux("send-keys", "-t", "b", *(("-l",) if literal else ()), *keys)
        return t0

    def wait(self, ready: Callable[[str], bool], since: float, timeout: float = 60.0) -> float:
        """Seconds from `since` until `ready(screen)`; raises with the screen on timeout."""
        screen = ""
        while time.perf_counter() - since < timeout:
            screen = self.screen()
            if ready(screen):
                return time.perf_counter() - since
            time.sleep(0.005)
        raise TimeoutError(f"the screen never became ready:\n{screen}")

    def close(self) -> None:
        """Stop the program (NeoMutt outlives its terminal otherwise), then the tmux server."""
        try:
            pid = self.pid
        except ValueError:
            pid = None
        if pid is not None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
                    time.sleep(0.3)
        self.tmux("kill-server")


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def base_env(home: Path) -> dict[str, str]:
    for sub in ("config", "data", "state", "cache"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "TERM": "screen-256color",
        "LANG": "C.UTF-8",
        "TZ": "UTC",
    }


# ---- tui-mail ------------------------------------------------------------------------------


@dataclass
class Figures:
    start: list[float] = field(default_factory=list)
    jump: list[float] = field(default_factory=list)
    open: list[float] = field(default_factory=list)
    search: list[float] = field(default_factory=list)
    typed: list[float] = field(default_factory=list)
    memory: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # seconds of CPU of the whole run


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (/proc/PID/stat, clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tui_mail_argv(data: Dataset, launcher: str, home: Path) -> list[str]:
    if launcher == "cli":
        # An account named like the cache's, on a closed local port: the app starts offline.
        config = home / "bench-config.toml"
        config.write_text(
            f'[accounts.{ACCOUNT}]\naddress = "bench@example.com"\n'
            f'[accounts.{ACCOUNT}.incoming]\nprotocol = "imap"\nhost = "127.0.0.1"\nport = 9\n'
            'security = "none"\npassword_command = "echo x"\n'
        )
        return [sys.executable, "-m", "tui_mail", "--config", str(config),
                "--data-dir", str(data.data_dir)]
    code = (
        "import sys; from pathlib import Path; from tui_mail.ui.app import run_app; "
        f"sys.exit(run_app(None, Path({str(data.cache)!r})))"
    )
    return [sys.executable, "-c", code]


def opened(screen: str) -> bool:
    """The message screen shows the headers and the body (not "Loading…" in its place)."""
    return "Subject:" in screen and "From:" in screen and "Loading" not in screen


def measure_tui_mail(data: Dataset, runs: int, launcher: str, home: Path,
                     skip_typed: bool = False) -> Figures:
    figures = Figures()
    results = re.compile("|".join(rf"(?<![\d,]){re.escape(t)}" for t in data.search_status))
    for _ in range(runs):
        term = Terminal()
        try:
            t0 = term.start(tui_mail_argv(data, launcher, home), base_env(home), REPO)
            figures.start.append(term.wait(lambda s: data.newest_date in s, t0))
            time.sleep(0.5)  # let start-up work (first pages, previews) finish
            t0 = term.keys("G")
            figures.jump.append(term.wait(lambda s: data.oldest_date in s, t0))
            time.sleep(0.3)
            t0 = term.keys("Enter")
            figures.open.append(term.wait(opened, t0))
            time.sleep(0.3)
            term.keys("q")
            term.wait(lambda s: "Subject:" not in s, time.perf_counter())
            time.sleep(0.3)
            term.keys("/")
            term.wait(lambda s: "in: folder" in s, time.perf_counter())
            time.sleep(0.3)  # the bar has the focus (a paste comes after `/`, not with it)
            t0 = term.keys(SEARCH_WORD, literal=True)
            figures.search.append(term.wait(lambda s: bool(results.search(s)), t0))
            time.sleep(0.3)
            term.keys("Escape")
            time.sleep(0.3)
            if skip_typed:
                figures.memory.append(peak_memory_mb(term.pid))
                figures.cpu.append(cpu_seconds(term.pid))
                term.keys("C-q")
                time.sleep(0.3)
                continue
            # Escape is told from the start of a sequence only after ESCDELAY (0.1 s): wait
            # for the bar to close, or the bar still on screen passes for the new one and the
            # first keys go to the list (`r` replied: "lost keys under load").
            term.wait(lambda s: "in: folder" not in s, time.perf_counter())
            term.keys("/")
            term.wait(lambda s: "in: folder" in s and f"/ {SEARCH_WORD}" not in s,
                      time.perf_counter())
            time.sleep(0.3)
            figures.typed.append(type_word(term, SEARCH_WORD, results))
            figures.memory.append(peak_memory_mb(term.pid))
            figures.cpu.append(cpu_seconds(term.pid))
            term.keys("Escape")
            term.keys("C-q")
            time.sleep(0.3)
        finally:
            term.close()
    return figures


def type_word(term: Terminal, word: str, results: re.Pattern[str], gap: float = 0.12) -> float:
    """Type `word` a key at a time, `gap` apart, each key only once the bar shows the one
    before (a key is never sent into a screen still busy with an earlier one, nor lost
    unseen); seconds from the last key until `results` show."""
    t0 = 0.0
    for i, key in enumerate(word):
        t0 = term.keys(key, literal=True)
        if i == len(word) - 1:
            break
        typed = f"/ {word[:i + 1]} "

        def shows(screen: str, typed: str = typed) -> bool:
            return typed in screen

        term.wait(shows, t0, timeout=10)
        time.sleep(max(0.0, gap - (time.perf_counter() - t0)))
    return term.wait(lambda s: f"/ {word} " in s and bool(results.search(s)), t0)


# ---- bodies from the server ----------------------------------------------------------------

REMOTE_MESSAGES = 12
REMOTE_SIZE = 50_000


def remote_message(n: int) -> bytes:
    """A 50 KB plain text message whose body starts with a line unique to it."""
    from email.message import EmailMessage
    from email.utils import format_datetime

    msg = EmailMessage()
    msg["From"] = "Bench Sender <sender@example.com>"
    msg["To"] = "bench@example.test"
    msg["Subject"] = f"Remote body {n:02d}"
    msg["Date"] = format_datetime(datetime.now(UTC) - timedelta(minutes=n))
    line = "The quick brown fox jumps over the lazy dog, again and again. " * 1 + "\n"
    msg.set_content(f"Unique opening line {n:02d}.\n" + line * (REMOTE_SIZE // len(line)))
    return msg.as_bytes()


def measure_remote_open(runs: int, base: Path) -> dict[str, list[float]]:
    from tests.journeys.world import MailWorld
    from tests.servers.mailservers import start_mail_servers

    figures: dict[str, list[float]] = {"first": [], "warm": [], "cached": []}
    # first: the body connection was opened at start (as the app does), nothing fetched yet
    servers = start_mail_servers()
    try:
        for run in range(runs):
            world = MailWorld(servers, base / f"remote-home-{run}")
            world.write_config(extra_account_keys='download_bodies = "on-open"\n',
                               ui="sync_every_minutes = 0\nidle = false\n")
            servers.deliver_many(world.user, [remote_message(n) for n in range(REMOTE_MESSAGES)])
            term = Terminal()
            try:
                term.start(tui_mail_command(), world.env, REPO)
                term.wait(lambda s: "Remote body 00" in s and "online" in s, time.perf_counter())
                time.sleep(0.5)
                t0 = term.keys("Enter")
                figures["first"].append(term.wait(lambda s: "Unique opening line 00." in s, t0))
                term.keys("q")
                term.wait(lambda s: "Subject:" not in s, time.perf_counter())
                term.keys(*["j"] * 8)  # past the prefetched neighbours
                time.sleep(0.5)
                t0 = term.keys("Enter")
                figures["warm"].append(term.wait(lambda s: "Unique opening line 08." in s, t0))
                term.keys("q")
                term.wait(lambda s: "Subject:" not in s, time.perf_counter())
                time.sleep(0.5)
                t0 = term.keys("Enter")  # the same one again: its body is cached now
                figures["cached"].append(term.wait(lambda s: "Unique opening line 08." in s, t0))
                term.keys("C-q")
                time.sleep(0.3)
            finally:
                term.close()
    finally:
        servers.close()
    return figures


def tui_mail_command() -> list[str]:
    script = Path(sys.executable).parent / "tui-mail"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui_mail"]


# ---- the floor: a bare Textual app ---------------------------------------------------------

BARE_APP = """
from textual.app import App
from textual.widgets import Static


class Bare(App):
    def compose(self):
        yield Static("BARE-TEXTUAL-READY")


Bare().run()
"""


def measure_bare_textual(runs: int, home: Path) -> list[float]:
    """Start until a Textual app with one Static shows it: what any Textual app pays on this
    machine (interpreter, Textual's import, the first frame) before doing anything of its own.
    Printed beside the figures because this machine's speed drifts by a fifth between runs."""
    script = home / "bare_textual.py"
    script.write_text(BARE_APP)
    times = []
    for _ in range(runs):
        term = Terminal()
        try:
            t0 = term.start([sys.executable, str(script)], base_env(home), REPO)
            times.append(term.wait(lambda s: "BARE-TEXTUAL-READY" in s, t0))
            term.keys("C-q")
            time.sleep(0.3)
        finally:
            term.close()
    return times


# ---- NeoMutt --------------------------------------------------------------------------------


def measure_neomutt(data: Dataset, runs: int, home: Path) -> Figures | None:
    neomutt = shutil.which("neomutt")
    if neomutt is None:
        return None
    muttrc = home / "neomuttrc"
    cache = data.root / "neomutt-hcache"
    cache.mkdir(exist_ok=True)
    muttrc.write_text(
        f'set folder = "{data.root}"\nset spoolfile = "{data.maildir}"\n'
        f'set header_cache = "{cache}"\n'
        'set sort = reverse-date\nset sort_aux = date\n'
        'set index_format = "%4C %Z %{!%Y-%m-%d} %-18.18L %s"\n'
        "set pager_index_lines = 0\nset pager_stop = yes\nset mark_old = no\n"
        "set quit = yes\nset read_only = yes\nset timeout = 0\nset mail_check_stats = no\n"
        "unset help\n"
    )
    argv = [neomutt, "-n", "-F", str(muttrc), "-f", str(data.maildir)]
    figures = Figures()
    for run in range(runs + 1):  # the first run only warms the header cache
        term = Terminal()
        try:
            t0 = term.start(argv, base_env(home), REPO)
            start = term.wait(lambda s: data.newest_date in s, t0, timeout=600)
            time.sleep(0.5)
            t0 = term.keys("End")
            jump = term.wait(lambda s: data.oldest_date in s, t0)
            time.sleep(0.3)
            t0 = term.keys("Enter")
            opened_in = term.wait(opened, t0)
            memory = peak_memory_mb(term.pid)
            cpu = cpu_seconds(term.pid)
            term.keys("q")
            term.keys("q")
            time.sleep(0.3)
        finally:
            term.close()
        if run:
            figures.start.append(start)
            figures.jump.append(jump)
            figures.open.append(opened_in)
            figures.memory.append(memory)
            figures.cpu.append(cpu)
    return figures


# ---- report ---------------------------------------------------------------------------------


def summary(values: list[float], unit: str) -> str:
    if not values:
        return "-"
    scale = 1000 if unit == "ms" else 1
    places = 2 if unit == "s" else 0
    shown = ", ".join(f"{v * scale:.{places}f}" for v in values)
    return f"{statistics.median(values) * scale:7.{places}f} {unit}  ({shown})"


def report(count: int, ours: Figures, theirs: Figures | None, bare: list[float]) -> None:
    print(f"\n== {count:,} messages in one folder ==")
    rows = [("start to rows", "start", "ms"), ("jump to end (G)", "jump", "ms"),
            ("open message (Enter)", "open", "ms"), ("search, word in a burst", "search", "ms"),
            ("search, typed key by key", "typed", "ms"),
            ("peak memory (VmHWM)", "memory", "MB"), ("CPU of the whole run", "cpu", "s")]
    print(f"{'':24} {'tui-mail median (runs)':40} {'NeoMutt median (runs)':40} ratio")
    for label, key, unit in rows:
        mine = getattr(ours, key)
        other = getattr(theirs, key) if theirs else []
        ratio = (f"{statistics.median(mine) / statistics.median(other):.2f}x"
                 if mine and other else "")
        print(f"{label:24} {summary(mine, unit):40} {summary(other, unit):40} {ratio}")
    print(f"{'(bare Textual app start)':24} {summary(bare, 'ms'):40} "
          "the floor of any Textual app on this machine, measured in the same run")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "tui-mail-uibench")
    parser.add_argument("--launcher", choices=("cli", "direct"), default="cli",
                        help="start through `python -m tui_mail` (default) or call run_app directly")
    parser.add_argument("--no-neomutt", action="store_true")
    parser.add_argument("--skip-typed", action="store_true",
                        help="leave out the search typed key by key")
    parser.add_argument("--cache", type=Path, default=None,
                        help="measure this existing cache (e.g. the 1M one of inflate_cache.py);"
                        " NeoMutt runs on the Maildir of the last of --sizes in the same run")
    parser.add_argument("--prepare-only", action="store_true", help="build the data and stop")
    parser.add_argument("--remote", action="store_true",
                        help="only the bodies opened from the server (the suite's Dovecot)")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("tmux is not installed: apt-get install tmux", file=sys.stderr)
        return 2
    if args.remote:
        with tempfile.TemporaryDirectory(prefix="tui-mail-uibench-remote-") as tmp:
            remote = measure_remote_open(args.runs, Path(tmp))
        print(f"\n== a {REMOTE_SIZE // 1000} KB body from the server (loopback, TLS) ==")
        print(f"{'first open after the start':32} {summary(remote['first'], 'ms')}")
        print(f"{'open, connection already up':32} {summary(remote['warm'], 'ms')}")
        print(f"{'the same, body cached by then':32} {summary(remote['cached'], 'ms')}")
        print("target: < 300 ms")
        return 0
    print(f"data under {args.dir} (kept between runs)")
    for count in (int(s) for s in args.sizes.split(",")):
        data = prepare(count, args.dir)
        if args.prepare_only:
            continue
        ours_data = from_cache(args.cache, args.dir) if args.cache else data
        with tempfile.TemporaryDirectory(prefix="tui-mail-uibench-home-") as tmp:
            home = Path(tmp)
            bare = measure_bare_textual(args.runs, home)
            ours = measure_tui_mail(ours_data, args.runs, args.launcher, home, args.skip_typed)
            theirs = None if args.no_neomutt else measure_neomutt(data, args.runs, home)
        if args.cache:
            print(f"\ntui-mail on {args.cache} ({ours_data.count:,} messages), NeoMutt on the"
                  f" {count:,} of the Maildir")
        report(ours_data.count, ours, theirs, bare)
        if theirs is None and not args.no_neomutt:
            print("NeoMutt is not installed (apt-get install neomutt) - no comparison")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
