"""Autocrypt peers in the cache: per account, what each correspondent's mail said about their
key (mail.autocrypt), updated as their messages are cached, read by the composer."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from tui_mail.mail.autocrypt import Peer, parse_autocrypt, updated

TYPE_CHECKING = False  # typing's, without importing typing: `tui-mail search` loads this
if TYPE_CHECKING:
    from tui_mail.mail.headers import HeaderSummary


def _when(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _seconds(when: datetime | None) -> int | None:
    return None if when is None else int(when.timestamp())


def peer(conn: sqlite3.Connection, account_id: int, address: str) -> Peer | None:
    row = conn.execute(
        "SELECT last_seen, autocrypt_timestamp, public_key, mutual FROM autocrypt_peers"
        " WHERE account_id = ? AND address = ?", (account_id, address.lower())).fetchone()
    if row is None:
        return None
    seen = _when(row[0])
    assert seen is not None
    return Peer(address.lower(), seen, _when(row[1]), bytes(row[2]) if row[2] else None,
                bool(row[3]))


def every_peer(conn: sqlite3.Connection, account: str | None = None) -> list[tuple[str, Peer]]:
    """(account name, peer) for each peer with a key, by account then address."""
    sql = ("SELECT a.name, p.address, p.last_seen, p.autocrypt_timestamp, p.public_key,"
           " p.mutual FROM autocrypt_peers p JOIN accounts a ON a.id = p.account_id"
           " WHERE p.public_key IS NOT NULL")
    params: tuple[str, ...] = ()
    if account is not None:
        sql += " AND a.name = ?"
        params = (account,)
    found = []
    for name, address, seen, stamp, key, mutual in conn.execute(
            sql + " ORDER BY a.name, p.address", params):
        last_seen = _when(seen)
        assert last_seen is not None
        found.append((name, Peer(address, last_seen, _when(stamp), bytes(key), bool(mutual))))
    return found


def note_messages(conn: sqlite3.Connection, account_id: int,
                  messages: Sequence[tuple[HeaderSummary, int]]) -> None:
    """Update the peers from messages just cached ((headers, date seconds) each), inside the
    caller's transaction. Only senders already known, or whose message has an Autocrypt
    header, are looked at: a sync of mail from strangers costs nothing more."""
    known = {row[0] for row in conn.execute(
        "SELECT address FROM autocrypt_peers WHERE account_id = ?", (account_id,))}
    now = int(time.time())
    for headers, seconds in messages:
        if len(headers.from_) != 1 or headers.automatic:
            continue
        address = headers.from_[0].email.lower()
        if not address or (address not in known and not headers.autocrypt):
            continue
        header = parse_autocrypt(list(headers.autocrypt), address)
        effective = _when(min(seconds, now))
        assert effective is not None
        new = updated(peer(conn, account_id, address), address, effective, header)
        if new is None:
            continue
        conn.execute(
            "INSERT INTO autocrypt_peers(account_id, address, last_seen, autocrypt_timestamp,"
            " public_key, mutual) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(account_id, address)"
            " DO UPDATE SET last_seen = excluded.last_seen,"
            " autocrypt_timestamp = excluded.autocrypt_timestamp,"
            " public_key = excluded.public_key, mutual = excluded.mutual",
            (account_id, address, _seconds(new.last_seen), _seconds(new.autocrypt_timestamp),
             new.public_key, int(new.mutual)))
        known.add(address)
