"""The server's LIST becomes the cached folder list: gone folders leave, renamed ones (same
MAILBOXID) keep their messages, folders still named by queued actions or holding imported mail
stay."""

from __future__ import annotations

from pathlib import Path

from tests.support.cache import cached_row
from tui_mail.model import FolderRole
from tui_mail.store.db import Store
from tui_mail.store.types import ListedFolder, NewMessage

RAW = b"From: a@example.test\r\nSubject: hi\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n"


def test_a_folder_gone_from_the_list_leaves_with_its_messages_unless_kept(tmp_path: Path) -> None:
    with Store.open(tmp_path / "c.sqlite3") as store:
        for name in ("INBOX", "Old", "Pending", "Imported"):
            store.ensure_folder("work", name)
        store.add_messages("work", "Old", [NewMessage(uid=1, raw=RAW)])
        store.add_messages("work", "Imported", [NewMessage(uid=None, raw=RAW)])
        changes = store.apply_folder_list(
            "work", [ListedFolder("INBOX", FolderRole.INBOX), ListedFolder("New")],
            keep={"Pending"})
        assert changes.removed == [("Old", 1)]
        assert changes.added == ["New"]
        assert {f.name for f in store.folders("work")} == {"INBOX", "New", "Pending", "Imported"}


def test_a_folder_with_the_same_mailboxid_under_a_new_name_was_renamed(tmp_path: Path) -> None:
    with Store.open(tmp_path / "c.sqlite3") as store:
        store.apply_folder_list("work", [ListedFolder("INBOX", FolderRole.INBOX),
                                         ListedFolder("Projects", mailboxid="M1")])
        [row_id] = store.add_messages("work", "Projects", [NewMessage(uid=7, raw=RAW)])
        changes = store.apply_folder_list("work", [ListedFolder("INBOX", FolderRole.INBOX),
                                                   ListedFolder("Ventures", mailboxid="M1")])
        assert changes.renamed == [("Projects", "Ventures")] and not changes.removed
        assert cached_row(store, row_id).folder == "Ventures"


def test_a_role_follows_the_list_and_can_be_taken_away(tmp_path: Path) -> None:
    with Store.open(tmp_path / "c.sqlite3") as store:
        store.apply_folder_list("work", [ListedFolder("Trash", FolderRole.TRASH)])
        store.apply_folder_list("work", [ListedFolder("Trash"),
                                         ListedFolder("Deleted", FolderRole.TRASH)])
        roles = {f.name: f.role for f in store.folders("work")}
        assert roles == {"Trash": FolderRole.NONE, "Deleted": FolderRole.TRASH}


def test_queued_actions_follow_a_folder_renamed_on_the_server(tmp_path: Path) -> None:
    with Store.open(tmp_path / "c.sqlite3") as store:
        store.apply_folder_list("work", [ListedFolder("INBOX", FolderRole.INBOX),
                                         ListedFolder("Projects", mailboxid="M1")])
        store.queues.enqueue_action("work", "move", {"folder": "INBOX", "target": "Projects",
                                              "uids": [3], "before": [[9, "INBOX", 3, 0]]})
        store.queues.enqueue_action("work", "flags", {"folder": "Projects", "uids": [4],
                                               "before": [[8, "Projects", 4, 0]]})
        changes = store.apply_folder_list(
            "work", [ListedFolder("INBOX", FolderRole.INBOX),
                     ListedFolder("Ventures", mailboxid="M1")],
            keep={"INBOX", "Projects"})
        assert changes.renamed == [("Projects", "Ventures")]
        move, flags = store.queues.pending_actions("work")
        assert move.payload["target"] == "Ventures" and move.payload["folder"] == "INBOX"
        assert flags.payload["folder"] == "Ventures"
        assert flags.payload["before"] == [[8, "Ventures", 4, 0]]


def test_a_folder_renamed_offline_keeps_its_subfolders_until_the_rename_is_sent(
        tmp_path: Path) -> None:
    with Store.open(tmp_path / "c.sqlite3") as store:
        store.apply_folder_list("work", [ListedFolder("INBOX", FolderRole.INBOX),
                                         ListedFolder("Proj"), ListedFolder("Proj/2024")])
        store.add_messages("work", "Proj/2024", [NewMessage(uid=1, raw=RAW)])
        store.folder_edits.rename_folder_local("work", "Proj", "Projects")  # the user's rename, queued:
        store.queues.enqueue_action("work", "folder_rename", {"folder": "Proj", "target": "Projects"})
        changes = store.apply_folder_list(  # a sync before the replay lists the old names
            "work", [ListedFolder("INBOX", FolderRole.INBOX)])
        assert changes.removed == []
        projects_2024 = store.folder("work", "Projects/2024")
        assert projects_2024 is not None and projects_2024.total == 1


def test_a_mailboxid_the_server_did_not_give_this_time_is_kept(tmp_path: Path) -> None:
    with Store.open(tmp_path / "c.sqlite3") as store:
        store.apply_folder_list("work", [ListedFolder("Projects", mailboxid="M1")])
        store.apply_folder_list("work", [ListedFolder("Projects")])  # STATUS failed this time
        changes = store.apply_folder_list("work", [ListedFolder("Ventures", mailboxid="M1")])
        assert changes.renamed == [("Projects", "Ventures")]


def test_a_list_that_leaves_out_most_folders_at_once_removes_them_only_when_confirmed(
        tmp_path: Path) -> None:
    names = ["INBOX", "A", "B", "C", "D", "E"]
    with Store.open(tmp_path / "c.sqlite3") as store:
        store.apply_folder_list("work", [ListedFolder(n) for n in names])
        store.add_messages("work", "A", [NewMessage(uid=1, raw=RAW)])
        hiccup = store.apply_folder_list("work", [ListedFolder("INBOX")])  # a failover
        assert hiccup.removed == [] and sorted(hiccup.held) == ["A", "B", "C", "D", "E"]
        folder_a = store.folder("work", "A")
        assert folder_a is not None and folder_a.total == 1
        back = store.apply_folder_list("work", [ListedFolder(n) for n in names])
        assert not back.removed and not back.held
        store.apply_folder_list("work", [ListedFolder("INBOX")])  # gone for real: said twice
        gone = store.apply_folder_list("work", [ListedFolder("INBOX")])
        assert sorted(name for name, _count in gone.removed) == ["A", "B", "C", "D", "E"]


def test_a_new_delimiter_without_mailboxids_replaces_the_tree_at_once(tmp_path: Path) -> None:
    """Every name changes ("Work.2024" -> "Work/2024"): a reorganisation, not a hiccup; the
    old names go now rather than sit beside the new ones until the next sync."""
    old = ["INBOX", "Work", "Work.2022", "Work.2023", "Work.2024", "Work.2025", "Lists",
           "Lists.python", "Lists.rust"]
    new = [name.replace(".", "/") for name in old]
    with Store.open(tmp_path / "c.sqlite3") as store:
        store.apply_folder_list("work", [ListedFolder(n, delimiter=".") for n in old])
        changes = store.apply_folder_list("work", [ListedFolder(n) for n in new])
        assert not changes.held
        assert sorted(f.name for f in store.folders("work")) == sorted(new)
