"""The sync side's view of the store: the few calls the engine and the action queue make,
phrased for one account, translating between the store's types and the backend's.

Keeping this seam in one place means the engine does not care how the store spells things.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from tui_mail.model import Flags, FolderRole, FolderSyncState
from tui_mail.remote.backend import Namespaces, RemoteFolder, RemoteSummary
from tui_mail.store import NewMessage, Store
from tui_mail.store.types import FolderListChanges, ListedFolder
from tui_mail.sync.folder_actions import pending_folder_changes


@dataclass
class FolderGroup:
    """Cached rows of one folder, as an action names them on the server.

    `uids` and `message_ids` are parallel (the Message-ID of each UID, "" when the message has
    none); `rows` are all the row ids, those without a server UID yet included."""

    folder: str
    uids: list[int] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)


class StoreIO:
    def __init__(self, store: Store, account: str) -> None:
        self.store = store
        self.account = account

    # -- folders and state ------------------------------------------------------------------

    def ensure_folder(self, name: str, role: FolderRole, delimiter: str) -> None:
        self.store.ensure_folder(self.account, name, role, delimiter)

    def apply_folder_list(self, folders: Sequence[RemoteFolder], namespaces: Namespaces | None,
                          configured: Mapping[FolderRole, str],
                          subscribed: Collection[str] | None = None) -> FolderListChanges:
        """The server's LIST becomes the cached folder list (`Store.apply_folder_list`).

        A role named in the config goes to that folder and to no other. Folders named by
        queued actions are kept until the actions have been sent, and a folder the user
        deleted or renamed away meanwhile is not taken back from the LIST. `subscribed` (the
        server's LSUB, None when unknown) is recorded for the listed folders, with the
        subscriptions the user changed meanwhile on top."""
        pending = self.store.queues.pending_actions(self.account)
        changes = pending_folder_changes(pending)
        by_name = {name: role for role, name in configured.items()}
        listed = [
            ListedFolder(f.name, by_name.get(f.name, FolderRole.NONE if f.role in configured
                                             else f.role),
                         f.delimiter, f.kind, f.prefix, f.mailboxid)
            for f in folders if f.selectable and not changes.hides(f.name, f.delimiter)
        ]
        if namespaces is not None:
            own = namespaces.own
            self.store.set_personal_namespace(self.account, own.prefix, own.delimiter)
        # Folders named by queued actions (and what is inside them) are kept by the store.
        result = self.store.apply_folder_list(self.account, listed)
        if subscribed is not None:
            names = {f.name for f in listed}
            on = {n for n in names if changes.subscribed.get(n, n in subscribed)}
            self.store.folder_edits.set_subscriptions(self.account, on, names)
        return result

    def set_gmail(self, gmail: bool) -> None:
        self.store.set_gmail(self.account, gmail)

    def is_gmail(self) -> bool:
        return self.store.is_gmail(self.account)

    def folders_to_sync(self, folders: Sequence[RemoteFolder], only_subscribed: bool) -> list[str]:
        """The listed folders a sync of every folder goes through, INBOX first: those now in
        the cache (not one the user deleted or renamed away meanwhile), and with
        `only_subscribed` only the subscribed ones (INBOX and the role folders always)."""
        cached = {f.name: f for f in self.store.folders(self.account)}
        names = [f.name for f in folders if f.selectable and f.name in cached
                 and cached[f.name].shown(only_subscribed)]
        return sorted(names, key=lambda n: (n.upper() != "INBOX", n))

    def mailbox_ids(self) -> dict[str, str]:
        """The server ids (MAILBOXID) the cache knows, by folder name."""
        return self.store.mailbox_ids(self.account)

    def make_own_folder(self, name: str, role: FolderRole) -> None:
        """A folder the server is about to make for `role` (Trash for a delete...), in the
        cache now as the next LIST will show it: the namespace's delimiter and prefix, the role
        (the tree shows "Trash", not "INBOX.Trash" with no role)."""
        prefix, delimiter = self.store.folder_edits.personal_namespace(self.account)
        delimiter = delimiter or "/"
        self.store.folder_edits.create_folder_local(self.account, name, delimiter,
                                       prefix if name.startswith(prefix) else "")
        self.store.ensure_folder(self.account, name, role, delimiter)

    def personal_folder_name(self, name: str) -> str:
        """A folder of the user's own made from `name` ("Trash" -> "INBOX.Trash" on Courier)."""
        return self.store.folder_edits.personal_namespace(self.account)[0] + name

    def ensure_known(self, name: str) -> None:
        """Create the folder row if the cache does not know it yet (keeps a known one as is)."""
        if self.store.folder(self.account, name) is None:
            role = FolderRole.INBOX if name.upper() == "INBOX" else FolderRole.NONE
            self.store.ensure_folder(self.account, name, role)

    def folder_with_role(self, role: FolderRole) -> str | None:
        for folder in self.store.folders(self.account):
            if folder.role is role:
                return folder.name
        return None

    def has_folders(self) -> bool:
        """False when the account's only folder is INBOX (POP3): nothing to move to."""
        return any(f.name.upper() != "INBOX" for f in self.store.folders(self.account))

    def sync_state(self, folder: str) -> FolderSyncState:
        return self.store.sync_state(self.account, folder)

    def set_sync_state(self, folder: str, state: FolderSyncState) -> None:
        self.store.set_sync_state(self.account, folder, state)

    def reset_folder(self, folder: str) -> None:
        self.store.reset_folder(self.account, folder)

    # -- messages ---------------------------------------------------------------------------

    def uid_flags(self, folder: str) -> dict[int, Flags]:
        return self.store.uid_flags(self.account, folder)

    def flags_for_uids(self, folder: str, uids: Iterable[int]) -> dict[int, Flags]:
        return self.store.flags_for_uids(self.account, folder, uids)

    def has_uids(self, folder: str) -> bool:
        return self.store.has_uids(self.account, folder)

    def remove_uids(self, folder: str, uids: Iterable[int]) -> None:
        self.store.remove_uids(self.account, folder, uids)

    def update_flags(self, folder: str, flags: dict[int, Flags]) -> None:
        self.store.update_flags(self.account, folder, flags)

    def add_summaries(self, folder: str, batch: Sequence[RemoteSummary]) -> None:
        self.store.add_messages(
            self.account,
            folder,
            (
                NewMessage(
                    uid=s.uid, flags=s.flags, raw_headers=s.header, size=s.size,
                    internaldate=s.internaldate, gm_msgid=s.gm_msgid,
                )
                for s in batch
            ),
            batch_size=len(batch) or 1,
        )

    def locate(self, row_id: int) -> tuple[str, int]:
        """(folder, uid) of a cached row; a clear error when it has no server copy yet."""
        from tui_mail.remote.backend import MessagesGone

        row = self.store.message_row(row_id)
        if row is None:
            raise MessagesGone("the message is no longer in the cache")
        if row.uid is None:
            raise MessagesGone(
                f"the message in {row.folder!r} has no server copy known yet; sync first"
            )
        return row.folder, row.uid

    def group_by_folder(self, ids: Iterable[int]) -> list[FolderGroup]:
        """The cached rows grouped by folder, in the order first seen; rows with no UID yet
        (moved locally, not synced since) are changed locally but have nothing to replay."""
        groups: dict[str, FolderGroup] = {}
        for row_id in ids:
            row = self.store.message_row(row_id)
            if row is None or row.account != self.account:
                continue
            group = groups.setdefault(row.folder, FolderGroup(row.folder))
            group.rows.append(row_id)
            if row.uid is not None:
                group.uids.append(row.uid)
                group.message_ids.append(row.message_id)
        return list(groups.values())

    def rows_with_message_id(self, message_id: str) -> list[int]:
        """The account's cached rows holding the message with this Message-ID, in any folder."""
        from tui_mail.mail.headers import normalize_id

        return self.store.listing.ids_with_message_id(
            self.account, normalize_id(message_id, require_at=False)
        )

    # -- local changes and the queue --------------------------------------------------------

    def set_flag_local(self, rows: Sequence[int], attr: str, on: bool) -> None:
        self.store.set_flags_local(rows, **{attr: on})

    def move_local(self, rows: Sequence[int], target: str) -> None:
        self.store.move_local(rows, self.account, target)

    def remove_rows(self, rows: Sequence[int]) -> None:
        self.store.delete_local(rows)

    def remove_placeholders(self, rows: Iterable[object]) -> None:
        """Delete rows that were moved locally and still have no server UID."""
        stale = []
        for row_id in rows:
            row = self.store.message_row(int(row_id))  # type: ignore[call-overload]
            if row is not None and row.uid is None:
                stale.append(row.id)
        if stale:
            self.store.delete_local(stale)

    def enqueue(self, kind: str, payload: dict[str, object]) -> int:
        return self.store.queues.enqueue_action(self.account, kind, payload)

    def pending_actions(self) -> list:
        return self.store.queues.pending_actions(self.account)

    def failed_actions(self) -> list:
        return self.store.queues.actions(self.account, ("failed",))

    def action_done(self, action_id: int) -> None:
        self.store.queues.action_done(action_id)

    def action_failed(self, action_id: int, error: str) -> None:
        self.store.queues.action_failed(action_id, error)
