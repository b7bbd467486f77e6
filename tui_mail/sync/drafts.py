"""Drafts: saved locally at once (so a crash loses nothing), and to the server's Drafts folder
on request, replacing the previous version there.

A draft keeps one Message-ID for its whole life; that id is its key in the local table and how
the previous server copy is found (UID SEARCH HEADER Message-ID) and removed after the new one
is stored. The new copy is appended before the old one is expunged, so a failure in between
leaves two versions, never none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Protocol

from tui_mail.model import Account, FolderRole
from tui_mail.model import Protocol as MailProtocol
from tui_mail.remote.connection import Credentials
from tui_mail.store import StoredDraft

DRAFT_FLAGS = ("\\Draft", "\\Seen")


class DraftRows(Protocol):
    """The local drafts' rows in the cache (`tui_mail.store.queues.Queues`)."""

    def save_draft(self, account: str, key: str, raw: bytes) -> None: ...

    def drafts(self, account: str | None = None) -> list[StoredDraft]: ...

    def delete_draft(self, key: str) -> None: ...


class DraftStore(Protocol):
    """The part of tui_mail.store.Store that keeps the local drafts."""

    @property
    def queues(self) -> DraftRows: ...


class DraftsServer(Protocol):
    """The part of an IMAP connection (tui_mail.remote.imap.ImapBackend) that keeps the
    server's Drafts folder."""

    def role_folder(self, role: FolderRole, configured: str | None = None) -> str: ...

    def ensure_folder(self, name: str) -> None: ...

    def append(
        self, folder: str, raw: bytes, flags: Iterable[str] = (), when: datetime | None = None
    ) -> int | None: ...

    def find_message_id(self, folder: str, message_id: str) -> list[int]: ...

    def delete(self, folder: str, uids: Sequence[int]) -> None: ...

    def close(self) -> None: ...


class Drafts:
    """The drafts of one account."""

    def __init__(
        self,
        store: DraftStore,
        account: Account,
        imap_credentials: Callable[[], Credentials] | None = None,
    ) -> None:
        self.store = store
        self.account = account
        self._imap_credentials = imap_credentials

    @property
    def has_server_folder(self) -> bool:
        return (
            self.account.incoming.protocol is MailProtocol.IMAP
            and self._imap_credentials is not None
        )

    def save_local(self, message_id: str, raw: bytes) -> None:
        """Autosave: the cache only, no network."""
        self.store.queues.save_draft(self.account.name, message_id, raw)

    def local(self) -> list[StoredDraft]:
        return self.store.queues.drafts(self.account.name)

    def save(self, message_id: str, raw: bytes) -> str | None:
        """Save locally, then to the server's Drafts folder (blocking: call from a worker).

        Returns the server folder written to, or None for an account without one (POP3).
        Raises the user-facing errors of the IMAP adapter; the local copy is kept either way.
        """
        self.save_local(message_id, raw)
        return self.save_to_server(message_id, raw)

    def save_to_server(self, message_id: str, raw: bytes) -> str | None:
        """Only the server's copy (the local one was saved when the user asked)."""
        if not self.has_server_folder:
            return None
        backend = self._backend()
        try:
            folder = self._folder(backend)
            backend.ensure_folder(folder)
            new_uid = backend.append(folder, raw, DRAFT_FLAGS)
            found = backend.find_message_id(folder, message_id)
            keep = new_uid if new_uid in found else max(found, default=None)
            old = [uid for uid in found if uid != keep]
            if old:
                backend.delete(folder, old)
            return folder
        finally:
            backend.close()

    def discard(self, message_id: str) -> None:
        """Forget a draft (sent or thrown away): locally, and on the server when it has one."""
        self.store.queues.delete_draft(message_id)
        self.discard_on_server(message_id)

    def discard_on_server(self, message_id: str) -> None:
        """Remove the server's copies of a draft (the local one is the caller's)."""
        if not self.has_server_folder:
            return
        backend = self._backend()
        try:
            folder = self._folder(backend)
            found = backend.find_message_id(folder, message_id)
            if found:
                backend.delete(folder, found)
        finally:
            backend.close()

    def _folder(self, backend: DraftsServer) -> str:
        configured = self.account.folders.get(FolderRole.DRAFTS)
        return backend.role_folder(FolderRole.DRAFTS, configured)

    def _backend(self) -> DraftsServer:
        from tui_mail.remote.imap import ImapBackend

        assert self._imap_credentials is not None
        return ImapBackend.open(self.account.incoming, self._imap_credentials())
