"""Autocrypt peers in the cache: per account, what each correspondent's mail said about their
key (mail.autocrypt), updated as their messages are cached, read by the composer."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from tui_mail.mail.autocrypt import Peer, gossiped, parse_autocrypt, updated

TYPE_CHECKING = False  # typing's, without importing typing: `tui-mail search` loads this
if TYPE_CHECKING:
    from typing import Any

    from tui_mail.mail.headers import HeaderSummary


def _when(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _seconds(when: datetime | None) -> int | None:
    return None if when is None else int(when.timestamp())


_COLUMNS = ("address, last_seen, autocrypt_timestamp, public_key, mutual, gossip_timestamp,"
            " gossip_key")


def _peer(row: Sequence[Any]) -> Peer:
    address, seen, stamp, key, mutual, gossip_stamp, gossip_key = row
    last_seen = _when(seen)
    assert last_seen is not None
    return Peer(str(address), last_seen, _when(stamp), bytes(key) if key else None,
                bool(mutual), _when(gossip_stamp), bytes(gossip_key) if gossip_key else None)


def peer(conn: sqlite3.Connection, account_id: int, address: str) -> Peer | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM autocrypt_peers"
                       " WHERE account_id = ? AND address = ?",
                       (account_id, address.lower())).fetchone()
    return None if row is None else _peer(row)


def _save(conn: sqlite3.Connection, account_id: int, new: Peer) -> None:
    conn.execute(
        f"INSERT INTO autocrypt_peers(account_id, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(account_id, address) DO UPDATE SET last_seen = excluded.last_seen,"
        " autocrypt_timestamp = excluded.autocrypt_timestamp,"
        " public_key = excluded.public_key, mutual = excluded.mutual,"
        " gossip_timestamp = excluded.gossip_timestamp, gossip_key = excluded.gossip_key",
        (account_id, new.address, _seconds(new.last_seen), _seconds(new.autocrypt_timestamp),
         new.public_key, int(new.mutual), _seconds(new.gossip_timestamp), new.gossip_key))


def note_gossip(conn: sqlite3.Connection, account_id: int, seconds: int,
                keys: dict[str, bytes]) -> None:
    """Keys an encrypted message of date `seconds` gossiped (mail.autocrypt.gossip_of),
    inside the caller's transaction."""
    effective = _when(min(seconds, int(time.time())))
    assert effective is not None
    for address, keydata in keys.items():
        new = gossiped(peer(conn, account_id, address), address, effective, keydata)
        if new is not None:
            _save(conn, account_id, new)


def every_peer(conn: sqlite3.Connection, account: str | None = None) -> list[tuple[str, Peer]]:
    """(account name, peer) for each peer with a key, by account then address."""
    columns = ", ".join(f"p.{c.strip()}" for c in _COLUMNS.split(","))
    sql = (f"SELECT a.name, {columns} FROM autocrypt_peers p JOIN accounts a"
           " ON a.id = p.account_id WHERE (p.public_key IS NOT NULL OR p.gossip_key IS NOT NULL)")
    params: tuple[str, ...] = ()
    if account is not None:
        sql += " AND a.name = ?"
        params = (account,)
    return [(str(row[0]), _peer(row[1:]))
            for row in conn.execute(sql + " ORDER BY a.name, p.address", params)]


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
        _save(conn, account_id, new)
        known.add(address)
