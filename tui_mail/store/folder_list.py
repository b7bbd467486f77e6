"""What a new LIST means for the cached folders: the server's list is the truth.

A folder the server no longer lists leaves the cache with its messages, unless a queued action
still names it (the action is sent first and fails with its reason; the folder goes at the next
LIST) or it holds messages that exist only here (imported into the account). When a LIST
leaves out most folders at once, they wait for the next LIST to confirm it (`SUSPICIOUS`). A folder that
vanished while a new one carries its MAILBOXID (RFC 8474) was renamed: it keeps its messages
under the new name, and queued actions that name it are pointed at the new name. Without MAILBOXIDs a rename is a delete plus a create. A changed hierarchy
delimiter renames every folder, so it is one of these two cases and never doubles the tree.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from tui_mail.store.types import ListedFolder


@dataclass(frozen=True)
class CachedFolder:
    """What the plan needs of a cached folder."""

    id: int
    mailboxid: str
    local_only_messages: int
    missing: bool = False  # left out by the previous LIST too


@dataclass(frozen=True)
class FolderListPlan:
    """What applying a server's folder list changes in the cache."""

    remove: list[str]
    rename: list[tuple[str, str]]  # (old, new)
    add: list[str]
    hold: list[str]  # left out now, removed if the next LIST leaves them out too


SUSPICIOUS = 3
"""A LIST that leaves out more than this many folders, most of the account's, while listing
few new ones, may be a server's hiccup (a failover, a storage mount late): those folders are
removed only when the next LIST leaves them out too."""


def plan(cached: Mapping[str, CachedFolder], listed: Sequence[ListedFolder],
         keep: Collection[str]) -> FolderListPlan:
    """Which cached folders to remove, which to rename, which listed names are new."""
    listed_names = {f.name for f in listed}
    new = [f for f in listed if f.name not in cached]
    vanished = [name for name in cached if name not in listed_names and name.upper() != "INBOX"]
    new_by_id = {f.mailboxid: f.name for f in new if f.mailboxid}
    rename: list[tuple[str, str]] = []
    remove: list[str] = []
    for name in vanished:
        folder = cached[name]
        target = new_by_id.pop(folder.mailboxid, None) if folder.mailboxid else None
        if target is not None:  # followed even when queued actions name it: they are renamed too
            rename.append((name, target))
        elif not folder.local_only_messages and name not in keep:
            remove.append(name)
    renamed_to = {new_name for _old, new_name in rename}
    add = [f.name for f in new if f.name not in renamed_to]
    hold: list[str] = []
    # Most folders gone and few new ones: a hiccup, not a reorganisation (a new delimiter
    # renames every folder at once, and must not leave the old names beside the new).
    if len(remove) > SUSPICIOUS and 2 * len(remove) > len(cached) and 2 * len(add) < len(remove):
        hold = [name for name in remove if not cached[name].missing]
        remove = [name for name in remove if cached[name].missing]
    return FolderListPlan(remove, rename, add, hold)
