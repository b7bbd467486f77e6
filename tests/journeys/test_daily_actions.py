"""Journeys of issue 20, walked in tmux first: what a NeoMutt or aerc user does every day.
Choosing the correspondent from a vCard address book, forwarding a message as an attachment
with a key that arrives through tmux, hearing of new mail (the hook run with its arguments),
answering a calendar invitation, and piping a message to a command with the terminal handed
over."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.e2e.tmux import TMUX
from tests.journeys.session import MAILBOX_KEYS, StartApp, eventually, wait_for_server_copy
from tests.journeys.world import MailWorld, minutes_ago, unique

pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)"),
    pytest.mark.servers,
]


def with_config(world: MailWorld, top: str = "", tables: str = "") -> None:
    """The README's config, with keys of its top level and tables after the accounts."""
    path = world.write_config(ui="sync_every_minutes = 0")
    path.write_text(f"{top}\n{path.read_text()}\n{tables}\n")


def test_the_correspondent_chosen_from_the_address_book_gets_a_message_forwarded_with_e(
        world: MailWorld, start_app: StartApp) -> None:
    cards = world.home / "contacts"
    cards.mkdir()
    (cards / "fran.vcf").write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Fran Friend\r\n"
                                    f"EMAIL:{world.friend.address}\r\nEND:VCARD\r\n")
    with_config(world, top=f'address_book_vcards = ["{cards}"]')
    subject = unique("Tide tables")
    world.deliver(subject, "High water at 14:02.\n", when=minutes_ago(5))

    app = start_app()
    app.wait_for_mailbox(subject)
    app.press("E")  # forward as attachment; alt+f would not arrive through every tmux
    app.wait_for(f"Fwd: {subject}", f"📎 message: {subject}")
    app.type("fra")
    app.wait_for(f"Fran Friend <{world.friend.address}>")  # the list to choose from
    app.press("Enter")
    app.wait_for_field("To", f"Fran Friend <{world.friend.address}>,")
    app.press("C-t")
    app.wait_for("Sent.")

    _flags, sent = wait_for_server_copy(world, f"Fwd: {subject}", user=world.friend)
    [attached] = [part for part in sent.iter_attachments()
                  if part.get_content_type() == "message/rfc822"]
    assert str(attached.get_content()["Subject"]) == subject
    assert app.quit() == 0


def test_new_mail_is_announced_and_runs_the_hook_with_sender_and_subject(
        world: MailWorld, start_app: StartApp) -> None:
    said = world.home / "hook-args"
    hook = world.home / "new-mail-hook"
    hook.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {said}\n')
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    with_config(world, tables=f'[notify]\nbell = true\ndesktop = "off"\ncommand = "{hook}"')
    old = unique("Harbour dues")
    world.deliver(old, "Due by Friday.\n", when=minutes_ago(30))

    app = start_app()
    app.wait_for_mailbox(old)  # the first sync announces nothing: old mail is no news
    fresh = unique("Regatta $(id) moved")
    world.deliver(fresh, "To Sunday.\n")  # IDLE brings it while the app is open
    app.wait_for(f"New mail from Alice Archer: {fresh}")
    args = eventually(lambda: said.exists() and said.read_text().splitlines(),
                      "the new_mail_command run")
    assert args == ["work", "INBOX", "Alice Archer", fresh, "1"]  # no shell ran $(id)
    assert old not in said.read_text()
    assert app.quit() == 0


INVITE = """From: Fran Friend <{friend}>
To: {me}
Subject: {subject}
Date: Thu, 03 Dec 2026 06:00:00 +0000
Message-ID: <{uid}@example.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

Join the harbour walk.
--b1
Content-Type: text/calendar; charset=utf-8; method=REQUEST

BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//journey//EN
METHOD:REQUEST
BEGIN:VEVENT
UID:{uid}@example.test
DTSTAMP:20261203T060000Z
DTSTART:20361210T140000Z
DTEND:20361210T150000Z
SUMMARY:Harbour walk
LOCATION:Pier 4
ORGANIZER;CN=Fran Friend:mailto:{friend}
ATTENDEE;CN=Me;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{me}
RRULE:FREQ=WEEKLY;COUNT=3
END:VEVENT
END:VCALENDAR
--b1--
"""


def test_an_invitation_shows_its_event_and_i_a_accepts_it_to_the_organizer(
        world: MailWorld, start_app: StartApp) -> None:
    with_config(world)
    subject = unique("Invitation: Harbour walk")
    raw = INVITE.format(friend=world.friend.address, me=world.user.address, subject=subject,
                        uid=subject.rsplit(" ", 1)[1]).replace("\n", "\r\n").encode()
    world.servers.deliver(world.user, raw)

    app = start_app()
    app.open_newest(subject, "Harbour walk", "Pier 4", "every week, 3 times",
                    "press i: accept, tentative or decline")
    app.press("i")
    app.wait_for("a: accept", "t: tentative", "d: decline")
    app.press("a")
    app.wait_for(f"the answer to {world.friend.address} is queued")

    _flags, answer = wait_for_server_copy(world, "Accepted: Harbour walk", user=world.friend)
    calendar = next(part for part in answer.walk()
                    if part.get_content_type() == "text/calendar")
    text = calendar.get_content()
    assert "METHOD:REPLY" in text and "PARTSTAT=ACCEPTED" in text
    assert world.user.address in text
    assert app.quit() == 0


def test_pipe_hands_the_terminal_to_the_command_with_the_message_on_its_stdin(
        world: MailWorld, start_app: StartApp) -> None:
    with_config(world)
    subject = unique("Logbook page")
    world.deliver(subject, "Wind NW 4, sea slight.\n", when=minutes_ago(5))
    piped: Path = world.home / "piped.eml"

    app = start_app()
    app.wait_for_mailbox(subject)
    app.press("|")
    app.wait_for("Pipe")
    app.type(f"tee {piped} | grep -c Wind")
    app.press("Enter")
    app.wait_for("Press Enter to return to tui-mail.")  # the command's terminal, not the app
    assert "1" in app.screen().split("Press Enter")[0]  # grep's count, printed there
    app.press("Enter")
    app.wait_for(MAILBOX_KEYS)
    assert f"Subject: {subject}".encode() in piped.read_bytes()
    assert b"Wind NW 4, sea slight." in piped.read_bytes()
    assert app.quit() == 0
