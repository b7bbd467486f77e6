"""Folders the user creates, renames, deletes and (un)subscribes: queued like message actions.

Each change is checked first (a name the server can take, no folder of that name yet, never
INBOX or a folder with a role), made in the cache at once, and written to the action queue;
`ActionQueue.replay` sends it to the server with the other actions, in order (a folder made
offline exists before the messages moved into it arrive). A refusal on replay is a failed
action with the server's words, and the cache is put back (`put_back`).

Names: what the user types is a path inside the personal namespace, "/" between levels:
"Projects/2025" is "INBOX.Projects.2025" on Courier (the server's prefix and delimiter); a
name already starting with the prefix is taken as it is.

Payloads ("folder" is the folder acted on, "target" the name it has afterwards): both are
kept by `Store.apply_folder_list` while the action waits, and `pending_folder_changes` tells
the folder list which names the server still lists that the user deleted or renamed away,
and which subscriptions the user changed, so a sync before the replay undoes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field

from tui_mail.errors import CacheError, TuiMailError, UsageError
from tui_mail.model import Account, Folder, FolderKind, FolderRole, Protocol, path_in_namespace
from tui_mail.remote.backend import FolderMissing, Namespace, Namespaces, NotSupported
from tui_mail.store.db import Store
from tui_mail.words import plural

CREATE, RENAME, DELETE, SUBSCRIBE = ("folder_create", "folder_rename", "folder_delete",
                                     "folder_subscribe")
FOLDER_KINDS = frozenset({CREATE, RENAME, DELETE, SUBSCRIBE})

_ROLE_WORDS = {
    FolderRole.INBOX: "the inbox",
    FolderRole.SENT: "the account's Sent folder",
    FolderRole.DRAFTS: "the account's Drafts folder",
    FolderRole.TRASH: "the account's Trash",
    FolderRole.JUNK: "the account's Junk folder",
    FolderRole.ARCHIVE: "the account's Archive",
}


class FolderRefused(UsageError):
    """tui-mail will not make this change (the text says why and what to do instead)."""


@dataclass
class FolderOutcome:
    """What a folder change did: the words for the user, the folder's name afterwards (as
    the server spells it), and the queued entry (None when no server is to be told)."""

    message: str
    folder: str
    action_id: int | None = None
    renamed: dict[str, str] = field(default_factory=dict)  # old name -> new (subfolders too)
    account: str = ""

    @property
    def queued(self) -> bool:
        return self.action_id is not None


def server_name(typed: str, prefix: str, delimiter: str) -> str:
    """The server's name for the personal folder the user typed ("Projects/2025" ->
    "INBOX.Projects.2025" with the prefix "INBOX." and the delimiter ".")."""
    from tui_mail.mail.sanitize import sanitize_line  # here: a sync imports this module too

    text = typed.strip()
    if not text:
        raise FolderRefused("a folder needs a name")
    if sanitize_line(text) != text:
        raise FolderRefused("a folder name cannot hold control characters or line breaks")
    if any(c in text for c in "*%"):
        raise FolderRefused("a folder name cannot hold * or % (IMAP wildcards)")
    if text.upper() == "INBOX" or (prefix and text.startswith(prefix)):
        return text
    parts = [part.strip() for part in text.split("/")]
    if any(not part for part in parts):
        raise FolderRefused(f"{text!r}: an empty level between slashes (use / only between "
                            "folder names, as in Projects/2025)")
    if delimiter and delimiter != "/" and any(delimiter in part for part in parts):
        raise FolderRefused(f"{text!r}: this server separates folder levels with "
                            f"{delimiter!r}, so a name cannot hold it (type levels with /)")
    return Namespaces((Namespace(prefix, delimiter or "/"),)).folder_name(*parts)


def folder_refusal(folder: Folder, done: str, subfolders: int = 0) -> str | None:
    """Why tui-mail will not let the user rename or delete (`done`: "renamed",
    "deleted") this folder, or None: INBOX and the folders with a role are the app's (and
    some servers refuse, e.g. Cyrus's "SPECIAL-USE flag conflict"), other users' and shared
    folders are not the user's, and a folder with subfolders is deleted after them."""
    role = FolderRole.INBOX if folder.name.upper() == "INBOX" else folder.role
    if role is not FolderRole.NONE:
        return (f"{folder.name} is {_ROLE_WORDS[role]}: it cannot be {done} from tui-mail (do "
                "it on the server, or name another folder in the account's [folders] table)")
    if folder.kind is not FolderKind.PERSONAL:
        return f"{folder.name} belongs to another user or is shared: it cannot be {done} here"
    if subfolders and done == "deleted":
        return (f"{folder.name} holds {subfolders} folder{'s' if subfolders != 1 else ''}: "
                "delete or move them first")
    return None


class FolderEdits:
    """The folder changes of one account. `accounts` are the configured ones: an IMAP
    account's changes are queued for its server; a cache without a server (the demo, a
    cache opened without a config) is changed alone; a POP3 account has no folders."""

    def __init__(self, store: Store, accounts: Mapping[str, Account], account: str) -> None:
        self.store = store
        self.account = account
        configured = accounts.get(account)
        if configured is not None and configured.incoming.protocol is Protocol.POP3:
            raise FolderRefused(f"{account}: a POP3 account has only its INBOX; folders are "
                                "made on IMAP servers")
        self.queued = configured is not None

    # -- what the user asks ------------------------------------------------------------------

    def create(self, typed: str) -> FolderOutcome:
        prefix, delimiter = self.store.folder_edits.personal_namespace(self.account)
        name = server_name(typed, prefix, delimiter)
        if self._find(name) is not None:
            raise FolderRefused(f"there is a folder {name!r} already")
        self.store.folder_edits.create_folder_local(self.account, name, delimiter or "/", prefix)
        action = self._enqueue(CREATE, {"folder": name, "target": name})
        return FolderOutcome(f"Folder {self._shown(name)} created.", name, action,
                             account=self.account)

    def rename(self, name: str, typed: str) -> FolderOutcome:
        folder = self._own(name, "renamed")
        prefix, delimiter = self.store.folder_edits.personal_namespace(self.account)
        new = server_name(typed, prefix, delimiter or folder.delimiter)
        if new == name:
            return FolderOutcome(f"The folder is called {self._shown(name)} already.", name,
                                 account=self.account)
        if new.startswith(name + folder.delimiter):
            raise FolderRefused(f"{name!r} cannot be moved inside itself ({new!r})")
        if self._find(new) is not None:
            raise FolderRefused(f"there is a folder {new!r} already")
        try:
            pairs = self.store.folder_edits.rename_folder_local(self.account, name, new)
        except CacheError:
            raise
        except TuiMailError as exc:  # a subfolder's new name is taken
            raise FolderRefused(str(exc)) from None
        action = self._enqueue(RENAME, {"folder": name, "target": new})
        return FolderOutcome(f"Folder {self._shown(name)} renamed to {self._shown(new)}.", new,
                             action, dict(pairs),
                             self.account)

    def delete(self, name: str) -> FolderOutcome:
        folder = self._own(name, "deleted")
        inside = self.store.folder_edits.subfolders(self.account, name)
        why = folder_refusal(folder, "deleted", len(inside))
        if why is not None:
            raise FolderRefused(why)
        if self._moves_waiting_into(name):
            # Deleting now would drop the moved messages' rows; an undo or a refused move
            # could then not put them back where the server still has them.
            raise FolderRefused(f"messages moved into {name!r} have not reached the server "
                                "yet; delete the folder once they have (in a few seconds, or "
                                "when the account is back online)")
        self.store.delete_folder(self.account, name)
        was = {"role": str(folder.role), "delimiter": folder.delimiter,
               "kind": str(folder.kind), "prefix": folder.prefix,
               "subscribed": folder.subscribed}
        action = self._enqueue(DELETE, {"folder": name, "was": was})
        what = f" and its {plural(folder.total)}" if folder.total else ""
        return FolderOutcome(f"Folder {self._shown(name)}{what} deleted.", name, action,
                             account=self.account)

    def subscribe(self, name: str, subscribe: bool) -> FolderOutcome:
        folder = self._find(name)
        if folder is None:
            raise FolderRefused(f"there is no folder {name!r}")
        if name.upper() == "INBOX":
            raise FolderRefused("INBOX is always shown and synced; it has no subscription to "
                                "change")
        if folder.subscribed == subscribe:
            state = "subscribed" if subscribe else "not subscribed"
            return FolderOutcome(f"Folder {self._shown(name)} is {state} already.", name,
                                 account=self.account)
        self.store.folder_edits.set_subscribed(self.account, name, subscribe)
        action = self._enqueue(SUBSCRIBE, {"folder": name, "subscribe": subscribe})
        verb = "Subscribed to" if subscribe else "Unsubscribed from"
        return FolderOutcome(f"{verb} {self._shown(name)}.", name, action, account=self.account)

    # -- helpers -----------------------------------------------------------------------------

    def _find(self, name: str) -> Folder | None:
        if name.upper() == "INBOX":
            return next((f for f in self.store.folders(self.account)
                         if f.name.upper() == "INBOX"), None)
        return self.store.folder(self.account, name)

    def _own(self, name: str, done: str) -> Folder:
        """The folder, if the user may rename or delete it from here."""
        folder = self._find(name)
        if folder is None:
            raise FolderRefused(f"there is no folder {name!r}")
        why = folder_refusal(folder, done)
        if why is not None:
            raise FolderRefused(why)
        return folder

    def _shown(self, name: str) -> str:
        """A folder named as the tree and the dialogs show it: inside the namespace, levels
        joined by "/" ("INBOX.Projects.2025" -> "Projects/2025" on Courier)."""
        return path_in_namespace(name, *self.store.folder_edits.personal_namespace(self.account))

    def _moves_waiting_into(self, name: str) -> bool:
        return any(action.payload.get("target") == name and action.kind in ("move", "copy")
                   for action in self.store.queues.pending_actions(self.account))

    def _enqueue(self, kind: str, payload: dict[str, object]) -> int | None:
        if not self.queued:
            return None
        return self.store.queues.enqueue_action(self.account, kind, payload)


# -- replay --------------------------------------------------------------------------------

def apply_on_server(backend: object, kind: str, payload: Mapping[str, object]) -> None:
    """Send one queued folder change to the server (ServerRefused with its words)."""
    command = getattr(backend, {CREATE: "create_folder", RENAME: "rename_folder",
                             DELETE: "delete_folder", SUBSCRIBE: "subscribe_folder"}[kind], None)
    if command is None:
        raise NotSupported("this server has no folders to manage")
    folder = str(payload["folder"])
    if kind == CREATE:
        command(folder, subscribe=True)
    elif kind == RENAME:
        command(folder, str(payload["target"]))
    elif kind == DELETE:
        with suppress(FolderMissing):  # gone from the server already: what was asked is true
            command(folder)
    else:
        command(folder, bool(payload["subscribe"]))


def put_back(store: Store, account: str, kind: str, payload: Mapping[str, object]) -> str:
    """The server refused: make the cache what the server has again; returns what is said
    about it (appended to the refusal)."""
    folder = str(payload["folder"])
    if kind == CREATE:
        made = store.folder(account, folder)
        if made is not None and made.total == 0:
            store.delete_folder(account, folder)
        return "; the folder is not made"
    if kind == RENAME:
        try:
            store.folder_edits.rename_folder_local(account, str(payload["target"]), folder)
        except TuiMailError:
            return ""
        return f"; the folder is called {folder} again"
    if kind == DELETE:
        was = payload.get("was") or {}
        assert isinstance(was, Mapping)
        store.folder_edits.restore_folder(account, Folder(
            account, folder, FolderRole(str(was.get("role", ""))),
            str(was.get("delimiter", "/")), kind=FolderKind(str(was.get("kind", ""))),
            prefix=str(was.get("prefix", "")), subscribed=bool(was.get("subscribed", True))))
        return "; the folder is kept (its messages come back with the next sync)"
    on = bool(payload.get("subscribe"))
    store.folder_edits.set_subscribed(account, folder, not on)
    return f"; shown as {'not ' if on else ''}subscribed again"


def changed_by(kind: str, payload: Mapping[str, object]) -> list[str]:
    """The cached folders a put-back changed (for the interface to re-read)."""
    names = [str(payload["folder"])]
    if kind == RENAME:
        names.append(str(payload["target"]))
    return names


@dataclass
class PendingFolders:
    """What queued folder changes mean for a LIST that comes before their replay."""

    hidden: set[str] = field(default_factory=set)  # deleted or renamed away by the user
    subscribed: dict[str, bool] = field(default_factory=dict)  # the user's subscriptions

    def hides(self, name: str, delimiter: str) -> bool:
        """Whether the server's `name` is one the user deleted or renamed away (a renamed
        folder's subfolders too)."""
        return any(name == gone or (delimiter and name.startswith(gone + delimiter))
                   for gone in self.hidden)


def pending_folder_changes(actions: Iterable[object]) -> PendingFolders:
    """Pending actions (oldest first) as `PendingFolders`."""
    pending = PendingFolders()
    for action in actions:
        kind = getattr(action, "kind", "")
        payload: Mapping[str, object] = getattr(action, "payload", {})
        if kind not in FOLDER_KINDS:
            continue
        folder = str(payload.get("folder"))
        if kind == CREATE:
            pending.hidden.discard(folder)
            pending.subscribed[folder] = True
        elif kind == RENAME:
            target = str(payload.get("target"))
            pending.hidden.add(folder)
            pending.hidden.discard(target)
            if folder in pending.subscribed:
                pending.subscribed[target] = pending.subscribed.pop(folder)
        elif kind == DELETE:
            pending.hidden.add(folder)
        else:
            pending.subscribed[folder] = bool(payload.get("subscribe"))
    return pending

