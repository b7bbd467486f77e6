"""Journeys of reading: mail that was there before the start, mail that arrives while the
app runs (IMAP IDLE), the preview pane, a message over `body_size_cap` with its attachment
saved, and one over `body_ask_above` that is downloaded only when the user says so.

Each journey drives the installed `tui-mail` in tmux against the suite's Dovecot, with the
config the README tells a user to write (tests/journeys/world.py); nothing fills the cache
but the app.
"""

from __future__ import annotations

import stat

import pytest

from tests.e2e.tmux import TMUX
from tests.journeys.session import (
    MAILBOX_KEYS,
    VIEWER_KEYS,
    WIDE,
    StartApp,
    TuiMail,
    log_text,
    wait_for_log,
)
from tests.journeys.world import MailWorld, minutes_ago, unique

pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)"),
    pytest.mark.servers,
]

ATTACHMENT_SIZE = 3_000_000  # over the default body_size_cap (2 MB)


def test_mail_delivered_before_the_start_and_while_the_app_runs_opens_with_its_text(
        world: MailWorld, start_app: StartApp) -> None:
    # No periodic sync: the start-up sync and IDLE alone must bring the mail.
    world.write_config(ui="sync_every_minutes = 0")
    waiting = unique("Harbour schedule")
    world.deliver(waiting, "The ferry leaves at seven; bring the charts.\n",
                  when=minutes_ago(10))

    app = start_app()
    app.wait_for_mailbox(waiting)

    # New mail is pushed (IDLE) once the app watches INBOX; no key is pressed until it shows
    # (nothing else syncs: no periodic sync, and no action of the user asks for one).
    wait_for_log(world, r"work: watching INBOX with IDLE")
    arriving = unique("Lighthouse keeper")
    world.deliver(arriving, "The lamp was lit at dusk, as every evening.\n")
    app.wait_for_mailbox(arriving, timeout=20)

    # Both open with their text: the newest, then the next one (J, in the viewer).
    app.open_newest(arriving, "The lamp was lit at dusk, as every evening.")
    app.press("J")
    app.wait_for(f"Subject: {waiting}", "The ferry leaves at seven; bring the charts.")

    # The README's log: $XDG_STATE_HOME/tui-mail/tui-mail.log, readable only by the user,
    # naming the start-up sync and the sync IDLE asked for; no password in it.
    assert world.log_file.exists()
    assert stat.S_IMODE(world.log_file.stat().st_mode) & 0o077 == 0
    log = log_text(world)
    assert "work: synced every folder" in log
    assert "work: synced INBOX" in log
    assert world.user.password not in log
    assert app.quit() == 0


def test_moving_the_cursor_onto_a_message_shows_its_text_in_the_preview(
        world: MailWorld, start_app: StartApp) -> None:
    world.write_config(ui="sync_every_minutes = 0")
    older, newer = unique("Tide tables"), unique("Sail repairs")
    world.deliver(older, "High water at 14:12, low water at 20:31.\n", when=minutes_ago(20))
    world.deliver(newer, "The mainsail needs a new batten pocket.\n", when=minutes_ago(10))

    app = start_app(width=WIDE)
    app.wait_for_mailbox(older, newer)

    def in_preview(text: str) -> bool:
        """`text` is on the screen, in the right-hand pane (not in the list)."""
        return any(text in line and line.index(text) > WIDE // 2
                   for line in app.screen().splitlines())

    app.press("Home")
    app.until(lambda: in_preview("The mainsail needs a new batten pocket."),
               "the newest message's text in the preview")
    app.press("j")
    app.until(lambda: in_preview("High water at 14:12, low water at 20:31."),
               "the next message's text in the preview after j")
    assert not in_preview("The mainsail needs a new batten pocket.")

    # Mail that arrives while the app runs: the cursor moves onto it, the preview shows it.
    wait_for_log(world, r"work: watching INBOX with IDLE")
    arriving = unique("Mooring fees")
    world.deliver(arriving, "The harbour master raised the mooring fees.\n")
    app.wait_for_mailbox(arriving, timeout=20)
    app.press("Home")
    app.until(lambda: in_preview("The harbour master raised the mooring fees."),
               "the arrived message's text in the preview")
    assert app.quit() == 0


def test_with_bodies_on_open_mail_that_arrives_while_the_app_runs_shows_in_the_preview(
        world: MailWorld, start_app: StartApp) -> None:
    # Bodies only when looked at (the README's `download_bodies = "on-open"`): opening, or
    # the preview, must bring each text from the server.
    world.write_config(extra_account_keys='download_bodies = "on-open"',
                       ui="sync_every_minutes = 0")
    waiting = unique("Buoy inspection")
    world.deliver(waiting, "The green buoy has lost its light.\n", when=minutes_ago(10))

    app = start_app(width=WIDE)
    app.wait_for_mailbox(waiting)
    app.press("Home")
    app.wait_for("The green buoy has lost its light.")  # in the preview
    wait_for_log(world, r"work: watching INBOX with IDLE")
    arriving = unique("Pilot boat")
    world.deliver(arriving, "The pilot boards at the fairway buoy.\n")
    app.wait_for_mailbox(arriving, timeout=20)
    app.press("Home")
    app.wait_for("The pilot boards at the fairway buoy.", timeout=10)  # in the preview
    app.press("Enter")  # the viewer (the preview beside the list shows the same lines)
    app.wait_for(VIEWER_KEYS, f"Subject: {arriving}", "The pilot boards at the fairway buoy.")
    assert "work: downloaded" not in log_text(world)  # no background download did it
    assert app.quit() == 0


def test_a_message_over_the_body_size_cap_opens_with_its_text_and_its_attachment_saves(
        world: MailWorld, start_app: StartApp) -> None:
    # No preview pane: showing the newest message there is reading it, which downloads it.
    world.write_config(ui='sync_every_minutes = 0\npreview_pane = "off"')
    small, big = unique("Crew list"), unique("Annual report")
    world.deliver(small, "Six hands on deck this season.\n", when=minutes_ago(20))
    world.deliver(big, "The report is attached, all of it.\n", when=minutes_ago(10),
                  attachment=b"x" * ATTACHMENT_SIZE)

    app = start_app()
    app.wait_for_mailbox(small, big)
    # The background download takes the small one and leaves the big one for when it is read.
    wait_for_log(world, r"work: downloaded 1 body")
    # Its text is not searched yet, and the search says so.
    search(app, "attached", "No messages match", "1 message (", "not downloaded yet")

    app.press("Home", "Enter")
    app.wait_for_any("Loading…", "The report is attached, all of it.")
    app.wait_for(f"Subject: {big}", "The report is attached, all of it.",
                 "big-report.bin")
    assert "work: fetched a body of" in log_text(world)  # on open, from the server

    app.press("a")
    app.wait_for("Enter/s: save", "big-report.bin")
    app.press("Enter")
    saved = world.home / "Downloads" / "big-report.bin"
    app.wait_for("Saved")  # and the path, wrapped in the notification
    assert saved.stat().st_size == ATTACHMENT_SIZE
    assert saved.read_bytes() == b"x" * ATTACHMENT_SIZE

    # Opened once, it is in the cache: its text is searched now.
    app.back_to_list()
    search(app, "attached", "1 result", big)
    assert "not downloaded yet" not in app.screen()
    assert app.quit() == 0


def search(app: TuiMail, words: str, *expected: str) -> None:
    """`/`, type `words`: the search bar shows `expected`; Escape back to the list."""
    app.press("/")
    app.wait_for("in: folder")
    app.type(words)
    app.wait_for(*expected)
    app.press("Escape")
    app.wait_for(MAILBOX_KEYS, absent=["in: folder"])


def test_a_message_over_body_ask_above_is_downloaded_when_the_user_says_yes(
        world: MailWorld, start_app: StartApp) -> None:
    world.write_config(extra_account_keys="body_ask_above = 3000000",
                       ui="sync_every_minutes = 0")
    big = unique("Survey photographs")
    world.deliver(big, "Forty photographs of the breakwater.\n",
                  attachment=b"y" * ATTACHMENT_SIZE)

    app = start_app()
    app.wait_for_mailbox(big)
    app.press("Home", "Enter")
    app.wait_for("Download this message of", "MB?")
    assert "Forty photographs of the breakwater." not in app.screen()
    assert "work: fetched a body of" not in log_text(world)  # nothing asked for it yet
    app.press("y")
    app.wait_for(f"Subject: {big}", "Forty photographs of the breakwater.", "big-report.bin",
                 absent=["Download this message of"])
    assert app.quit() == 0
