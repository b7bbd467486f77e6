"""Message row ids that sort by date (see schema.py for why).

id = unix_seconds * KEY_SCALE + tiebreak. Up to KEY_SCALE messages of the same second get
consecutive ids; more spill into the following second's range, which only shifts their order
by a second.
"""

from __future__ import annotations

import sqlite3

KEY_SCALE = 1024


def seconds_of(key: int) -> int:
    return key // KEY_SCALE


def allocate_key(conn: sqlite3.Connection, seconds: int) -> int:
    """The smallest free id at or after the first id of `seconds` (call inside the write tx)."""
    base = seconds * KEY_SCALE
    top = conn.execute(
        "SELECT max(id) FROM messages WHERE id >= ? AND id < ?", (base, base + KEY_SCALE)
    ).fetchone()[0]
    if top is None:
        return base
    candidate = top + 1
    while conn.execute("SELECT 1 FROM messages WHERE id = ?", (candidate,)).fetchone():
        candidate += 1
    return candidate
