"""Which listed folder is Sent, Drafts, Trash, Junk, Archive: one answer per role.

The rules, in order:
- Only the user's own folders (the personal namespace) get a role. Another user's Trash under
  "Other Users/bob/" or a shared "Sent" is never where `d` moves a message or a reply is saved.
- A SPECIAL-USE flag (RFC 6154) wins over any name: when the server marks a folder \\Sent,
  a folder merely called "Sent Items" is an ordinary folder.
- Without a flag, the role is guessed from the name, for a folder directly inside the personal
  namespace ("Sent", "INBOX.Sent" on Courier), never a nested one ("Clients/Trash").
- Each role goes to one folder: the first flagged one (\\Archive before \\All), else the first
  whose name is the usual one ("Trash" before "Deleted Items"), else the first guessed.
- On Gmail (`by_name=False`) nothing is guessed: Gmail flags each of its own folders, and a
  label that happens to be called "Trash" or "Archive" (an old client's) is only a label.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tui_mail.model import FolderKind, FolderRole, path_in_namespace
from tui_mail.remote.backend import Namespaces, RemoteFolder

DEFAULT_ROLE_NAMES: dict[FolderRole, str] = {
    FolderRole.INBOX: "INBOX",
    FolderRole.SENT: "Sent",
    FolderRole.DRAFTS: "Drafts",
    FolderRole.TRASH: "Trash",
    FolderRole.JUNK: "Junk",
    FolderRole.ARCHIVE: "Archive",
}
"""The name a missing role folder is created with, inside the personal namespace."""

_GUESSED_ROLES: dict[str, FolderRole] = {
    "sent": FolderRole.SENT,
    "sent items": FolderRole.SENT,
    "sent messages": FolderRole.SENT,
    "sent mail": FolderRole.SENT,
    "drafts": FolderRole.DRAFTS,
    "draft": FolderRole.DRAFTS,
    "trash": FolderRole.TRASH,
    "deleted items": FolderRole.TRASH,
    "deleted messages": FolderRole.TRASH,
    "bin": FolderRole.TRASH,
    "junk": FolderRole.JUNK,
    "spam": FolderRole.JUNK,
    "junk e-mail": FolderRole.JUNK,
    "archive": FolderRole.ARCHIVE,
    "archives": FolderRole.ARCHIVE,
    "all mail": FolderRole.ARCHIVE,
}

# Flag -> (role, rank): a lower rank wins when two folders carry flags for the same role.
_SPECIAL_USE: dict[bytes, tuple[FolderRole, int]] = {
    b"\\sent": (FolderRole.SENT, 0),
    b"\\drafts": (FolderRole.DRAFTS, 0),
    b"\\trash": (FolderRole.TRASH, 0),
    b"\\junk": (FolderRole.JUNK, 0),
    b"\\archive": (FolderRole.ARCHIVE, 0),
    b"\\all": (FolderRole.ARCHIVE, 1),
}


def flagged_role(flags: Iterable[bytes]) -> tuple[FolderRole, int] | None:
    """The role a SPECIAL-USE flag gives, with its rank; None without one."""
    found = [_SPECIAL_USE[f.lower()] for f in flags if f.lower() in _SPECIAL_USE]
    return min(found, key=lambda pair: pair[1]) if found else None


def guessed_role(name: str, delimiter: str, prefix: str) -> FolderRole:
    """The role the name suggests, for a folder directly inside its namespace."""
    if name.upper() == "INBOX":
        return FolderRole.INBOX
    inside = path_in_namespace(name, prefix)
    if delimiter and delimiter in inside:
        return FolderRole.NONE
    return _GUESSED_ROLES.get(inside.strip().lower(), FolderRole.NONE)


def classify(listing: Sequence[tuple[Sequence[bytes], str, str]],
             namespaces: Namespaces, *, by_name: bool = True) -> list[RemoteFolder]:
    """LIST answers (flags, delimiter, name) as folders with their namespace and one role each;
    without `by_name`, roles come from SPECIAL-USE flags only (INBOX is always the inbox)."""
    folders: list[RemoteFolder] = []
    flagged: dict[FolderRole, tuple[int, int]] = {}  # role -> (rank, index) of the best flag
    guessed: dict[FolderRole, tuple[int, int]] = {}  # role -> (0 usual name / 1 other, index)
    for index, (flags, delimiter, name) in enumerate(listing):
        kind, prefix = namespaces.classify(name)
        selectable = not any(f.lower() in (b"\\noselect", b"\\nonexistent") for f in flags)
        folders.append(RemoteFolder(name, delimiter, FolderRole.NONE, selectable, kind, prefix))
        if kind is not FolderKind.PERSONAL or not selectable:
            continue
        by_flag = flagged_role(flags)
        if by_flag is not None:
            role, rank = by_flag
            if role not in flagged or (rank, index) < flagged[role]:
                flagged[role] = (rank, index)
            continue
        role = guessed_role(name, delimiter, prefix)
        if not by_name and role is not FolderRole.INBOX:
            continue
        if role is FolderRole.NONE:
            continue
        inside = path_in_namespace(name, prefix)
        usual = 0 if inside.casefold() == DEFAULT_ROLE_NAMES[role].casefold() else 1
        if role not in guessed or (usual, index) < guessed[role]:
            guessed[role] = (usual, index)
    winners = {index: role for role, (_rank, index) in guessed.items()}
    winners.update({index: role for role, (_rank, index) in flagged.items()})
    for role, (_rank, index) in guessed.items():
        if role in flagged and winners.get(index) is role:
            del winners[index]
    return [_with_role(folder, winners.get(i, FolderRole.NONE)) for i, folder in enumerate(folders)]


def _with_role(folder: RemoteFolder, role: FolderRole) -> RemoteFolder:
    if role is FolderRole.NONE:
        return folder
    return RemoteFolder(folder.name, folder.delimiter, role, folder.selectable, folder.kind,
                        folder.prefix)
