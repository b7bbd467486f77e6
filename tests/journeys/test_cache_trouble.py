"""Journeys where the cache's disk lets the user down: the disk fills up while the app runs,
and the cache file is damaged (before a start, and while the app runs).

The full disk is a small tmpfs mounted on the user's $XDG_DATA_HOME for the test (root can
mount here; elsewhere these journeys are skipped, saying why). The damage is done to a real
cache made by the app earlier in the same test: every page of the file (and of its
write-ahead log) is overwritten, keeping only the headers that say "SQLite database".
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.tmux import TMUX
from tests.journeys.session import (
    MAILBOX_KEYS,
    VIEWER_KEYS,
    StartApp,
    TuiMail,
    cached_bodies,
    eventually,
    log_text,
    wait_for_log,
)
from tests.journeys.world import MailWorld, minutes_ago, unique
from tests.support.mounts import fill, small_disk
from tests.support.terminal import tui_mail_command

pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)"),
    pytest.mark.servers,
]

GARBAGE = bytes(range(7, 256)) * 64  # no valid b-tree page type (2, 5, 10, 13) where one goes
WAL_HEADER, WAL_FRAME_HEADER = 32, 24


def damage(cache: Path) -> None:
    """Overwrite every page of the cache and of its write-ahead log with garbage, keeping the
    100-byte database header (still an SQLite file, not "some other program's file") and the
    log's headers."""
    page_size = int.from_bytes(cache.read_bytes()[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    page = (GARBAGE * (page_size // len(GARBAGE) + 1))[:page_size]
    spots = [(cache, 100, page[100:])]  # page 1 after the header
    spots += [(cache, offset, page) for offset in range(page_size, cache.stat().st_size,
                                                        page_size)]
    wal = cache.with_name(cache.name + "-wal")
    if wal.exists():
        frame = WAL_FRAME_HEADER + page_size
        spots += [(wal, offset + WAL_FRAME_HEADER, page)
                  for offset in range(WAL_HEADER, wal.stat().st_size - frame + 1, frame)]
    for path, offset, data in spots:
        with path.open("r+b") as fh:
            fh.seek(offset)
            fh.write(data)
    for path in {path for path, _o, _d in spots}:
        with path.open("r+b") as fh:
            os.fsync(fh.fileno())


def toast_text(screen: str) -> str:
    """The words of the notifications on the screen (right of their "▌" border), joined as
    one text, whatever their wrapping."""
    parts = [line.rsplit("▌", 1)[1].strip() for line in screen.splitlines() if "▌" in line]
    return " ".join(p for p in parts if p)


def start_with_mail(world: MailWorld, start_app: StartApp,
                    *letters: tuple[str, str]) -> TuiMail:
    """Deliver `letters` (subject, text; newest first), start the app, wait until the list
    shows them and the background download has cached their bodies."""
    for age, (subject, body) in enumerate(letters, start=1):
        world.deliver(subject, body + "\n", when=minutes_ago(10 * age))
    app = start_app()
    app.wait_for_mailbox(*(subject for subject, _ in letters))
    eventually(lambda: cached_bodies(world) >= len(letters), "every body in the cache")
    return app


def test_a_full_disk_is_said_plainly_and_the_app_goes_on_reading(
        world: MailWorld, start_app: StartApp) -> None:
    world.write_config(ui="sync_every_minutes = 0")
    with small_disk(Path(world.env["XDG_DATA_HOME"]), "8m"):
        letters = [(unique("Knot tying"), "The bowline first, then the clove hitch."),
                   (unique("Rope order"), "Forty metres of eight-millimetre line.")]
        big = unique("Hull survey")  # over body_size_cap: not downloaded in the background
        world.deliver(big, "The survey found no osmosis.\n", when=minutes_ago(60),
                      attachment=b"z" * 3_000_000)
        app = start_with_mail(world, start_app, *letters)
        filler = fill(world.data_dir, leave=0)

        # An action that writes the cache: marking the newest message read.
        app.press("Home", "U")
        app.until(lambda: "is full" in toast_text(app.screen())
                  and "free some space" in toast_text(app.screen()),
                  "a notification that the disk is full")
        # A sync that writes the cache: new mail arrives (IDLE) while the disk is full.
        wait_for_log(world, r"work: watching INBOX with IDLE")
        late = unique("Harbour dues")
        world.deliver(late, "Dues are payable by the end of the month.\n")
        app.wait_for_status(lambda line: "(the disk holding" in line,
                            "that the disk is full")
        assert app.exit_status() is None, "the app stopped"

        # Reading goes on: the messages already cached open with their text.
        subject, body = letters[0]
        app.press("Home", "Enter")
        app.wait_for(VIEWER_KEYS, f"Subject: {subject}", body)  # the viewer, not the preview
        app.press("J")
        subject, body = letters[1]
        app.wait_for(f"Subject: {subject}", body)
        # And one that was never downloaded is fetched and shown, though it cannot be kept.
        app.press("J")
        app.wait_for(f"Subject: {big}", "The survey found no osmosis.", "big-report.bin")
        app.back_to_list()
        assert "is full" in log_text(world)  # what the screen said is in the log too

        # The user frees some space and tries again (`$`): the mail that came meanwhile shows.
        filler.unlink()
        app.press("$")
        app.wait_for_mailbox(late, timeout=20)
        app.open_newest(late, "Dues are payable by the end of the month.")
        assert "Traceback" not in app.screen()
        assert app.quit() == 0


def test_a_cache_damaged_before_the_start_is_said_in_one_line_with_what_to_do(
        world: MailWorld, start_app: StartApp) -> None:
    world.write_config(ui="sync_every_minutes = 0")
    subject, body = unique("Winter storage"), "The boat comes out of the water in November."
    first = start_with_mail(world, start_app, (subject, body))
    assert first.quit() == 0
    damage(world.cache)

    second = start_app()
    status = second.term.wait_exit(timeout=30)
    screen = second.joined_screen()
    said = [line for line in screen.splitlines() if line.strip()]
    assert status != 0, screen
    assert len(said) == 1, f"not one line:\n{screen}"
    line = said[0]
    assert line.startswith(f"tui-mail: the cache {world.cache} is damaged"), line
    assert f"mv {world.cache} {world.cache}.damaged" in line
    assert "tui-mail sync" in line
    assert "Traceback" not in screen and "locals" not in screen
    assert "is damaged" in log_text(world)

    # The user does what the line says, in a shell, and starts again: the mail is back.
    moves = re.findall(r"mv (\S+) (\S+?)[;,)]", line)
    assert [m[0] for m in moves] == [str(world.cache), f"{world.cache}-wal"], line
    for source, target in moves:
        if Path(source).exists():
            Path(source).rename(target)
    resync = subprocess.run([*tui_mail_command(), "sync"], env=world.env, cwd=world.home,
                            capture_output=True, text=True, timeout=60, check=False)
    assert resync.returncode == 0, resync.stderr
    third = start_app()
    third.open_newest(subject, body)
    assert third.quit() == 0


def test_a_cache_damaged_while_the_app_runs_is_said_and_the_app_keeps_running(
        world: MailWorld, start_app: StartApp) -> None:
    world.write_config(ui="sync_every_minutes = 0")
    subject, body = unique("Antifouling"), "Two coats on the hull before launching."
    app = start_with_mail(world, start_app, (subject, body))
    wait_for_log(world, r"work: watching INBOX with IDLE")
    damage(world.cache)

    # New mail makes the app write and re-read the cache: it meets the damage and says so.
    world.deliver(unique("Launch day"), "The crane is booked for Saturday.\n")
    app.until(lambda: app.exit_status() is not None
              or ("is damaged" in toast_text(app.screen())
                  and "tui-mail sync" in toast_text(app.screen())),
              "the app telling that the cache is damaged and what to do")
    assert app.exit_status() is None, f"the app stopped:\n{app.joined_screen()}"

    # The user goes on: a search (it reads the cache) says what is wrong; the app stays.
    app.press("/")
    app.wait_for("in: folder")
    app.type("hull")
    app.wait_for_any("Search failed", "1 result")
    app.press("Escape")
    app.wait_for(MAILBOX_KEYS, absent=["in: folder"])
    assert app.exit_status() is None, f"the app stopped:\n{app.joined_screen()}"
    assert "Traceback" not in app.screen()
    assert "is damaged" in log_text(world)
    assert app.quit() == 0


def test_a_message_opened_on_a_cache_damaged_under_the_app_says_why_it_cannot_be_shown(
        world: MailWorld, start_app: StartApp) -> None:
    world.write_config(ui="sync_every_minutes = 0")
    subject, body = unique("Rigging check"), "The forestay needs a new toggle pin."
    app = start_with_mail(world, start_app, (subject, body))
    wait_for_log(world, r"work: watching INBOX with IDLE")
    damage(world.cache)  # nothing syncs after it: the list on screen stays as it was

    app.press("Home", "Enter")
    app.wait_for(f"Subject: {subject}")
    def shown_body() -> str:
        text = viewer_body(app.screen())
        return "" if text == "Loading…" else text

    shown = app.until(shown_body,
                      "the viewer showing the text, or why it cannot, instead of Loading…",
                      timeout=10)
    assert body in shown or "cache" in shown or "damaged" in app.screen(), shown
    assert app.exit_status() is None
    assert app.quit() == 0


def viewer_body(screen: str) -> str:
    """The first line of the viewer's body (below the line under the headers), left of any
    notification."""
    lines = screen.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("────"):
            for rest in lines[i + 1:]:
                text = rest.split("▌", 1)[0].strip()
                if text:
                    return text
            return ""
    return ""
