"""A POP3 user's day, in the real `tui-mail` in tmux, with the README's POP3 account: mail
arrives and is read, a delete goes to a Trash the app makes (POP3 has no folders), `u` takes it
back, and a message deleted stays deleted after the app is started again and syncs.

A POP3 account has no server that keeps flags or folders: its actions go through the same
action queue as IMAP's, changing the cache alone (tests/sync/test_actions_without_server.py).
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.tmux import TMUX
from tests.journeys.session import Launch, StartApp, wait_for_log
from tests.journeys.world import MailWorld, minutes_ago, unique

pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)"),
    pytest.mark.servers,
]


def test_a_pop3_delete_goes_to_trash_comes_back_with_u_and_stays_deleted_after_a_restart(
        world: MailWorld, launch: Launch, start_app: StartApp) -> None:
    world.write_config(protocol="pop3", ui="sync_every_minutes = 0")
    lunch, minutes = unique("Lunch on Friday"), unique("Minutes of the meeting")
    world.deliver(lunch, "The usual place, at noon.\n", when=minutes_ago(20))
    world.deliver(minutes, "Decisions: ship on Monday.\n", when=minutes_ago(10))

    app = start_app()
    app.wait_for_mailbox(minutes, lunch)
    app.open_newest(minutes, "Decisions: ship on Monday.")
    app.back_to_list()

    app.press("Down")  # the older one: Lunch
    app.press("d")
    app.wait_for("Deleted 1 message. (u: undo)")
    app.press("c")  # the folder pane: the Trash the delete made, with its role's mark
    app.until(lambda: any("✗ Trash 1" in line for line in app.folder_pane()),
              "a Trash folder holding the message")
    app.press("u")
    app.wait_for("Undone (1 message).")
    app.until(lambda: any("✗ Trash" in line and "1" not in line for line in app.folder_pane()),
              "the Trash empty again")
    app.press("c")
    app.wait_for(lunch)

    app.press("d")
    app.wait_for("Deleted 1 message. (u: undo)")
    assert app.quit() == 0

    again = start_app()
    again.wait_for_mailbox(minutes)
    wait_for_log(world, r"work: synced every folder", count=2)  # each start's POP3 sync
    folders = launch(world, "folders", "--account", "work")
    listed = folders.wait_for("SUBSCRIBED", "Trash")
    # The deleted message was not downloaded again into INBOX: one there, one in Trash.
    assert re.search(r"INBOX\s+inbox\s+1\s", listed), listed
    assert re.search(r"Trash\s+trash\s+1\s", listed), listed
    assert lunch not in again.screen()
