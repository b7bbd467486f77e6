"""Reading for the UI: message lists by position, threads, search, address completion.

Rows by position without `OFFSET n` per line: a window near either end of the list is read
by `LIMIT` on an index walked in one direction or the other; anywhere else, the ordered id list
of the view is loaded once (a covering-index scan) and kept until the database changes, and
the window's summaries are fetched by id.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict

from tui_mail.errors import QueryError
from tui_mail.model import Address, FolderRole, MessageSummary
from tui_mail.store.query import compile_query
from tui_mail.store.types import SortBy, View

END_WINDOW = 200  # positions this close to an end are read with LIMIT on the index

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
        from tui_mail.store.db import SUMMARY_COLUMNS, SUMMARY_FROM, summary_of

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
            ids = self._threaded_ids(where, params, view.descending)
        else:
            desc, asc = _ORDER[view.sort]
            order = desc if view.descending else asc
            rows = self._conn.execute(
                f"SELECT m.id FROM messages m WHERE {where} ORDER BY {order}", params
            )
            ids = [(r[0], 0) for r in rows]
        self._id_lists = {view: (stamp, ids)}
        return ids

    def _threaded_ids(
        self, where: str, params: list[object], newest_first: bool
    ) -> list[tuple[int, int]]:
        """Threads ordered by their newest message; inside a thread, depth-first by date."""
        rows = self._conn.execute(
            f"SELECT m.id, m.thread_id, m.parent_id FROM messages m WHERE {where} ORDER BY m.id",
            params,
        ).fetchall()
        present = {r[0] for r in rows}
        children: dict[int, list[int]] = defaultdict(list)
        roots: dict[int, list[int]] = defaultdict(list)
        newest: dict[int, int] = {}
        for mid, thread, parent in rows:
            newest[thread] = mid
            if parent is not None and parent in present and parent != mid:
                children[parent].append(mid)
            else:
                roots[thread].append(mid)
        out: list[tuple[int, int]] = []
        for thread in sorted(newest, key=newest.__getitem__, reverse=newest_first):
            stack = [(mid, 0) for mid in reversed(roots[thread])]
            seen: set[int] = set()
            while stack:
                mid, depth = stack.pop()
                if mid in seen:
                    continue
                seen.add(mid)
                out.append((mid, depth))
                stack.extend((c, depth + 1) for c in reversed(children.get(mid, ())))
        return out

    # ---- search ----------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        account: str | None = None,
        folder: str | None = None,
        limit: int = 50,
        before_key: int | None = None,
    ) -> list[MessageSummary]:
        """Messages matching `query` (see query.py), newest first.

        Page on with `before_key=<id of the last result>`. Raises QueryError for a malformed
        query, never an SQL error.
        """
        from tui_mail.store.db import SUMMARY_COLUMNS, SUMMARY_FROM, summary_of

        q = compile_query(query)
        where = list(q.where)
        params = list(q.params)
        if account is not None:
            where.append("a.name = ?")
            params.append(account)
        if folder is not None:
            where.append("f.name = ?")
            params.append(folder)
        if before_key is not None:
            where.append("m.id < ?")
            params.append(before_key)
        if q.match is not None and len(where) == 0 + (before_key is not None):
            # Text only: FTS5 walks its index newest first and stops at `limit` (DESIGN.md).
            bound = " AND rowid < ?" if before_key is not None else ""
            extra = [before_key] if before_key is not None else []
            try:
                ids = [
                    r[0]
                    for r in self._conn.execute(
                        f"SELECT rowid FROM fts WHERE fts MATCH ?{bound} ORDER BY rowid DESC LIMIT ?",
                        (q.match, *extra, limit),
                    )
                ]
            except sqlite3.OperationalError as exc:
                raise QueryError(f"cannot search for {query!r}: {exc}") from exc
            marks = ",".join("?" * len(ids))
            rows = self._conn.execute(
                f"SELECT {SUMMARY_COLUMNS} FROM {SUMMARY_FROM} WHERE m.id IN ({marks})"
                " ORDER BY m.id DESC",
                ids,
            ).fetchall()
            return [summary_of(r) for r in rows]
        if q.match is not None:
            bound = " AND rowid < ?" if before_key is not None else ""
            where.insert(0, f"m.id IN (SELECT rowid FROM fts WHERE fts MATCH ?{bound})")
            params[:0] = [q.match, *([before_key] if before_key is not None else [])]
        sql = (
            f"SELECT {SUMMARY_COLUMNS} FROM {SUMMARY_FROM} WHERE {' AND '.join(where) or '1'}"
            " ORDER BY m.id DESC LIMIT ?"
        )
        try:
            rows = self._conn.execute(sql, (*params, limit)).fetchall()
        except sqlite3.OperationalError as exc:
            # Last resort: every term is quoted, so this means a case the parser missed.
            if "fts5" in str(exc) or "syntax" in str(exc) or "string" in str(exc):
                raise QueryError(f"cannot search for {query!r}: {exc}") from exc
            raise
        return [summary_of(r) for r in rows]

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


def inbox_view(account: str | None = None) -> View:
    """Every inbox (of one account, or all accounts)."""
    return View.role(FolderRole.INBOX, account)
