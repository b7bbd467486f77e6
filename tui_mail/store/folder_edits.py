"""Folders the user makes, renames, deletes and subscribes to: the cache's side.

The action queue (`tui_mail.sync.folder_actions`) changes the cache with these at once and
sends the change to the server later; when the server refuses, it puts the cache back with
them too. Subscriptions the server lists (LSUB) are recorded with `set_subscriptions`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager

from tui_mail.errors import TuiMailError
from tui_mail.model import Folder, FolderKind

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (`search` needs none)
if TYPE_CHECKING:
    from typing import Protocol

    class FolderLookup(Protocol):
        """The store's reads of its folder rows (`tui_mail.store.db.Store`); declared for
        the checker only."""

        def folder(self, account: str, name: str) -> Folder | None: ...

        def folders(self, account: str | None = None) -> list[Folder]: ...


class FolderEdits:
    """The cache's side of folder changes (`Store.folder_edits`), on the store's connection,
    in its write transactions (`transaction`), with its account ids (`account_id`, made when
    missing) and its folder rows (`lookup`)."""

    def __init__(self, conn: sqlite3.Connection,
                 transaction: Callable[[], AbstractContextManager[sqlite3.Connection]],
                 account_id: Callable[[str], int | None], lookup: FolderLookup) -> None:
        self._conn = conn
        self._tx = transaction
        self._account_id = account_id
        self._lookup = lookup

    def personal_namespace(self, account: str) -> tuple[str, str]:
        """(prefix, delimiter) of the account's own folders as the last NAMESPACE said
        (("INBOX.", ".") on Courier); ("", "") before any sync."""
        row = self._conn.execute(
            "SELECT personal_prefix, personal_delimiter FROM accounts WHERE name = ?",
            (account,)).fetchone()
        return (row[0], row[1]) if row else ("", "")

    def subfolders(self, account: str, name: str) -> list[Folder]:
        """The cached folders inside `name` (by its delimiter), at any depth."""
        parent = self._lookup.folder(account, name)
        if parent is None or not parent.delimiter:
            return []
        return [f for f in self._lookup.folders(account)
                if f.name.startswith(name + parent.delimiter)]

    def create_folder_local(self, account: str, name: str, delimiter: str,
                            prefix: str) -> Folder:
        """A new folder of the user's own, subscribed, empty, never synced."""
        account_id = self._account_id(account)
        with self._tx() as c:
            c.execute(
                "INSERT INTO folders(account_id, name, delimiter, kind, prefix, subscribed)"
                " VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT(account_id, name) DO NOTHING",
                (account_id, name, delimiter or "/", str(FolderKind.PERSONAL), prefix))
        made = self._lookup.folder(account, name)
        assert made is not None
        return made

    def rename_folder_local(self, account: str, old: str, new: str) -> list[tuple[str, str]]:
        """Rename `old` and its subfolders (`old/x` -> `new/x`), keeping their messages and
        sync state; returns the (old, new) names. Raises TuiMailError, changing nothing, when
        a new name is taken."""
        folder = self._lookup.folder(account, old)
        if folder is None:
            raise TuiMailError(f"there is no folder {old!r} in the cache")
        pairs = [(old, new)] + [(f.name, new + f.name[len(old):])
                                for f in self.subfolders(account, old)]
        moving = {name for name, _ in pairs}
        for _, target in pairs:
            if target not in moving and self._lookup.folder(account, target) is not None:
                raise TuiMailError(f"there is a folder {target!r} already")
        account_id = self._account_id(account)
        with self._tx() as c:
            # Through names no folder has, so that a rename into its own subtree never
            # meets itself half-way.
            for index, (name, _) in enumerate(pairs):
                c.execute("UPDATE folders SET name = ? WHERE account_id = ? AND name = ?",
                          (f"\0renaming {index}", account_id, name))
            for index, (_, target) in enumerate(pairs):
                c.execute("UPDATE folders SET name = ? WHERE account_id = ? AND name = ?",
                          (target, account_id, f"\0renaming {index}"))
        return pairs

    def restore_folder(self, account: str, folder: Folder) -> None:
        """Put back a folder deleted from the cache (the server refused to delete it): its
        row with what it was, and no sync state, so the next sync brings its messages."""
        account_id = self._account_id(account)
        with self._tx() as c:
            c.execute(
                "INSERT INTO folders(account_id, name, role, delimiter, kind, prefix, subscribed)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(account_id, name) DO NOTHING",
                (account_id, folder.name, str(folder.role), folder.delimiter, str(folder.kind),
                 folder.prefix, int(folder.subscribed)))

    def set_subscribed(self, account: str, name: str, subscribed: bool) -> None:
        account_id = self._account_id(account)
        with self._tx() as c:
            c.execute("UPDATE folders SET subscribed = ? WHERE account_id = ? AND name = ?",
                      (int(subscribed), account_id, name))

    def set_subscriptions(self, account: str, subscribed: Collection[str],
                          among: Collection[str] | None = None) -> None:
        """Record which of the account's folders (of those named in `among`, default all)
        are subscribed (the server's LSUB)."""
        account_id = self._account_id(account)
        names = [row[0] for row in self._conn.execute(
            "SELECT name FROM folders WHERE account_id = ?", (account_id,))
            if among is None or row[0] in among]
        with self._tx() as c:
            c.executemany(
                "UPDATE folders SET subscribed = ? WHERE account_id = ? AND name = ?"
                " AND subscribed != ?",
                [(int(on), account_id, name, int(on))
                 for name in names for on in [name in subscribed]])
