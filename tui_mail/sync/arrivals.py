"""Which of a folder's newly fetched messages are news to the user (`events.MailArrived`).

A sync finds new messages as "on the server, not in the cache"; that is also every message
of a first sync, of a folder fetched again after its UIDVALIDITY changed, and the server's
copy of a message the user moved. News is narrower: a message the server numbered from the
folder's UIDNEXT of the last completed sync on, not read yet (another client may have read
it), and whose Message-ID the account does not hold already (the copy of one's own sent
message, the same list mail delivered into two folders). A folder that was never synced to
the end, or whose cache was dropped, has no news: a first sync of 10,000 messages tells
nothing. (The whole-message pass of `tui-mail sync --bodies`, with no interface to tell, is
not watched.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tui_mail.mail.headers import parse_headers
from tui_mail.model import Account, Flags, Folder, path_in_namespace
from tui_mail.new_mail import LISTED, folder_notifies
from tui_mail.remote.backend import RemoteSummary
from tui_mail.sync.events import MailArrived


class MessageIdLookup(Protocol):
    """The cache's lookup of messages by Message-ID (`tui_mail.store.listing.Listing`)."""

    def ids_with_message_id(self, account: str, message_id: str) -> list[int]: ...


class ArrivalsStore(Protocol):
    """The part of tui_mail.store.Store that arrivals read: the folder's row (where it is
    shown) and whether a Message-ID is cached already."""

    def folder(self, account: str, name: str) -> Folder | None: ...

    @property
    def listing(self) -> MessageIdLookup: ...


@dataclass
class Arrivals:
    """The news of one folder's sync, gathered batch by batch before each is cached."""

    account: str
    folder: str
    shown: str
    since_uid: int  # IMAP: the folder's UIDNEXT at its last completed sync
    count: int = 0
    newest: list[tuple[int, str, str]] = field(default_factory=list)  # (order, sender, subject)

    @classmethod
    def watch(cls, account: Account, store: ArrivalsStore, folder: str, *, synced_before: bool,
              since_uid: int = 0) -> Arrivals | None:
        """Arrivals for this folder's sync, or None when it tells nothing: the account or
        the folder does not notify, or the folder was never synced through (or is fetched
        again from scratch)."""
        if not account.notify or not synced_before:
            return None
        cached = store.folder(account.name, folder)
        shown = path_in_namespace(folder, cached.prefix, cached.delimiter) if cached \
            else folder
        if not folder_notifies(account.notify_folders, folder, shown):
            return None
        return cls(account.name, folder, shown, since_uid)

    def note(self, store: ArrivalsStore, batch: Sequence[RemoteSummary]) -> None:
        """Count the news of a batch of fetched summaries; called before the batch is cached
        (a Message-ID found then was in the account before)."""
        for summary in batch:
            if summary.uid >= self.since_uid:
                self.consider(store, summary.uid, summary.flags, summary.header)

    def consider(self, store: ArrivalsStore, order: int, flags: Flags, header: bytes) -> None:
        """One new message (`order`: higher is newer), before it is cached."""
        if flags.seen or flags.deleted or flags.draft:
            return
        headers = parse_headers(header)
        if headers.message_id and store.listing.ids_with_message_id(self.account,
                                                                   headers.message_id):
            return
        sender = headers.from_[0] if headers.from_ else None
        name = (sender.name or sender.email) if sender else ""
        self.count += 1
        self.newest.append((order, name, headers.subject))
        self.newest = sorted(self.newest, reverse=True)[:LISTED]

    def event(self) -> MailArrived | None:
        if not self.count:
            return None
        return MailArrived(self.account, self.folder, self.shown, self.count,
                           tuple((sender, subject) for _, sender, subject in self.newest))
