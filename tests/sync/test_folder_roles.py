"""Which listed folder gets which role, and whose folder each is (no server: LIST answers as the
servers of the matrix give them)."""

from __future__ import annotations

from tui_mail.model import FolderKind, FolderRole
from tui_mail.remote.backend import Namespace, Namespaces
from tui_mail.remote.folder_roles import classify

DOVECOT = Namespaces((Namespace("", "/"),))
COURIER = Namespaces((Namespace("INBOX.", "."),), (), (Namespace("#shared.", "."),))
CYRUS = Namespaces((Namespace("INBOX.", "."),), (Namespace("user.", "."),), (Namespace("", "."),))
CYRUS_ALTNS = Namespaces((Namespace("", "/"),), (Namespace("Other Users/", "/"),),
                         (Namespace("Shared Folders/", "/"),))


def roles(listing, namespaces) -> dict[str, FolderRole]:
    return {f.name: f.role for f in classify(listing, namespaces) if f.role is not FolderRole.NONE}


def test_special_use_wins_over_a_name_and_each_role_goes_to_one_folder() -> None:
    listing = [([], "/", "INBOX"), ([], "/", "Sent"), ([b"\\Sent"], "/", "Sent Items"),
               ([], "/", "Trash"), ([], "/", "Deleted Items"),
               ([b"\\All"], "/", "All Mail"), ([b"\\Archive"], "/", "Old")]
    assert roles(listing, DOVECOT) == {"INBOX": FolderRole.INBOX,
                                       "Sent Items": FolderRole.SENT,
                                       "Trash": FolderRole.TRASH,  # the usual name first
                                       "Old": FolderRole.ARCHIVE}  # \\Archive before \\All


def test_names_are_guessed_only_directly_inside_the_users_namespace() -> None:
    listing: list[tuple[list[bytes], str, str]] = [
        ([], ".", "INBOX"), ([], ".", "INBOX.Trash"), ([], ".", "INBOX.Clients.Sent"),
               ([], ".", "Sent"), ([], ".", "user.bob.Drafts"), ([], ".", "user.bob.Sent")]
    assert roles(listing, CYRUS) == {"INBOX": FolderRole.INBOX, "INBOX.Trash": FolderRole.TRASH}


def test_other_users_and_shared_folders_never_get_a_role_even_when_marked() -> None:
    listing = [([], "/", "INBOX"), ([b"\\Noselect"], "/", "Other Users"),
               ([b"\\Trash"], "/", "Other Users/bob/Trash"),
               ([b"\\Sent"], "/", "Shared Folders/Sent"), ([], "/", "Archive")]
    folders = {f.name: f for f in classify(listing, CYRUS_ALTNS)}
    assert roles(listing, CYRUS_ALTNS) == {"INBOX": FolderRole.INBOX,
                                           "Archive": FolderRole.ARCHIVE}
    assert folders["Other Users"].kind is FolderKind.OTHER_USERS
    assert not folders["Other Users"].selectable
    assert (folders["Other Users/bob/Trash"].kind, folders["Other Users/bob/Trash"].prefix) == \
        (FolderKind.OTHER_USERS, "Other Users/")
    assert folders["Shared Folders/Sent"].kind is FolderKind.SHARED


def test_the_longest_namespace_prefix_decides_whose_folder_it_is() -> None:
    assert CYRUS.classify("INBOX") == (FolderKind.PERSONAL, "")
    assert CYRUS.classify("INBOX.Work") == (FolderKind.PERSONAL, "INBOX.")
    assert CYRUS.classify("user.bob.Trash") == (FolderKind.OTHER_USERS, "user.")
    assert CYRUS.classify("Announcements") == (FolderKind.SHARED, "")  # the "" shared namespace
    assert COURIER.classify("#shared.news") == (FolderKind.SHARED, "#shared.")
    assert DOVECOT.classify("Work/2024") == (FolderKind.PERSONAL, "")
    assert COURIER.folder_name("Projects", "2025") == "INBOX.Projects.2025"



def test_on_gmail_roles_come_from_special_use_flags_only() -> None:
    """Gmail flags its own folders; a label named "Trash" or "Archive" (an old client's) is a
    label, even when Gmail's own Trash or All Mail is hidden from IMAP."""
    gmail = [([], "/", "INBOX"), ([b"\\Noselect", b"\\HasChildren"], "/", "[Gmail]"),
             ([b"\\HasNoChildren", b"\\All"], "/", "[Gmail]/All Mail"),
             ([b"\\HasNoChildren", b"\\Trash"], "/", "[Gmail]/Trash"),
             ([b"\\HasNoChildren", b"\\Sent"], "/", "[Gmail]/Sent Mail"),
             ([b"\\HasNoChildren", b"\\Flagged"], "/", "[Gmail]/Starred"),
             ([], "/", "Trash"), ([], "/", "Archive"), ([], "/", "Drafts")]
    found = {f.name: f.role for f in classify(gmail, DOVECOT, by_name=False)
             if f.role is not FolderRole.NONE}
    assert found == {"INBOX": FolderRole.INBOX, "[Gmail]/All Mail": FolderRole.ARCHIVE,
                     "[Gmail]/Trash": FolderRole.TRASH, "[Gmail]/Sent Mail": FolderRole.SENT}
    hidden = [entry for entry in gmail if entry[2] not in ("[Gmail]/All Mail", "[Gmail]/Trash")]
    found = {f.name: f.role for f in classify(hidden, DOVECOT, by_name=False)
             if f.role is not FolderRole.NONE}
    assert found == {"INBOX": FolderRole.INBOX, "[Gmail]/Sent Mail": FolderRole.SENT}
