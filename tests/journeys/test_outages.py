"""Journeys through outages: reading with the IMAP server gone, the server coming back (and
IDLE with it), and sending while the SMTP server is down.

The README promises a cache that "works offline" and an outbox "that never loses a message";
the service behind the app retries a lost server by itself (2 s, 3 s, 5 s... at most a
minute) and sends what waits as soon as the SMTP server answers. Nothing here presses a key
to make that happen. Servers a journey stops are started again in `finally` (and by the
`mail_servers` fixture, should a test die half-way).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.tmux import TMUX
from tests.journeys.session import (
    StartApp,
    cached_bodies,
    eventually,
    log_text,
    server_copies,
    text_of,
    wait_for_log,
    wait_for_server_copy,
)
from tests.journeys.world import MailWorld, minutes_ago, unique

pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)"),
    pytest.mark.servers,
]


def test_messages_read_while_the_imap_server_is_down_show_their_text(
        world: MailWorld, start_app: StartApp) -> None:
    world.write_config(ui="sync_every_minutes = 0")
    letters = [  # newest first, as the list shows them
        (unique("Storm warning"), "Gale force eight expected by nightfall."),
        (unique("Fuel order"), "Two hundred litres of diesel, delivered Tuesday."),
        (unique("Chart corrections"), "The buoy off the north pier was moved east."),
    ]
    for age, (subject, body) in enumerate(letters, start=1):
        world.deliver(subject, body + "\n", when=minutes_ago(10 * age))

    app = start_app()
    app.wait_for_mailbox(*(subject for subject, _ in letters))
    # The bodies download in the background after the sync (the cache is only read here).
    eventually(lambda: cached_bodies(world) >= len(letters), "every body in the cache")
    wait_for_log(world, r"work: downloaded \d+ bod(y|ies)")
    assert all(b"\\Seen" not in flags for flags, _m in server_copies_of(world, letters))

    world.servers.stop_dovecot()
    try:
        app.wait_for_status(lambda line: "○ work: offline, retrying" in line,
                            "that work is offline", timeout=10)
        app.press("Home", "Enter")
        subject, body = letters[0]
        # "J Next" is the message screen's own: the preview beside the list shows the same
        # subject and text, and a J typed before the message screen is up goes to the list
        app.wait_for(f"Subject: {subject}", body, "J Next")
        for subject, body in letters[1:]:
            app.press("J")  # the next message, in the viewer
            app.wait_for(f"Subject: {subject}", body)
        app.back_to_list()
        # Still offline (each retry shows "syncing" for a moment, then offline again).
        app.wait_for_status(lambda line: "○ work: offline, retrying" in line,
                            "that work is still offline")
        # The log names each failed try and the wait before the next: 2 s, then longer.
        waits = [int(w) for w in re.findall(r"work: offline: .* \(next try in (\d+) s\)",
                                            log_text(world))]
        assert waits and waits[0] == 2 and waits == sorted(waits), waits
    finally:
        world.servers.start_dovecot()

    # Back online with no key pressed; what was done offline (reading them: read on open)
    # reaches the server.
    app.wait_for_status(lambda line: "● work: online" in line, "that work is online again",
                        timeout=20)
    eventually(lambda: all(b"\\Seen" in flags for flags, _m in server_copies_of(world, letters)),
               "the messages read offline marked \\Seen on the server")
    assert app.quit() == 0


def server_copies_of(world: MailWorld, letters: list[tuple[str, str]]) -> list[tuple[bytes, Any]]:
    """(FLAGS, message) on the server of each of `letters` (subject, text)."""
    return [wait_for_server_copy(world, subject) for subject, _text in letters]


def test_after_an_imap_server_restart_new_mail_shows_with_no_key_pressed(
        world: MailWorld, start_app: StartApp) -> None:
    world.write_config(ui="sync_every_minutes = 0")  # no periodic sync to hide behind
    first = unique("Before the outage")
    world.deliver(first, "All quiet on the quay.\n", when=minutes_ago(10))

    app = start_app()
    app.wait_for_mailbox(first)
    wait_for_log(world, r"work: watching INBOX with IDLE")

    world.servers.stop_dovecot()
    try:
        app.wait_for_status(lambda line: "○ work: offline" in line, "that work is offline",
                            timeout=10)
    finally:
        world.servers.start_dovecot()

    # Mail that came while the server was away (here: the moment it is back) is brought by
    # the reconnection's sync; no key is pressed.
    during = unique("During the outage")
    world.deliver(during, "The harbour office reopened at noon.\n")
    app.wait_for_mailbox(during, timeout=20)
    app.wait_for_status(lambda line: "● work: online" in line, "that work is online")

    # IDLE is back too: mail delivered now shows by push alone (no periodic sync is set).
    wait_for_log(world, r"work: watching INBOX with IDLE", count=2)
    after = unique("After the outage")
    world.deliver(after, "The ferry runs to the timetable again.\n")
    app.wait_for_mailbox(after, timeout=20)
    app.open_newest(after, "The ferry runs to the timetable again.")
    assert "work: the server answers again" in log_text(world)
    assert app.quit() == 0


def test_a_message_sent_while_the_smtp_server_is_down_leaves_once_when_it_is_back(
        world: MailWorld, start_app: StartApp) -> None:
    world.write_config(ui="sync_every_minutes = 0")
    welcome = unique("Welcome aboard")
    world.deliver(welcome, "Glad to have you with us.\n", when=minutes_ago(10))
    subject = unique("Crossing on Thursday")
    body = "Can you take the early crossing on Thursday?"

    app = start_app()
    app.wait_for_mailbox(welcome)
    world.servers.stop_postfix()
    try:
        app.write(world.friend.address, subject, body)
        app.press("C-t")
        app.wait_for("Not sent yet", absent=["Subject  "])  # the composer has closed
        app.wait_for_status(lambda line: "✉ outbox: 1 waiting" in line,
                            "that one message waits in the outbox")
        assert not server_copies(world, subject, user=world.friend)
    finally:
        world.servers.start_postfix()

    # No key pressed: the outbox tries again within seconds and the message leaves once.
    _flags, arrived = wait_for_server_copy(world, subject, user=world.friend)
    assert body in text_of(arrived)
    app.wait_for_status(lambda line: "outbox" not in line, "that the outbox is empty")
    _flags, copy = wait_for_server_copy(world, subject, folder="Sent")
    assert copy["Message-ID"] == arrived["Message-ID"]
    log = log_text(world)
    assert len(re.findall(r"work: outbox #\d+ sent", log)) == 1, log
    assert re.search(r"work: outbox #\d+ not sent yet: .*connection refused", log)
    assert len(server_copies(world, subject, user=world.friend)) == 1
    assert app.quit() == 0
