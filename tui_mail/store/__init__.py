"""The SQLite cache: messages, flags, bodies, FTS5 search, outbox and action queue.

See `tui_mail.store.db` for the API and `tui_mail.store.schema` for the design of the tables.
"""

from tui_mail.store.db import Store
from tui_mail.store.types import (
    Action,
    ActionState,
    ImportResult,
    NewMessage,
    OutboxItem,
    OutboxState,
    SortBy,
    StoredDraft,
    View,
)

__all__ = [
    "Action",
    "ActionState",
    "ImportResult",
    "NewMessage",
    "OutboxItem",
    "OutboxState",
    "SortBy",
    "Store",
    "StoredDraft",
    "View",
]
