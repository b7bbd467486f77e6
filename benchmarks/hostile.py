"""Hostile messages: is each one on screen (or refused with a reason) within bounded work?

    .venv/bin/python benchmarks/hostile.py [--only NAME,...] [--no-show] [--no-ui] [--dir DIR]

Generates the messages of issue 17 (500,000 blank lines; a 1 MB Subject; 1 MB and 5 MB of
HTML on one line; 10,000 styled elements never closed; 10,000 parts; MIME nesting 1,000 deep;
a 20 MB line; a 20 MB base64 attachment) into DIR (default: $TMPDIR/tui-mail-hostile) and prints, per message:

  parse+render  CPU seconds of what the viewer's worker does on open (`render_shown`: parse
                once, render the body, the header rows), in this process
  index         CPU seconds of the search-index text extraction sync and import run
                (`store.extract.body_text`)
  show          wall seconds of the real `tui-mail show FILE` (a fresh process, Python start
                included), with the size of what it printed
  keys          the worst and median stall of the interface's event loop (Textual pilot,
                80x24), sampled every 5 ms from the moment the view is asked to show the
                message until a second after its body is on screen, with `j` sent every 50 ms
                and scrolling keys after: a key waits at most the worst stall to be answered;
                "open" is how long until the body (or a refusal) was on screen

Targets (issue 17): parse+render within 1 s of CPU, keys answered within 100 ms throughout,
`tui-mail show` within 2 s. Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where measured: their import is part of what is timed
    from tui_mail.model import Flags, MessageSummary

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

MB = 1024 * 1024

HEAD = (
    "From: Mallory <mallory@example.net>\r\n"
    "To: victim@example.org\r\n"
    "Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n"
    "Message-ID: <{name}@hostile.example>\r\n"
    "MIME-Version: 1.0\r\n"
)


def _head(name: str, subject: str = "") -> str:
    return HEAD.format(name=name) + f"Subject: {subject or 'hostile: ' + name}\r\n"


def blank_lines() -> bytes:
    return (_head("blank-lines") + "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            + "top\r\n" + "\r\n" * 500_000 + "bottom\r\n").encode()


def subject_1mb() -> bytes:
    words = ("lorem ipsum dolor sit amet " * (MB // 27 + 1))[:MB]
    return (_head("subject-1mb", words) + "Content-Type: text/plain\r\n\r\nshort body\r\n"
            ).encode()


def _html(size: int) -> str:
    chunk = ('<div class="c"><p>Offer <b>now</b> and <a href="https://example.org/x?i=1">'
             'click here</a> for more &amp; more.</p><table><tr><td>cell</td><td>x</td></tr>'
             '</table></div>')
    return "<html><body>" + chunk * (size // len(chunk)) + "</body></html>"


def html(size: int, name: str) -> Callable[[], bytes]:
    def make() -> bytes:
        return (_head(name) + "Content-Type: text/html; charset=utf-8\r\n\r\n"
                + _html(size) + "\r\n").encode()
    return make


def parts_10k() -> bytes:
    out = [_head("parts-10k"), 'Content-Type: multipart/mixed; boundary="P"\r\n\r\n',
           "--P\r\nContent-Type: text/plain\r\n\r\nTen thousand parts follow.\r\n"]
    for i in range(10_000):
        out.append(f"--P\r\nContent-Type: application/octet-stream\r\n"
                   f'Content-Disposition: attachment; filename="part{i}.bin"\r\n\r\n'
                   f"data {i}\r\n")
    out.append("--P--\r\n")
    return "".join(out).encode()


def nesting_1000() -> bytes:
    depth = 1000
    out = [_head("nesting-1000"), 'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n']
    for i in range(1, depth):
        out.append(f'--b{i - 1}\r\nContent-Type: multipart/mixed; boundary="b{i}"\r\n\r\n')
    out.append(f"--b{depth - 1}\r\nContent-Type: text/plain\r\n\r\nthe bottom\r\n")
    for i in range(depth - 1, -1, -1):
        out.append(f"--b{i}--\r\n")
    return "".join(out).encode()


def line_20mb() -> bytes:
    return (_head("line-20mb") + "Content-Type: text/plain\r\n\r\n"
            + "x" * (20 * MB) + "\r\n").encode()


def base64_20mb() -> bytes:
    data = base64.encodebytes(os.urandom(20 * MB)).replace(b"\n", b"\r\n")
    return ((_head("base64-20mb") + 'Content-Type: multipart/mixed; boundary="Z"\r\n\r\n'
             "--Z\r\nContent-Type: text/plain\r\n\r\nA big file.\r\n"
             "--Z\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64"
             '\r\nContent-Disposition: attachment; filename="big.bin"\r\n\r\n').encode()
            + data + b"--Z--\r\n")


def html_unclosed() -> bytes:
    """10,000 styled elements never closed, then as many stray end tags: the hidden-text pass
    once walked every open element for each piece of text and each end tag."""
    html = '<span style="color:#fff">x' * 10_000 + "y</p>" * 10_000
    return (_head("html-unclosed") + "Content-Type: text/html; charset=utf-8\r\n\r\n"
            + html + "\r\n").encode()


MESSAGES: dict[str, Callable[[], bytes]] = {
    "blank-lines-500k": blank_lines,
    "subject-1mb": subject_1mb,
    "html-1mb-one-line": html(MB, "html-1mb"),
    "html-5mb-one-line": html(5 * MB, "html-5mb"),
    "html-unclosed-10k": html_unclosed,
    "parts-10k": parts_10k,
    "nesting-1000": nesting_1000,
    "line-20mb": line_20mb,
    "base64-20mb": base64_20mb,
}


def write_messages(folder: Path, names: list[str]) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name in names:
        path = folder / f"{name}.eml"
        if not path.exists():
            path.write_bytes(MESSAGES[name]())
        paths[name] = path
    return paths


# ---- measures ----------------------------------------------------------------------------


def cpu(func: Callable[[], object]) -> float:
    start = time.process_time()
    func()
    return time.process_time() - start


def render_cpu(raw: bytes) -> float:
    from tui_mail.model import Flags, MessageSummary
    from tui_mail.ui.widgets.message_view import Mode, render_shown

    summary = _summary(Flags, MessageSummary)
    return cpu(lambda: render_shown(summary, raw, Mode.TEXT))


def index_cpu(raw: bytes) -> float:
    from tui_mail.store.extract import body_text

    return cpu(lambda: body_text(raw))


def _summary(flags: type[Flags], summary: type[MessageSummary]) -> MessageSummary:
    from datetime import UTC, datetime

    from tui_mail.model import Address

    return summary(id=1, account="bench", folder="INBOX", uid=1, message_id="<h@x>",
                   subject="hostile", sender=Address("Mallory", "m@x"),
                   date=datetime(2024, 1, 1, tzinfo=UTC), flags=flags(), has_attachment=False,
                   size=0)


def show_wall(path: Path, home: Path) -> tuple[float, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "TUI_MAIL"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), XDG_STATE_HOME=str(home / "state"),
               PYTHONPATH=str(REPO))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "config.toml"
    config.write_text("")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "tui_mail", "--config", str(config), "show",
                           str(path)], capture_output=True, env=env, timeout=600, check=False)
    took = time.perf_counter() - start
    if done.returncode != 0:
        print(f"  show exited {done.returncode}: {done.stderr[-300:]!r}", file=sys.stderr)
    return took, len(done.stdout)


def key_latency(raw: bytes) -> tuple[float, float, float]:
    """(worst stall ms, median stall ms, seconds until the body is on screen) in a pilot."""
    return asyncio.run(_key_latency(raw))


async def _key_latency(raw: bytes) -> tuple[float, float, float]:
    """How long a key could wait: the interface's event loop is sampled every 5 ms from the
    moment the view is asked to show the message until a second after its body is on screen
    (a key is answered at the loop's next turn; `pilot.press` would also wait for the app to
    be idle, which a loading view is not). Scrolling keys are pressed meanwhile."""
    from textual import events
    from textual.app import App, ComposeResult

    from tui_mail.model import Flags, MessageSummary
    from tui_mail.ui.widgets.message_view import MessageView

    class Bench(App[None]):
        def compose(self) -> ComposeResult:
            yield MessageView(id="message")

    app = Bench()
    stalls: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(MessageView)
        view.focus()
        await pilot.pause()
        sampling = True

        async def sample() -> None:
            while sampling:
                t0 = time.perf_counter()
                await asyncio.sleep(0.005)
                stalls.append(max(0.0, time.perf_counter() - t0 - 0.005))

        sampler = asyncio.create_task(sample())
        start = time.perf_counter()
        view.show(_summary(Flags, MessageSummary), raw)
        while view.shown is None and time.perf_counter() - start < 120:
            app.post_message(events.Key("j", None))
            await asyncio.sleep(0.05)
        opened = time.perf_counter() - start
        for key in ("j", "space", "G", "g", "g"):
            app.post_message(events.Key(key, None))
            await asyncio.sleep(0.2)
        sampling = False
        await sampler
    if not stalls:
        return 0.0, 0.0, opened
    return max(stalls) * 1000, statistics.median(stalls) * 1000, opened


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated names: " + ", ".join(MESSAGES))
    parser.add_argument("--dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "tui-mail-hostile")
    parser.add_argument("--no-show", action="store_true", help="skip `tui-mail show`")
    parser.add_argument("--no-ui", action="store_true", help="skip the pilot key timing")
    parser.add_argument("--no-index", action="store_true", help="skip the index extraction")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(MESSAGES)
    paths = write_messages(args.dir / "messages", names)
    header = (f"{'message':20} {'size':>8} {'parse+render':>13} {'index':>8} {'show':>8}"
              f" {'printed':>9} {'key max':>8} {'key med':>8} {'open':>7}")
    print(header)
    print("-" * len(header))
    for name in names:
        raw = paths[name].read_bytes()
        render = f"{render_cpu(raw):.2f} s"
        index = "" if args.no_index else f"{index_cpu(raw):.2f} s"
        show = printed = ""
        if not args.no_show:
            took, size = show_wall(paths[name], args.dir / "home")
            show, printed = f"{took:.2f} s", f"{size / 1024:.0f} KB"
        kmax = kmed = opened = ""
        if not args.no_ui:
            worst, median, secs = key_latency(raw)
            kmax, kmed, opened = f"{worst:.0f} ms", f"{median:.0f} ms", f"{secs:.1f} s"
        print(f"{name:20} {len(raw) / MB:6.1f}MB {render:>13} {index:>8} {show:>8} {printed:>9}"
              f" {kmax:>8} {kmed:>8} {opened:>7}", flush=True)


if __name__ == "__main__":
    main()
