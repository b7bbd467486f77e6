"""Reading for the UI: message lists by position, threads, search, address completion.

Rows by position without `OFFSET n` per line: a window near either end of the list is read
by `LIMIT` on an index walked in one direction or the other; anywhere else, the ordered id list
of the view is loaded once (a covering-index scan) and kept until the database changes, and
the window's summaries are fetched by id.

Search walks candidates newest first and stops when the page is full (see `_search_rows`).
On a Gmail account a message is cached once per label (folder) it carries, All Mail included:
a search beyond one folder shows it once (see `_Copies`).
"""

from __future__ import annotations

import sqlite3
from array import array
from collections import defaultdict, namedtuple
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from tui_mail.errors import QueryError
from tui_mail.model import Address, FolderRole, MessageSummary
from tui_mail.store.rows import SUMMARY_COLUMNS, SUMMARY_FROM, SUMMARY_JOINS, summary_of
from tui_mail.store.types import SortBy, ThreadOrder, View

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (`search` needs none)
if TYPE_CHECKING:
    from tui_mail.store.query import Query

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


# (collections.namedtuple rather than typing.NamedTuple: `tui-mail search` imports no typing)
class OrderedIds(namedtuple("OrderedIds", "ids depths")):
    """A whole view in order: its message ids (`ids`, Sequence[int]), and each row's depth in
    its thread (`depths`, Sequence[int], None for a flat view, all 0). The ids are an array of
    8-byte integers: a list of Python ints (or of (id, depth) tuples, as it was) took 36 (100)
    bytes a row, 100 MB at a million."""

    __slots__ = ()


class Listing:
    """The cache's reads for lists and search (`Store.listing`): only reads, so the interface's
    read-only store has all of them. It keeps the last view's ordered ids and the index names
    between calls, on the store's connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._id_lists: dict[View, tuple[tuple[int, int], OrderedIds]] = {}
        self._index_names: frozenset[str] | None = None

    def _indexes(self) -> frozenset[str]:
        """The cache's index names, read once: a read-only open does not migrate, so a cache
        older than schema 7 lacks the partial indexes a search would name (INDEXED BY an index
        that does not exist is an error; without the hint the search only walks further)."""
        if self._index_names is None:
            self._index_names = frozenset(name for (name,) in self._conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index'"))
        return self._index_names

    # ---- views -----------------------------------------------------------------------

    def _view_where(self, view: View) -> tuple[str, list[object]]:
        if view.folder_id is not None:
            return "m.folder_id = ?", [view.folder_id]
        conds: list[str] = []
        params: list[object] = []
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
        order = self._ordered_ids(view)
        window = list(order.ids[start : start + limit])
        if not window:
            return []
        depths = order.depths[start : start + limit] if order.depths else [0] * len(window)
        marks = ",".join("?" * len(window))
        rows = self._conn.execute(
            f"SELECT {SUMMARY_COLUMNS} FROM {SUMMARY_FROM} WHERE m.id IN ({marks})", window,
        ).fetchall()
        by_id = {r[0]: r for r in rows}
        return [summary_of(by_id[i], depth) for i, depth in zip(window, depths, strict=True)
                if i in by_id]

    def _stamp(self) -> tuple[int, int]:
        """Changes when anyone (this connection or another) commits."""
        version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        return version, self._conn.total_changes

    def _ordered_ids(self, view: View) -> OrderedIds:
        """The whole view in order; cached until the database changes."""
        stamp = self._stamp()
        cached = self._id_lists.get(view)
        if cached and cached[0] == stamp:
            return cached[1]
        where, params = self._view_where(view)
        if view.threaded:
            threads = self.thread_order(view)
            order = OrderedIds(threads.ids, threads.depths)
        else:
            desc, asc = _ORDER[view.sort]
            rows = self._conn.execute(
                f"SELECT m.id FROM messages m WHERE {where}"
                f" ORDER BY {desc if view.descending else asc}", params)
            ids = array("q")
            while chunk := rows.fetchmany(10_000):
                ids.extend(r[0] for r in chunk)
            order = OrderedIds(ids, None)
        self._id_lists = {view: (stamp, order)}
        return order

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

    def unread_ids(self, view: View) -> list[int]:
        """Every unread message of the view (a folder, or all inboxes), newest first: what
        "mark the folder read" changes, however many there are beyond the rows shown."""
        from tui_mail.model import Flags

        where, params = self._view_where(view)
        rows = self._conn.execute(
            f"SELECT m.id FROM messages m WHERE {where} AND m.flags & ? = 0 ORDER BY m.id DESC",
            [*params, Flags(seen=True).to_bits()])
        return [r[0] for r in rows]

    def thread_members(self, message_id: int) -> list[int]:
        """The messages of the thread `message_id` belongs to, in its folder, oldest first
        (itself alone when it has no thread id: a cache from before threads)."""
        rows = self._conn.execute(
            "SELECT m.id FROM messages m JOIN messages me ON me.id = ?"
            " WHERE m.folder_id = me.folder_id"
            " AND (m.thread_id = me.thread_id AND me.thread_id != 0 OR m.id = me.id)"
            " ORDER BY m.id", (message_id,))
        return [r[0] for r in rows]

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
        query: str | Query,
        *,
        account: str | None = None,
        folder: str | None = None,
        role: FolderRole | None = None,
        limit: int = 50,
        before_key: int | None = None,
    ) -> list[MessageSummary]:
        """Messages matching `query` (see query.py) in the account, folder or folders of a
        role given (all inboxes, say), newest first.

        Page on with `before_key=<id of the last result>`. `query` is the text, or the `Query`
        read from it once (the search screen's: it pages, highlights and places the search
        with the same one). Raises QueryError for a malformed query, never an SQL error.
        """
        if isinstance(query, str):
            from tui_mail.store.query import read_query

            query = read_query(query)
        q = query.compiled
        filters = list(q.filters)
        params = list(q.filter_params)
        scope = self._scope_sql(account, folder, role)
        if scope is not None:
            if not scope[1]:
                return []  # no such folder or account
            filters.append(scope[0])
            params += scope[1]
        low, high = q.id_low, q.id_high
        if before_key is not None:
            high = before_key if high is None else min(high, before_key)
        if limit <= 0 or (low is not None and high is not None and low >= high):
            return []
        rare_index = q.rare_index if q.rare_index in self._indexes() else None
        search = _Search(filters, params, low, high, q.match, q.id_high, rare_index)
        # One folder (or the inboxes, one per account) holds no copies of a message.
        copies = self._copies(account, search) if folder is None and role is None else None
        try:
            rows = self._search_rows(search, limit, copies)
        except sqlite3.OperationalError as exc:
            # Every term is quoted, so an FTS error means a case the parser missed.
            if q.match is not None or any(w in str(exc) for w in ("fts5", "syntax", "string")):
                raise QueryError(f"cannot search for {query.text!r}: {exc}") from exc
            raise
        return [summary_of(r) for r in rows]

    def unread_count(self, query: str) -> int:
        """How many unread messages `query` finds in every account: the count a saved search
        shows in the folder pane. A Gmail message kept under several labels counts once, as
        the search lists it once (its copies share the read flag). Raises QueryError for a
        malformed query."""
        from tui_mail.store.query import compile_query

        q = compile_query(query)
        where = ["(m.flags & 1) = 0", *q.where]  # the partial index messages_unread's term
        params = list(q.params)
        if q.match is not None:
            where.insert(0, "m.id IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
            params.insert(0, q.match)
        condition = " AND ".join(where)
        try:
            (count,) = self._conn.execute(
                f"SELECT count(*) FROM {SUMMARY_FROM} WHERE a.gmail = 0 AND {condition}",
                params).fetchone()
            gmail = {(account, gm_msgid if gm_msgid is not None else message_id or f"#{id_}")
                     for id_, account, message_id, gm_msgid in self._conn.execute(
                         f"SELECT m.id, m.account_id, m.message_id, m.gm_msgid FROM {SUMMARY_FROM}"
                         f" WHERE a.gmail = 1 AND {condition}", params)}
        except sqlite3.OperationalError as exc:
            if q.match is not None or any(w in str(exc) for w in ("fts5", "syntax", "string")):
                raise QueryError(f"cannot search for {query!r}: {exc}") from exc
            raise
        return int(count) + len(gmail)

    def _search_rows(self, s: _Search, limit: int, copies: _Copies | None = None) -> list[tuple]:
        """Summary rows of the newest `limit` messages of `s`.

        The candidates are walked newest first: the FTS hits (FTS5 walks its index in rowid
        order, which is date order, within the rowid range of the date filters), or without
        text the messages by id. With no other filter that is one `LIMIT` query. Otherwise the
        candidates are checked against the filters a chunk at a time, so the cost follows the
        page, not the number of matches. When the filters reject most candidates (WALK_BUDGET
        seen and the page still not full), the rest is left to SQLite as one query, which
        reads every remaining match but can use the message indexes (a small folder, say).
        With `copies` (Gmail accounts in the search), the rows that are another label's copy
        of a message shown are left out as the walk goes (`_Copies.unique`).

        A filter few messages pass (`is:flagged`, see query.RARE_INDEXES) has a partial
        index, which SQLite is made to walk: a search without text walks it from the start
        (its cost follows the flagged messages of the scope, so one that finds none costs
        nothing), one with text once the walk of the hits is over budget, the text then asked
        of FTS for each message of the index (SQLite's own plan read every hit of the word:
        0.2 s at 100k messages for `the is:flagged`; asking FTS message by message costs about
        0.1 ms each, which the hits' walk spares when the word is rare or the flag common).
        """
        if s.match is None and s.rare_index is not None:
            return self._rest(s, s.high, limit, copies)
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
        ids: list[int] = []
        if not s.filters and copies is None:
            ids = [
                r[0]
                for r in self._conn.execute(hits_sql + order + " LIMIT ?", (*hits_params, limit))
            ]
            return self._filtered(ids, [], [], limit)
        rows: list[tuple] = []
        seen = 0
        chunk = WALK_FIRST_CHUNK
        hits = self._conn.execute(hits_sql + order, hits_params)
        try:
            while len(rows) < limit:
                ids = [r[0] for r in hits.fetchmany(chunk)]
                if not ids:
                    return rows
                if copies is None:
                    rows += self._filtered(ids, s.filters, s.params, limit - len(rows))
                else:
                    rows += self._unique_rows(ids, s, copies, limit - len(rows))
                seen += len(ids)
                if len(ids) < chunk or len(rows) >= limit:
                    return rows
                if seen >= WALK_BUDGET:
                    break
                chunk = min(chunk * 4, WALK_MAX_CHUNK)
        finally:
            hits.close()
        return rows + self._rest(s, ids[-1], limit - len(rows), copies)

    def _scope_sql(self, account: str | None, folder: str | None,
                   role: FolderRole | None) -> tuple[str, list[object]] | None:
        """Where a search looks (an account, a folder, the folders of a role) as a condition
        on the message's folder id, which the (folder_id, ...) indexes serve: a condition on
        the account's name had SQLite read the account's rows by another index and sort them.
        One folder is `folder_id = ?`, so that an index walks it in id order and stops at the
        page. None for everywhere (and no folder ids for nowhere)."""
        conds: list[str] = []
        params: list[object] = []
        for sql, value in (("a.name = ?", account), ("f.name = ?", folder),
                           ("f.role = ?", None if role is None else str(role))):
            if value is not None:
                conds.append(sql)
                params.append(value)
        if not conds:
            return None
        ids = [r[0] for r in self._conn.execute(
            "SELECT f.id FROM folders f JOIN accounts a ON a.id = f.account_id"
            f" WHERE {' AND '.join(conds)}", params)]
        if len(ids) == 1:
            return "m.folder_id = ?", ids
        return f"m.folder_id IN ({','.join('?' * len(ids))})", list(ids)

    def _rest(self, s: _Search, below: int | None, limit: int,
              copies: _Copies | None) -> list[tuple]:
        """The newest `limit` rows of `s` below id `below` (None: all), by SQLite."""
        rows: list[tuple] = []
        while len(rows) < limit:
            wanted = limit - len(rows)
            rest = self._rest_by_sqlite(s, below, wanted)
            rows += rest if copies is None else copies.unique(rest)
            if len(rest) < wanted:
                break
            below = rest[-1][0]
        return rows

    def _unique_rows(self, ids: list[int], s: _Search, copies: _Copies,
                     limit: int) -> list[tuple]:
        """Like `_filtered`, the copies left out: read what is missing, again until the page
        is full or the chunk ends, so a chunk of 1,600 candidates costs about what the rows
        kept cost, not what all of them would (reading twice what was missing, for the copies
        to come, cost more: 7 ms instead of 6 for 100 rows)."""
        rows: list[tuple] = []
        walked = set(ids)  # candidates: they match the text (if any) of the search
        while ids and len(rows) < limit:
            wanted = limit - len(rows)
            found = self._filtered(ids, s.filters, s.params, wanted)
            rows += copies.unique(found, walked)
            if len(found) < wanted:
                break
            last = found[-1][0]
            ids = [i for i in ids if i < last]
        return rows

    def _rest_by_sqlite(self, s: _Search, below: int | None, limit: int) -> list[tuple]:
        """The newest `limit` rows of `s` with id < below, in whatever plan SQLite picks, but
        through the partial index of a rare filter when there is one: without statistics the
        planner took the attachments' index as readily as the flagged one (empty, usually),
        or the whole table walked by id."""

        where = list(s.filters)
        params = list(s.params)
        if s.match is not None and s.rare_index is not None:
            where.insert(0, "EXISTS (SELECT 1 FROM fts WHERE fts MATCH ? AND rowid = m.id)")
            params.insert(0, s.match)
            where += _range_sql(s.low, below, "m.id")
            params += _range_params(s.low, below)
        elif s.match is not None:
            bound = "".join(f" AND {c}" for c in _range_sql(s.low, below, "rowid"))
            where.insert(0, f"m.id IN (SELECT rowid FROM fts WHERE fts MATCH ?{bound})")
            params[:0] = [s.match, *_range_params(s.low, below)]
        else:
            where += _range_sql(s.low, below, "m.id")
            params += _range_params(s.low, below)
        source = f"messages m INDEXED BY {s.rare_index}" if s.rare_index else "messages m"
        return self._conn.execute(
            f"SELECT {SUMMARY_COLUMNS} FROM {source} {SUMMARY_JOINS}"
            f" WHERE {' AND '.join(where) or '1'} ORDER BY m.id DESC LIMIT ?",
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

    def _copies(self, account: str | None, search: _Search) -> _Copies | None:
        """What finds the copies of a message among the Gmail accounts searched (`account`,
        or every account); None when none of them is Gmail (nothing to look for)."""
        sql = "SELECT id FROM accounts WHERE gmail = 1"
        params: tuple[object, ...] = ()
        if account is not None:
            sql += " AND name = ?"
            params = (account,)
        gmail = {r[0] for r in self._conn.execute(sql, params)}
        return _Copies(self._conn, gmail, search) if gmail else None

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
    """A compiled search: conditions over `messages m`, the id range, the FTS expression.

    `high` includes the page's bound (`before_key`); `date_high` is the query's own (its date
    filters), which is what a copy shown on an earlier page was matched against."""

    filters: list[str]
    params: list[object]
    low: int | None  # low <= id < high; None = open
    high: int | None
    match: str | None
    date_high: int | None = None
    rare_index: str | None = None  # query.CompiledQuery.rare_index


# Which copy of a Gmail message a search shows: one in Trash or Spam first (Gmail takes a
# message there out of every other label, so a copy elsewhere is one the cache has not seen
# leave yet), then the inbox, then another label (Sent, a user's label), All Mail last.
_COPY_RANK = {"trash": 0, "junk": 0, "inbox": 1, "archive": 3}
_OTHER_LABEL = 2


class _Row(namedtuple("_Row", "id account message_id gm_msgid rank")):
    """What tells whether two rows are one Gmail message, and which of them is shown (a
    named tuple: thousands are made per page of 500, a frozen dataclass cost twice the time).
    id, account (its row id), rank: int; message_id: str; gm_msgid: int | None."""

    __slots__ = ()

    def same_message(self, other: _Row) -> bool:
        """X-GM-MSGID when both have it, else the Message-ID."""
        if self.account != other.account:
            return False
        if self.gm_msgid is not None and other.gm_msgid is not None:
            return self.gm_msgid == other.gm_msgid
        return bool(self.message_id) and self.message_id == other.message_id

    def lookups(self) -> list[tuple[int, object]]:
        """What its copies are looked up by: (account, Message-ID), (account, X-GM-MSGID)."""
        keys: list[tuple[int, object]] = []
        if self.message_id:
            keys.append((self.account, self.message_id))
        if self.gm_msgid is not None:
            keys.append((self.account, self.gm_msgid))
        return keys

    def shown_before(self, other: _Row) -> bool:
        """Whether this copy is the one shown rather than `other` (then the newer row)."""
        return (self.rank, -self.id) < (other.rank, -other.id)


_ROW_COLUMNS = ("m.id, m.account_id, m.message_id, m.gm_msgid, f.role"
                " FROM messages m JOIN folders f ON f.id = m.folder_id")


class _Copies:
    """Leaves out of a search's rows the copies of one Gmail message in its other labels.

    A row is shown unless another copy of its message (same account, same X-GM-MSGID, or
    same Message-ID when one of them has no X-GM-MSGID) ranks before it
    (`_COPY_RANK`) and matches the search too. That depends on the row alone, never on the
    page it falls on, so paging with `before_key` neither repeats nor loses a message. The
    cost is a few indexed queries per batch of rows with rows of a Gmail account in it (the
    copies looked up by Message-ID and X-GM-MSGID, then those that rank before a row checked
    against the search); rows of other accounts cost nothing. At 100k messages with half of
    them in two folders a page of 50 took 4-9 ms instead of 1.5-6 (benchmarks/gmail.py).
    """

    def __init__(self, conn: sqlite3.Connection, gmail_accounts: set[int],
                 search: _Search) -> None:
        self._conn = conn
        self._gmail = gmail_accounts
        self._search = search

    def unique(self, rows: list[tuple], walked: Collection[int] = ()) -> list[tuple]:
        """`rows` (summary rows, newest first) without the copies shown elsewhere; `walked`
        are ids known to match the search's text (the FTS hits being walked)."""
        if not rows:
            return rows
        mine = [r for r in self._rows([row[0] for row in rows]) if r.account in self._gmail]
        if not mine:
            return rows
        by_key: dict[tuple[int, object], list[_Row]] = {}
        for copy in self._copies_of(mine):
            for key in copy.lookups():
                by_key.setdefault(key, []).append(copy)
        better: dict[int, list[int]] = {}  # row id -> the copies shown before it
        for row in mine:
            ahead = {c.id for key in row.lookups() for c in by_key.get(key, ())
                     if c.id != row.id and row.same_message(c) and c.shown_before(row)}
            if ahead:
                better[row.id] = sorted(ahead)
        if not better:
            return rows
        matching = self._matching(sorted({c for ids in better.values() for c in ids}), walked)
        hidden = {row for row, ahead in better.items() if any(c in matching for c in ahead)}
        return [row for row in rows if row[0] not in hidden]

    def _rows(self, ids: Sequence[int]) -> list[_Row]:
        out: list[_Row] = []
        for start in range(0, len(ids), 500):
            chunk = list(ids[start:start + 500])
            marks = ",".join("?" * len(chunk))
            out += [_row(r) for r in self._conn.execute(
                f"SELECT {_ROW_COLUMNS} WHERE m.id IN ({marks})", chunk)]
        return out

    def _copies_of(self, rows: list[_Row]) -> list[_Row]:
        """Every cached row of these rows' accounts with one of their Message-IDs or
        X-GM-MSGIDs (the rows themselves included), by the (account, ...) indexes."""
        found: dict[int, _Row] = {}
        for account in {r.account for r in rows}:
            keys = (("message_id", sorted({r.message_id for r in rows
                                           if r.account == account and r.message_id})),
                    ("gm_msgid", sorted({r.gm_msgid for r in rows
                                         if r.account == account and r.gm_msgid is not None})))
            for column, values in keys:
                for start in range(0, len(values), 500):
                    chunk = values[start:start + 500]
                    marks = ",".join("?" * len(chunk))
                    for r in self._conn.execute(
                            f"SELECT {_ROW_COLUMNS} WHERE m.account_id = ?"
                            f" AND m.{column} IN ({marks})", (account, *chunk)):
                        found[r[0]] = _row(r)
        return list(found.values())

    def _matching(self, ids: list[int], walked: Collection[int]) -> set[int]:
        """Those of `ids` the search matches (its text, filters and own date range; not the
        page's bound: a copy shown on an earlier page counts). The text is matched by one FTS
        walk over the rowid range the ids not `walked` span (a copy has its message's date, so
        that is about the page's range); asked row by row, FTS5 ran the whole query for each."""
        s = self._search
        where = list(s.filters) + _range_sql(s.low, s.date_high, "m.id")
        found = set(ids)
        if where:
            params = list(s.params) + _range_params(s.low, s.date_high)
            found = set()
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                found.update(r[0] for r in self._conn.execute(
                    f"SELECT m.id FROM messages m NOT INDEXED {SUMMARY_JOINS}"
                    f" WHERE {' AND '.join([f'm.id IN ({marks})', *where])}",
                    (*chunk, *params)))
        unknown = found.difference(walked)
        if s.match is not None and unknown:
            found -= unknown - {r[0] for r in self._conn.execute(
                "SELECT rowid FROM fts WHERE fts MATCH ? AND rowid >= ? AND rowid <= ?",
                (s.match, min(unknown), max(unknown)))}
        return found


def _row(r: tuple) -> _Row:
    return _Row(r[0], r[1], r[2], r[3], _COPY_RANK.get(r[4], _OTHER_LABEL))


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
