"""Reading for the UI: message lists by position, threads, search, address completion.

Rows by position without `OFFSET n` per line: a window near either end of the list is read
by `LIMIT` on an index walked in one direction or the other; anywhere else, the ordered id list
of the view is loaded once (a covering-index scan) and kept until the database changes, and
the window's summaries are fetched by id.

Search walks candidates newest first and stops when the page is full (see `_search_rows`).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from tui_mail.errors import QueryError
from tui_mail.model import Address, FolderRole, MessageSummary
from tui_mail.store.rows import SUMMARY_COLUMNS, SUMMARY_FROM, SUMMARY_JOINS, summary_of
from tui_mail.store.types import SortBy, ThreadOrder, View

END_WINDOW = 200  # positions this close to an end are read with LIMIT on the index
# A filtered search reads FTS hits (or message ids) newest first in chunks growing from
# WALK_FIRST_CHUNK to WALK_MAX_CHUNK, and hands over to SQLite after WALK_BUDGET (_search_rows).
WALK_FIRST_CHUNK = 200
WALK_MAX_CHUNK = 1600
WALK_BUDGET = 4000

_ORDER = {
    SortBy.DATE: ("m.id DESC", "m.id ASC"),
    SortBy.SENDER: ("m.sender_sort DESC, m.id DESC", "m.sender_sort ASC, m.id ASC"),
    SortBy.SUBJECT: ("m.subject_sort DESC, m.id DESC", "m.subject_sort ASC, m.id ASC"),
}


class ListingMixin:
    _conn: sqlite3.Connection
    _id_lists: dict[object, tuple[tuple[int, int], list[tuple[int, int]]]]

    # ---- views -----------------------------------------------------------------------

    def _view_where(self, view: View) -> tuple[str, list[object]]:
        if view.folder_id is not None:
            return "m.folder_id = ?", [view.folder_id]
        conds, params = [], []
        if view.folder_role is not None:
            conds.append("f2.role = ?")
            params.append(str(view.folder_role))
        if view.account is not None:
            conds.append("a2.name = ?")
            params.append(view.account)
        where = " AND ".join(conds) or "1"
        return (
            "m.folder_id IN (SELECT f2.id FROM folders f2 JOIN accounts a2"
            f" ON a2.id = f2.account_id WHERE {where})",
            params,
        )

    def count(self, view: View) -> int:
        """How many messages the view has (from the folder counters: no scan)."""
        if view.folder_id is not None:
            row = self._conn.execute(
                "SELECT total FROM folders WHERE id = ?", (view.folder_id,)
            ).fetchone()
            return row[0] if row else 0
        conds, params = [], []
        if view.folder_role is not None:
            conds.append("f.role = ?")
            params.append(str(view.folder_role))
        if view.account is not None:
            conds.append("a.name = ?")
            params.append(view.account)
        where = " AND ".join(conds) or "1"
        return self._conn.execute(
            "SELECT coalesce(sum(f.total), 0) FROM folders f JOIN accounts a"
            f" ON a.id = f.account_id WHERE {where}",
            params,
        ).fetchone()[0]

    def page(self, view: View, start: int, limit: int) -> list[MessageSummary]:
        """The rows at positions [start, start + limit) of the view, in its order."""

        if limit <= 0 or start < 0:
            return []
        if not view.threaded:
            total = self.count(view)
            start = min(start, total)
            limit = min(limit, total - start)
            if limit <= 0:
                return []
            where, params = self._view_where(view)
            desc, asc = _ORDER[view.sort]
            forward, backward = (desc, asc) if view.descending else (asc, desc)
            if start + limit <= END_WINDOW:
                rows = self._conn.execute(
                    f"SELECT {SUMMARY_COLUMNS} FROM {SUMMARY_FROM} WHERE {where}"
                    f" ORDER BY {forward} LIMIT ?",
                    (*params, start + limit),
                ).fetchall()
                return [summary_of(r) for r in rows[start:]]
            if total - start <= END_WINDOW:
                rows = self._conn.execute(
                    f"SELECT {SUMMARY_COLUMNS} FROM {SUMMARY_FROM} WHERE {where}"
                    f" ORDER BY {backward} LIMIT ?",
                    (*params, total - start),
                ).fetchall()
                rows.reverse()
                return [summary_of(r) for r in rows[:limit]]
        window = self._ordered_ids(view)[start : start + limit]
        if not window:
            return []
        marks = ",".join("?" * len(window))
        rows = self._conn.execute(
            f"SELECT {SUMMARY_COLUMNS} FROM {SUMMARY_FROM} WHERE m.id IN ({marks})",
            [i for i, _ in window],
        ).fetchall()
        by_id = {r[0]: r for r in rows}
        return [summary_of(by_id[i], depth) for i, depth in window if i in by_id]

    def _stamp(self) -> tuple[int, int]:
        """Changes when anyone (this connection or another) commits."""
        version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        return version, self._conn.total_changes

    def _ordered_ids(self, view: View) -> list[tuple[int, int]]:
        """(id, depth) of the whole view in order; cached until the database changes."""
        stamp = self._stamp()
        cached = self._id_lists.get(view)
        if cached and cached[0] == stamp:
            return cached[1]
        where, params = self._view_where(view)
        if view.threaded:
            order = self.thread_order(view)
            ids = list(zip(order.ids, order.depths, strict=True))
        else:
            desc, asc = _ORDER[view.sort]
            order = desc if view.descending else asc
            rows = self._conn.execute(
                f"SELECT m.id FROM messages m WHERE {where} ORDER BY {order}", params
            )
            ids = [(r[0], 0) for r in rows]
        self._id_lists = {view: (stamp, ids)}
        return ids

    def thread_order(self, view: View) -> ThreadOrder:
        """The whole threaded view in order (one scan of the view's ids, thread ids and
        parents). Threads by their newest message, or by their first message's sender or
        subject when the view sorts by those; inside a thread, depth-first by date. At 100k
        messages this takes a noticeable moment: the UI calls it from a worker."""
        where, params = self._view_where(view)
        sort_column = {SortBy.DATE: "NULL", SortBy.SENDER: "m.sender_sort",
                       SortBy.SUBJECT: "m.subject_sort"}[view.sort]
        rows = self._conn.execute(
            f"SELECT m.id, m.thread_id, m.parent_id, {sort_column} FROM messages m"
            f" WHERE {where} ORDER BY m.id",
            params,
        ).fetchall()
        present = {r[0] for r in rows}
        children: dict[int, list[int]] = defaultdict(list)
        roots: dict[int, list[int]] = defaultdict(list)
        newest: dict[int, int] = {}
        first_key: dict[int, str] = {}
        for mid, thread, parent, key in rows:
            newest[thread] = mid
            if thread not in first_key:
                first_key[thread] = key or ""
            if parent is not None and parent in present and parent != mid:
                children[parent].append(mid)
            else:
                roots[thread].append(mid)
        if view.sort is SortBy.DATE:
            threads = sorted(newest, key=newest.__getitem__, reverse=view.descending)
        else:
            threads = sorted(newest, key=lambda t: (first_key[t], -newest[t]),
                             reverse=view.descending)
        ids: list[int] = []
        depths: list[int] = []
        starts: list[int] = []
        for thread in threads:
            starts.append(len(ids))
            stack = [(mid, 0) for mid in reversed(roots[thread])]
            seen: set[int] = set()
            while stack:
                mid, depth = stack.pop()
                if mid in seen:
                    continue
                seen.add(mid)
                ids.append(mid)
                depths.append(depth)
                kids = children.get(mid)
                if kids:
                    stack.extend((c, depth + 1) for c in reversed(kids))
        return ThreadOrder(ids, depths, starts)

    def unread_among(self, ids: Sequence[int]) -> set[int]:
        """Which of these messages are unread."""
        from tui_mail.model import Flags

        seen = Flags(seen=True).to_bits()
        unread: set[int] = set()
        for chunk_start in range(0, len(ids), 500):
            chunk = ids[chunk_start:chunk_start + 500]
            marks = ",".join("?" * len(chunk))
            unread.update(r[0] for r in self._conn.execute(
                f"SELECT id FROM messages WHERE id IN ({marks}) AND flags & ? = 0",
                [*chunk, seen]))
        return unread

    def summaries(self, ids: Sequence[int]) -> dict[int, MessageSummary]:
        """The summaries of these messages, by id (ids no longer cached are left out)."""

        found: dict[int, MessageSummary] = {}
        for chunk_start in range(0, len(ids), 500):
            chunk = ids[chunk_start:chunk_start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._conn.execute(
                    f"SELECT {SUMMARY_COLUMNS} FROM {SUMMARY_FROM} WHERE m.id IN ({marks})",
                    list(chunk)):
                found[row[0]] = summary_of(row)
        return found

    def ids_with_message_id(self, account: str, message_id: str) -> list[int]:
        """The account's cached rows whose Message-ID is `message_id` (written "<id>"), in
        every folder, oldest first: e.g. the message one has just answered, to mark it."""
        if not message_id:
            return []
        rows = self._conn.execute(
            "SELECT m.id FROM messages m JOIN accounts a ON a.id = m.account_id"
            " WHERE a.name = ? AND m.message_id = ? ORDER BY m.id",
            (account, message_id),
        )
        return [r[0] for r in rows]

    # ---- search ----------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        account: str | None = None,
        folder: str | None = None,
        role: FolderRole | None = None,
        limit: int = 50,
        before_key: int | None = None,
    ) -> list[MessageSummary]:
        """Messages matching `query` (see query.py) in the account, folder or folders of a
        role given (all inboxes, say), newest first.

        Page on with `before_key=<id of the last result>`. Raises QueryError for a malformed
        query, never an SQL error.
        """
        from tui_mail.store.query import compile_query

        q = compile_query(query)
        filters = list(q.filters)
        params = list(q.filter_params)
        if account is not None:
            filters.append("a.name = ?")
            params.append(account)
        if folder is not None:
            filters.append("f.name = ?")
            params.append(folder)
        if role is not None:
            filters.append("f.role = ?")
            params.append(str(role))
        low, high = q.id_low, q.id_high
        if before_key is not None:
            high = before_key if high is None else min(high, before_key)
        if limit <= 0 or (low is not None and high is not None and low >= high):
            return []
        search = _Search(filters, params, low, high, q.match)
        try:
            rows = self._search_rows(search, limit)
        except sqlite3.OperationalError as exc:
            # Every term is quoted, so an FTS error means a case the parser missed.
            if q.match is not None or any(w in str(exc) for w in ("fts5", "syntax", "string")):
                raise QueryError(f"cannot search for {query!r}: {exc}") from exc
            raise
        return [summary_of(r) for r in rows]

    def _search_rows(self, s: _Search, limit: int) -> list[tuple]:
        """Summary rows of the newest `limit` messages of `s`.

        The candidates are walked newest first: the FTS hits (FTS5 walks its index in rowid
        order, which is date order, within the rowid range of the date filters), or without
        text the messages by id. With no other filter that is one `LIMIT` query. Otherwise the
        candidates are checked against the filters a chunk at a time, so the cost follows the
        page, not the number of matches. When the filters reject most candidates (WALK_BUDGET
        seen and the page still not full), the rest is left to SQLite as one query, which
        reads every remaining match but can use the message indexes (a small folder, say).
        """
        if s.match is not None:
            hits_sql = "SELECT rowid FROM fts WHERE fts MATCH ?" + "".join(
                f" AND {c}" for c in _range_sql(s.low, s.high, "rowid")
            )
            hits_params: list[object] = [s.match, *_range_params(s.low, s.high)]
            order = " ORDER BY rowid DESC"
        else:
            where = " AND ".join(_range_sql(s.low, s.high, "id")) or "1"
            hits_sql = f"SELECT id FROM messages WHERE {where}"
            hits_params = list(_range_params(s.low, s.high))
            order = " ORDER BY id DESC"
        if not s.filters:
            ids = [
                r[0]
                for r in self._conn.execute(hits_sql + order + " LIMIT ?", (*hits_params, limit))
            ]
            return self._filtered(ids, [], [], limit)
        rows: list[tuple] = []
        seen = 0
        chunk = WALK_FIRST_CHUNK
        ids: list[int] = []
        hits = self._conn.execute(hits_sql + order, hits_params)
        try:
            while len(rows) < limit:
                ids = [r[0] for r in hits.fetchmany(chunk)]
                if not ids:
                    return rows
                rows += self._filtered(ids, s.filters, s.params, limit - len(rows))
                seen += len(ids)
                if len(ids) < chunk or len(rows) >= limit:
                    return rows
                if seen >= WALK_BUDGET:
                    break
                chunk = min(chunk * 4, WALK_MAX_CHUNK)
        finally:
            hits.close()
        return rows + self._rest_by_sqlite(s, ids[-1], limit - len(rows))

    def _rest_by_sqlite(self, s: _Search, below: int, limit: int) -> list[tuple]:
        """The newest `limit` rows of `s` with id < below, in whatever plan SQLite picks."""

        where = list(s.filters)
        params = list(s.params)
        if s.match is not None:
            bound = "".join(f" AND {c}" for c in _range_sql(s.low, below, "rowid"))
            where.insert(0, f"m.id IN (SELECT rowid FROM fts WHERE fts MATCH ?{bound})")
            params[:0] = [s.match, *_range_params(s.low, below)]
        else:
            where += _range_sql(s.low, below, "m.id")
            params += _range_params(s.low, below)
        return self._conn.execute(
            f"SELECT {SUMMARY_COLUMNS} FROM {SUMMARY_FROM} WHERE {' AND '.join(where)}"
            " ORDER BY m.id DESC LIMIT ?",
            (*params, limit),
        ).fetchall()

    def _filtered(
        self, ids: list[int], filters: list[str], params: list[object], limit: int
    ) -> list[tuple]:
        """Summary rows of those of `ids` that pass `filters`, newest first.

        The ids are looked up by rowid (NOT INDEXED): left to itself, with a filter on the
        account or folder the planner scanned that account's index testing every row against
        the list, 30 ms instead of 1 at 100k messages.
        """

        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        where = " AND ".join([f"m.id IN ({marks})", *filters])
        return self._conn.execute(
            f"SELECT {SUMMARY_COLUMNS} FROM messages m NOT INDEXED {SUMMARY_JOINS} WHERE {where}"
            " ORDER BY m.id DESC LIMIT ?",
            (*ids, *params, limit),
        ).fetchall()

    # ---- addresses -------------------------------------------------------------------

    def addresses(self, prefix: str, limit: int = 10) -> list[Address]:
        """Senders seen in the cache whose address or name starts with `prefix`,
        most frequent (then most recent) first."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._conn.execute(
            "SELECT from_name, from_email FROM messages"
            " WHERE from_email != '' AND (from_email LIKE ? ESCAPE '\\' OR from_name LIKE ?"
            " ESCAPE '\\') GROUP BY lower(from_email) ORDER BY count(*) DESC, max(id) DESC"
            " LIMIT ?",
            (pattern, pattern, limit),
        ).fetchall()
        return [Address(name, email) for name, email in rows]


@dataclass(frozen=True)
class _Search:
    """A compiled search: conditions over `messages m`, the id range, the FTS expression."""

    filters: list[str]
    params: list[object]
    low: int | None  # low <= id < high; None = open
    high: int | None
    match: str | None


def _range_sql(low: int | None, high: int | None, column: str) -> list[str]:
    """Conditions for low <= column < high (None = open)."""
    return ([f"{column} >= ?"] if low is not None else []) + (
        [f"{column} < ?"] if high is not None else []
    )


def _range_params(low: int | None, high: int | None) -> list[int]:
    return [b for b in (low, high) if b is not None]


def inbox_view(account: str | None = None) -> View:
    """Every inbox (of one account, or all accounts)."""
    return View.role(FolderRole.INBOX, account)
