"""What follows a message the SMTP server accepted: the one function the app's mail service
and `tui-mail outbox flush` both give the outbox as its `on_accepted`.

The message it answers is marked answered (a forward: forwarded), through the action queue so
the server learns it too (offline: at the next replay); the queue of a POP3 account, whose
server keeps no flags, changes the cache alone. The draft it was written from leaves the server's Drafts folder.
Both are harmless to repeat: the outbox calls this again after a crash interrupted it.
"""

from __future__ import annotations

from tui_mail.model import Account, Protocol
from tui_mail.store.db import Store
from tui_mail.store.types import OutboxItem
from tui_mail.sync.actions import ActionQueue
from tui_mail.sync.credentials import provider


def after_accepted(store: Store, account: Account, entry: OutboxItem) -> list[str]:
    """Mark the original and drop the server draft; the folders whose cache changed.
    Raises the IMAP adapter's TuiMailError when the Drafts folder cannot be cleaned (the
    outbox turns it into a warning)."""
    from tui_mail.sync.drafts import Drafts

    imap = account.incoming.protocol is Protocol.IMAP
    folders: list[str] = []
    if entry.origin_message_id:
        queue = ActionQueue(store, account)
        rows = queue.rows_with_message_id(entry.origin_message_id)
        forward = entry.origin_kind == "forward"
        if rows and forward:
            queue.mark_forwarded(rows)
        elif rows:
            queue.mark_answered(rows)
        folders = sorted({row.folder for row in map(store.message_row, rows) if row})
    if imap and entry.message_id:
        Drafts(store, account, provider(account, "incoming")).discard(entry.message_id)
    return folders
