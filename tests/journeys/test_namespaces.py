"""Journeys on servers whose folders live in a namespace: Courier-IMAP ("INBOX." prefix, no
SPECIAL-USE, no MOVE) and Cyrus IMAP as Debian sets it up (altnamespace off: "INBOX.", other
users' folders under "user.").

The user's day, as walked by hand (issue 16): the folder tree shows the user's own folders at
the top of the account (INBOX.Work as Work), a message opens with its text, `d` puts it into the
user's own Trash (made as INBOX.Trash for a user who had none, never another user's shared
Trash), a reply is sent and its copy kept in INBOX.Sent, a folder deleted by another client
leaves the tree at the next sync with a notice, and other users' folders sit in a folded
"Other users" group. Each journey drives the installed `tui-mail` in tmux with the config the
README tells a user to write; the IMAP server is one of tests/servers/imap_matrix.py, sending goes
through the suite's Postfix.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.tmux import TMUX
from tests.journeys.session import (
    MAILBOX_KEYS,
    WIDE,
    Launch,
    TuiMail,
    server_copies,
    text_of,
    wait_for_log,
    wait_for_server_copy,
)
from tests.journeys.world import MailWorld, minutes_ago, unique
from tests.servers.imapserver import OtherClient

pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)"),
    pytest.mark.servers,
]

NO_PERIODIC_SYNC = "sync_every_minutes = 0"  # only the start-up sync, IDLE and `$`


@pytest.fixture
def courier_world(mail_servers: Any, imap_servers: Callable[[str], Any],
                  tmp_path: Path) -> MailWorld:
    """A Courier user with INBOX only (no Trash, Sent, Drafts yet), the README's config."""
    courier = imap_servers("courier")
    world = MailWorld(mail_servers, tmp_path / "home", imap_server=courier,
                      user=courier.new_user(special_folders=False))
    world.write_config(ui=NO_PERIODIC_SYNC)
    return world


def tree_line(app: TuiMail, label: str) -> str:
    """The folder pane's line showing the folder `label` (an unread count may follow), or ""."""
    shown = re.compile(rf"(?:^|\s){re.escape(label)}(?: \d+)?$")
    return next((line for line in app.folder_pane() if shown.search(line)), "")


def at_top_of_account(line: str) -> bool:
    """The tree line is a child of the account node (not nested under INBOX or a folder)."""
    return line[:1] in ("├", "└")


# ---- Courier ---------------------------------------------------------------------------------


def test_on_courier_own_folders_are_at_the_top_a_message_opens_and_d_makes_inbox_trash(
        courier_world: MailWorld, launch: Launch) -> None:
    world = courier_world
    with OtherClient(world.imap_server, world.user) as other:
        other.create("INBOX.Work")
        other.create("INBOX.Work.2024")
    kept = unique("Ferry timetable")
    binned = unique("Old newsletter")
    world.deliver(kept, "The winter timetable starts on Monday.\n", when=minutes_ago(20))
    world.deliver(binned, "The spring issue has gone to print.\n", when=minutes_ago(10))

    app = launch(world, width=WIDE)  # the folder pane beside the list and the preview
    app.wait_for_mailbox(kept, binned)
    # INBOX.Work shows as Work beside INBOX (not under it), 2024 nested in it.
    work = app.until(lambda: tree_line(app, "Work"), "Work in the folder tree")
    assert at_top_of_account(work), app.folder_pane()
    assert at_top_of_account(tree_line(app, "INBOX")), app.folder_pane()
    assert not at_top_of_account(tree_line(app, "2024")), app.folder_pane()
    assert not any("INBOX.Work" in line for line in app.folder_pane()), app.folder_pane()

    app.open_newest(binned, "The spring issue has gone to print.")
    app.press("d")  # this user has no Trash yet: one is made inside the namespace
    app.wait_for(f"Subject: {kept}", "The winter timetable starts on Monday.")

    wait_for_server_copy(world, binned, folder="INBOX.Trash")
    assert not server_copies(world, binned), "still in INBOX on the server"
    assert server_copies(world, kept)
    with OtherClient(world.imap_server, world.user) as other:
        assert "Trash" not in other.folders(), "a Trash made outside the namespace"
    assert app.quit() == 0


def test_on_courier_the_trash_made_by_d_shows_as_trash_in_the_tree(
        courier_world: MailWorld, launch: Launch) -> None:
    world = courier_world
    subject = unique("Expired offer")
    world.deliver(subject, "The offer ended yesterday.\n")
    app = launch(world, width=WIDE)  # the folder pane beside the list and the preview
    app.wait_for_mailbox(subject)
    app.press("Home", "d")
    wait_for_server_copy(world, subject, folder="INBOX.Trash")
    app.until(lambda: tree_line(app, "Trash") and not tree_line(app, "INBOX.Trash"),
              "Trash (not INBOX.Trash) in the folder tree", timeout=5)


def test_on_courier_a_reply_is_sent_and_its_copy_kept_in_inbox_sent(
        courier_world: MailWorld, launch: Launch) -> None:
    world = courier_world
    subject = unique("Boat club dinner")
    world.deliver(subject, "Will you come to the dinner on Friday?\n",
                  sender=f"Fran Friend <{world.friend.address}>", when=minutes_ago(5))
    answer = "Yes, I will bring the dessert."

    app = launch(world, width=WIDE)  # the folder pane beside the list and the preview
    app.open_newest(subject, "Will you come to the dinner on Friday?")
    app.press("r")
    app.wait_for(f"Re: {subject}", world.friend.address)
    app.wait_for_field("Subject", f"Re: {subject}")
    app.type(answer)
    app.wait_for(answer)
    app.press("C-t")
    app.wait_for("Sent.")

    _flags, reply = wait_for_server_copy(world, f"Re: {subject}", user=world.friend)
    assert answer in text_of(reply)
    # The user had no Sent folder: it is made inside the namespace, and the copy is in it.
    _flags, copy = wait_for_server_copy(world, f"Re: {subject}", folder="INBOX.Sent")
    assert answer in text_of(copy)
    assert "not saved to Sent" not in app.screen()
    assert app.quit() == 0


def test_on_courier_a_folder_deleted_by_another_client_leaves_the_tree_at_the_next_sync(
        courier_world: MailWorld, launch: Launch) -> None:
    world = courier_world
    with OtherClient(world.imap_server, world.user) as other:
        other.create("INBOX.Receipts")
        other.create("INBOX.Old")
    world.append(b"From: Shop <shop@example.com>\r\nSubject: Receipt 17\r\n\r\nPaid.\r\n",
                 folder="INBOX.Old")
    subject = unique("Harbour news")
    world.deliver(subject, "The new pontoon is in place.\n")

    app = launch(world, width=WIDE)  # the folder pane beside the list and the preview
    app.wait_for_mailbox(subject)
    app.until(lambda: tree_line(app, "Old") and tree_line(app, "Receipts"),
              "Old and Receipts in the folder tree")
    wait_for_log(world, r"work: synced every folder", timeout=30)  # the start-up sync is done

    with OtherClient(world.imap_server, world.user) as other:
        other.delete("INBOX.Old")
    app.press("$")
    app.wait_for("is gone from the server")  # the notice, naming the folder
    app.until(lambda: not tree_line(app, "Old"), "Old gone from the folder tree")
    assert tree_line(app, "Receipts"), app.folder_pane()
    assert app.quit() == 0


# ---- Cyrus (altnamespace off, as Debian sets it up) ------------------------------------------


@pytest.mark.parametrize("own_trash", [True, False], ids=["own-trash", "no-trash-yet"])
def test_on_cyrus_d_uses_the_users_own_trash_and_other_users_folders_are_a_folded_group(
        own_trash: bool, mail_servers: Any, imap_servers: Callable[[str], Any],
        tmp_path: Path, launch: Launch) -> None:
    cyrus = imap_servers("cyrus")
    owner = cyrus.new_user(special_folders=True)  # its Trash carries \Trash (SPECIAL-USE)
    user = cyrus.new_user(special_folders=own_trash)
    shared_trash = cyrus.share_folder(owner, "Trash", user)  # "user.<owner>.Trash" for user
    cyrus.share_folder(owner, "Projects", user)
    world = MailWorld(mail_servers, tmp_path / "home", imap_server=cyrus, user=user)
    world.write_config(ui=NO_PERIODIC_SYNC)
    subject = unique("Meeting notes")
    world.deliver(subject, "Notes of Tuesday's meeting.\n")

    app = launch(world, width=WIDE)  # the folder pane beside the list and the preview
    app.wait_for_mailbox(subject)
    group = app.until(lambda: tree_line(app, "Other users"), "the Other users group")
    assert at_top_of_account(group), app.folder_pane()
    # Folded: the other user's folders are not on screen; the user's own Trash is once.
    assert not any(owner.login in line for line in app.folder_pane()), app.folder_pane()
    trash_lines = [line for line in app.folder_pane() if "Trash" in line]
    assert len(trash_lines) == (1 if own_trash else 0), app.folder_pane()

    app.press("Home", "d")
    wait_for_server_copy(world, subject, folder="INBOX.Trash")
    assert not server_copies(world, subject)
    assert not server_copies(world, subject, folder=shared_trash)
    assert not server_copies(world, subject, folder="INBOX.Trash", user=owner)

    # Unfolded, the group shows the other user's folders under their name.
    app.press("c")  # the folder pane takes the focus (its key bar has no "⏎ Open")
    app.wait_for("Other users", absent=[MAILBOX_KEYS])
    app.press("G", "Enter")  # the last line, the group: unfolded
    def under_owner() -> list[str]:
        lines = app.folder_pane()
        heading = next((i for i, line in enumerate(lines) if line.endswith(f" {owner.login}")),
                       None)
        return [] if heading is None else lines[heading + 1:]

    app.until(lambda: any(line.endswith("▫ Projects") for line in under_owner())
              and any(line.endswith("▫ Trash") for line in under_owner()),
              "the other user's folders under their name in the unfolded group")
    app.press("Tab")  # back to the message list, whose `q` quits
    app.wait_for(MAILBOX_KEYS)
    assert app.quit() == 0
