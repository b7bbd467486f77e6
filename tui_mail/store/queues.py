"""Outbox, offline action queue, POP3 UIDL state and local drafts."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime

from tui_mail.store.types import Action, ActionState, OutboxItem, OutboxState, StoredDraft


def _ts(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _epoch(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


_OUTBOX_COLUMNS = (
    "id, account, raw, mail_from, rcpts, message_id, state, attempts, last_error,"
    " next_attempt_at, created_at, origin_message_id, origin_kind, partial, notified"
)

# Recording these counts an attempt: they end one without success. `accepted` is recorded
# here only when a step after acceptance (the copy to Sent) failed; its count is its backoff.
_COUNTED = frozenset(
    {OutboxState.FAILED, OutboxState.HELD, OutboxState.UNSURE, OutboxState.ACCEPTED}
)


def _outbox_item(row: tuple) -> OutboxItem:
    import json  # here: a search needs none (3 ms)

    return OutboxItem(
        id=row[0],
        account=row[1],
        raw=row[2],
        mail_from=row[3],
        rcpts=tuple(json.loads(row[4])),
        message_id=row[5],
        state=row[6],
        attempts=row[7],
        last_error=row[8],
        next_attempt_at=_ts(row[9]),
        created_at=_ts(row[10]) or datetime.now(UTC),
        origin_message_id=row[11],
        origin_kind=row[12],
        partial=bool(row[13]),
        notified=bool(row[14]),
    )


def _action(row: tuple) -> Action:
    import json  # here: a search needs none (3 ms)

    return Action(
        id=row[0],
        account=row[1],
        kind=row[2],
        payload=json.loads(row[3]),
        state=row[4],
        error=row[5],
        created_at=_ts(row[6]) or datetime.now(UTC),
    )


class Queues:
    """The outbox, the offline action queue, the POP3 UIDL state and the local drafts
    (`Store.queues`), on the store's connection and in its write transactions (`transaction`,
    `Store._tx`: one BEGIN IMMEDIATE ... COMMIT, errors made CacheErrors)."""

    def __init__(self, conn: sqlite3.Connection,
                 transaction: Callable[[], AbstractContextManager[sqlite3.Connection]]) -> None:
        self._conn = conn
        self._tx = transaction

    # ---- outbox ----------------------------------------------------------------------

    def outbox_add(
        self,
        account: str,
        raw: bytes,
        mail_from: str,
        rcpts: Iterable[str],
        message_id: str,
        origin_message_id: str = "",
        origin_kind: str = "",
    ) -> int:
        """Queue a composed message for sending (written before any network attempt).

        Ids are never reused (AUTOINCREMENT), so an id names one message for good."""
        import json  # here: a search needs none (3 ms)

        with self._tx() as c:
            cur = c.execute(
                "INSERT INTO outbox(account, raw, mail_from, rcpts, message_id, state, created_at,"
                " origin_message_id, origin_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    account,
                    raw,
                    mail_from,
                    json.dumps(list(rcpts)),
                    message_id,
                    str(OutboxState.QUEUED),
                    int(time.time()),
                    origin_message_id,
                    origin_kind,
                ),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid

    def outbox_list(self, account: str | None = None) -> list[OutboxItem]:
        if account is None:
            rows = self._conn.execute(f"SELECT {_OUTBOX_COLUMNS} FROM outbox ORDER BY id")
        else:
            rows = self._conn.execute(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE account = ? ORDER BY id", (account,)
            )
        return [_outbox_item(r) for r in rows]

    def outbox_counts(self) -> dict[str, int]:
        """How many outbox entries are in each state (without reading the messages)."""
        rows = self._conn.execute("SELECT state, count(*) FROM outbox GROUP BY state")
        return {state: count for state, count in rows}

    def outbox_get(self, item_id: int) -> OutboxItem | None:
        row = self._conn.execute(
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE id = ?", (item_id,)
        ).fetchone()
        return _outbox_item(row) if row else None

    def outbox_set_state(
        self,
        item_id: int,
        state: str,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> None:
        """Record a state change; FAILED, HELD, UNSURE and ACCEPTED count an attempt."""
        attempt = 1 if state in _COUNTED else 0
        with self._tx() as c:
            c.execute(
                "UPDATE outbox SET state = ?, last_error = ?, next_attempt_at = ?,"
                " attempts = attempts + ? WHERE id = ?",
                (str(state), error, _epoch(next_attempt_at), attempt, item_id),
            )

    def outbox_accept(
        self,
        item_id: int,
        refused: Iterable[str] = (),
        refused_state: str = OutboxState.HELD,
        refused_error: str | None = None,
        refused_next_attempt_at: datetime | None = None,
    ) -> int | None:
        """The server accepted the message: one transaction records it (`accepted`, attempts
        counted afresh for the after-steps) and, when some recipients were refused, adds the
        entry that keeps the message for them alone. Returns that entry's id."""
        import json  # here: a search needs none (3 ms)

        refused = list(refused)
        with self._tx() as c:
            c.execute(
                "UPDATE outbox SET state = ?, last_error = NULL, next_attempt_at = NULL,"
                " attempts = 0, notified = 0 WHERE id = ?",
                (str(OutboxState.ACCEPTED), item_id),
            )
            if not refused:
                return None
            cur = c.execute(
                "INSERT INTO outbox(account, raw, mail_from, rcpts, message_id, state, attempts,"
                " last_error, next_attempt_at, created_at, origin_message_id, origin_kind,"
                " partial) SELECT account, raw, mail_from, ?, message_id, ?, 1, ?, ?, ?,"
                " origin_message_id, origin_kind, 1 FROM outbox WHERE id = ?",
                (
                    json.dumps(refused),
                    str(refused_state),
                    refused_error,
                    _epoch(refused_next_attempt_at),
                    int(time.time()),
                    item_id,
                ),
            )
            return cur.lastrowid if cur.rowcount else None

    def outbox_requeue(self, item_id: int) -> bool:
        """Make a queued, failed, held or unsure entry due now (the user asked to send it
        again). False, and nothing changed, when it is being sent or was already accepted:
        one conditional UPDATE, so a delivery moving it on meanwhile is never undone."""
        with self._tx() as c:
            cur = c.execute(
                "UPDATE outbox SET state = ?, next_attempt_at = NULL WHERE id = ?"
                " AND state IN (?, ?, ?, ?)",
                (str(OutboxState.QUEUED), item_id, str(OutboxState.QUEUED),
                 str(OutboxState.FAILED), str(OutboxState.HELD), str(OutboxState.UNSURE)),
            )
            return cur.rowcount > 0

    def outbox_claim(self, item_id: int) -> bool:
        """Start an attempt: `sending`, only if the entry is still one that waits (queued,
        failed, held, unsure). False when it was dropped or taken out to be edited meanwhile:
        the attempt must not go on with the bytes it read before."""
        with self._tx() as c:
            cur = c.execute(
                "UPDATE outbox SET state = ? WHERE id = ? AND state IN (?, ?, ?, ?)",
                (str(OutboxState.SENDING), item_id, str(OutboxState.QUEUED),
                 str(OutboxState.FAILED), str(OutboxState.HELD), str(OutboxState.UNSURE)),
            )
            return cur.rowcount > 0

    def outbox_remove_waiting(self, item_id: int) -> bool:
        """Remove an entry unless an attempt is under way (one conditional DELETE: with
        `outbox_claim`, an entry is either sent or removed, never both). An accepted entry
        waiting to retry its copy to Sent can go (it was sent; the copy is given up), not one
        whose steps after sending are running or have not run yet (no retry time)."""
        with self._tx() as c:
            cur = c.execute(
                "DELETE FROM outbox WHERE id = ? AND state NOT IN (?, ?)"
                " AND (state != ? OR next_attempt_at IS NOT NULL)",
                (item_id, str(OutboxState.SENDING), str(OutboxState.COMMITTING),
                 str(OutboxState.ACCEPTED)),
            )
            return cur.rowcount > 0

    def outbox_set_notified(self, item_id: int) -> None:
        """The after-acceptance callback has run for this entry (it is not called again)."""
        with self._tx() as c:
            c.execute("UPDATE outbox SET notified = 1 WHERE id = ?", (item_id,))

    def outbox_remove(self, item_id: int) -> None:
        with self._tx() as c:
            c.execute("DELETE FROM outbox WHERE id = ?", (item_id,))

    # ---- action queue ----------------------------------------------------------------

    def enqueue_action(self, account: str, kind: str, payload: dict[str, object]) -> int:
        import json  # here: a search needs none (3 ms)

        with self._tx() as c:
            cur = c.execute(
                "INSERT INTO actions(account, kind, payload, state, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (account, kind, json.dumps(payload), str(ActionState.PENDING), int(time.time())),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid

    def actions(
        self, account: str | None = None, states: Iterable[str] = tuple(ActionState)
    ) -> list[Action]:
        states = [str(s) for s in states]
        marks = ",".join("?" * len(states))
        sql = (
            "SELECT id, account, kind, payload, state, error, created_at FROM actions"
            f" WHERE state IN ({marks})"
        )
        params: list[object] = list(states)
        if account is not None:
            sql += " AND account = ?"
            params.append(account)
        return [_action(r) for r in self._conn.execute(sql + " ORDER BY id", params)]

    def pending_actions(self, account: str) -> list[Action]:
        """Actions to replay to the server, oldest first."""
        return self.actions(account, (ActionState.PENDING,))

    def action_done(self, action_id: int) -> None:
        with self._tx() as c:
            c.execute(
                "UPDATE actions SET state = ?, error = NULL WHERE id = ?",
                (str(ActionState.DONE), action_id),
            )

    def action_failed(self, action_id: int, error: str) -> None:
        with self._tx() as c:
            c.execute(
                "UPDATE actions SET state = ?, error = ? WHERE id = ?",
                (str(ActionState.FAILED), error, action_id),
            )

    def action_retry(self, action_id: int) -> None:
        """Put a failed action back in the queue (the user asked to retry)."""
        with self._tx() as c:
            c.execute(
                "UPDATE actions SET state = ?, error = NULL WHERE id = ?",
                (str(ActionState.PENDING), action_id),
            )

    def remove_action(self, action_id: int) -> None:
        """Drop a queued action (the user undid it before it reached the server)."""
        with self._tx() as c:
            c.execute("DELETE FROM actions WHERE id = ?", (action_id,))

    def purge_done_actions(self) -> None:
        with self._tx() as c:
            c.execute("DELETE FROM actions WHERE state = ?", (str(ActionState.DONE),))

    # ---- POP3 --------------------------------------------------------------------------

    def pop3_known_uidls(self, account: str) -> set[str]:
        rows = self._conn.execute("SELECT uidl FROM pop3_uidl WHERE account = ?", (account,))
        return {r[0] for r in rows}

    def pop3_record(self, account: str, uidl: str, message_row_id: int | None) -> None:
        with self._tx() as c:
            c.execute(
                "INSERT INTO pop3_uidl(account, uidl, message_row, fetched_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(account, uidl) DO UPDATE SET message_row = excluded.message_row",
                (account, uidl, message_row_id, int(time.time())),
            )

    def pop3_fetched(self, account: str) -> Iterator[tuple[str, datetime, bool]]:
        """(uidl, fetched_at, deleted_on_server) for every UIDL downloaded."""
        rows = self._conn.execute(
            "SELECT uidl, fetched_at, deleted_on_server FROM pop3_uidl WHERE account = ?",
            (account,),
        ).fetchall()
        for uidl, fetched, deleted in rows:
            yield uidl, datetime.fromtimestamp(fetched, UTC), bool(deleted)

    def pop3_mark_deleted(self, account: str, uidls: Iterable[str]) -> None:
        with self._tx() as c:
            c.executemany(
                "UPDATE pop3_uidl SET deleted_on_server = 1 WHERE account = ? AND uidl = ?",
                [(account, u) for u in uidls],
            )

    def pop3_forget(self, account: str, uidls: Iterable[str]) -> None:
        """Drop UIDLs no longer on the server (keeps the table from growing forever)."""
        with self._tx() as c:
            c.executemany(
                "DELETE FROM pop3_uidl WHERE account = ? AND uidl = ?",
                [(account, u) for u in uidls],
            )

    # ---- drafts ------------------------------------------------------------------------

    def save_draft(self, account: str, key: str, raw: bytes) -> None:
        with self._tx() as c:
            c.execute(
                "INSERT INTO drafts(account, key, raw, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET account = excluded.account, raw = excluded.raw,"
                " updated_at = excluded.updated_at",
                (account, key, raw, int(time.time())),
            )

    def drafts(self, account: str | None = None) -> list[StoredDraft]:
        sql = "SELECT account, key, raw, updated_at FROM drafts"
        params: tuple = ()
        if account is not None:
            sql += " WHERE account = ?"
            params = (account,)
        rows = self._conn.execute(sql + " ORDER BY updated_at DESC, key", params)
        return [StoredDraft(a, k, r, datetime.fromtimestamp(u, UTC)) for a, k, r, u in rows]

    def draft_owner(self, key: str) -> str | None:
        """The account a local draft belongs to (without reading the draft itself)."""
        row = self._conn.execute("SELECT account FROM drafts WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def delete_draft(self, key: str) -> None:
        with self._tx() as c:
            c.execute("DELETE FROM drafts WHERE key = ?", (key,))
