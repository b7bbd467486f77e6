"""The SQLite cache: `Store.open(path)` and the methods every other layer calls.

Connections: SQLite in WAL mode, one writer and any number of readers. The sync side owns
the writer `Store`; the UI opens its own `Store.open(path, readonly=True)` (reads never wait
for the writer in WAL mode). A `Store` may be created in one thread and used in another, but
is never used by two threads at once. Every write is one short transaction (a batch of at
most `batch_size` messages), so a kill at any instant leaves a consistent cache.

Failures: every method raises a `CacheError` that a person can act on when the disk is full,
the file is damaged, empty, read-only or not a cache, the cache is locked, or its journal was
deleted under a writer (see `tui_mail.store.failures`); never a raw sqlite3 error for those.

API (account and folder are names; message ids are cache row ids, see schema.py):

folders
    ensure_folder(account, name, role=FolderRole.NONE, delimiter="/") -> Folder
    folders(account=None) -> list[Folder]          (with total/unread, kept by triggers)
    folder(account, name) -> Folder | None;  folder_by_id(id) -> Folder | None
    delete_folder(account, name);  reset_folder(account, name)   (drops its messages)
    apply_folder_list(account, listed, keep) -> FolderListChanges   (LIST is the truth)
    set_personal_namespace(account, prefix, delimiter)
    set_gmail(account, on);  is_gmail(account) -> bool   (Gmail: labels as folders)
    sync_state(account, name) -> FolderSyncState;  set_sync_state(account, name, state)
store.folder_edits: folders the user manages (folder_edits.py)
    personal_namespace(account) -> (prefix, delimiter);  subfolders(account, name)
    create_folder_local / rename_folder_local / restore_folder   (the queue's cache side)
    set_subscribed(account, name, on);  set_subscriptions(account, names)   (LSUB)
messages
    add_messages(account, folder, items: Iterable[NewMessage], batch_size=500) -> list[int]
    set_body(id, raw);  raw_message(id) -> bytes | None;  raw_headers(id) -> bytes | None
    set_bodies([(id, raw, BodyText), ...])   (text extracted by the caller; one transaction)
    update_flags(account, folder, {uid: Flags});  remove_uids(account, folder, uids)
    uid_flags(account, folder) -> dict[int, Flags]
    uids_without_body(account, folder, max_size) -> list[int]
    message_row(id) -> MessageSummary | None;  ids_for_uids(account, folder, uids) -> dict
    set_flags_local(ids, **changes);  move_local(ids, account, folder);  delete_local(ids)
store.listing: lists and search (listing.py)
    count(view) -> int;  page(view, start, limit) -> list[MessageSummary]
    search(query, *, account=None, folder=None, limit=50, before_key=None)
    addresses(prefix, limit=10) -> list[Address]
store.queues: outbox, action queue, POP3 state, drafts (queues.py)
    outbox_add / outbox_list / outbox_get / outbox_set_state / outbox_remove
    enqueue_action / pending_actions / actions / action_done / action_failed
    pop3_known_uidls / pop3_record / pop3_mark_deleted / pop3_forget
    save_draft / drafts / delete_draft
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import islice
from pathlib import Path

from tui_mail.errors import CacheError
from tui_mail.lazy_logging import get_logger
from tui_mail.mail.autocrypt import Peer
from tui_mail.model import (
    Address,
    Flags,
    Folder,
    FolderKind,
    FolderRole,
    FolderSyncState,
    MessageSummary,
    Sealing,
)
from tui_mail.store.autocrypt_peers import every_peer, note_gossip, note_messages, peer
from tui_mail.store.blobs import pack, pack_text, register, unpack
from tui_mail.store.failures import (
    CacheConnection,
    WalWatch,
    cache_error,
    check_before_open,
    wal_removed,
)
from tui_mail.store.folder_edits import FolderEdits
from tui_mail.store.keys import KEY_SCALE, allocate_key
from tui_mail.store.listing import Listing
from tui_mail.store.queues import Queues
from tui_mail.store.rows import SUMMARY_COLUMNS, SUMMARY_FROM, summary_of
from tui_mail.store.schema import migrate
from tui_mail.store.types import FolderListChanges, ListedFolder, NewMessage

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (`search` needs none)
if TYPE_CHECKING:
    from tui_mail.store.extract import BodyText
    from tui_mail.store.prepare import Prepared

logger = get_logger(__name__)  # logging is imported at the first record

_FOLDER_SELECT = ("SELECT f.id, a.name, f.name, f.role, f.delimiter, f.total, f.unread, f.kind,"
                  " f.prefix, f.subscribed FROM folders f")

SUBJECT_THREAD_DAYS = 60  # how far back a reply without references looks for its subject

BODY_NONE, BODY_HEADERS, BODY_FULL = 0, 1, 2
# "The body is not cached", word for word the condition of the partial index
# messages_body_missing (schema 8): SQLite uses a partial index only for that very text.
BODY_MISSING = "m.body_state != 2"

def _chunks(items: Iterable, size: int) -> Iterator[list]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


class Store:
    """The cache. Open with `Store.open(path)`; see the module docstring for the API.

    Its parts share its connection and its transactions: `listing` (lists and search),
    `queues` (outbox, action queue, POP3 state, drafts), `folder_edits` (folders the user
    makes, renames, deletes and subscribes to)."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._wal: WalWatch | None = None  # set for writers by open()
        self._broken: CacheError | None = None  # set when writing on would lose changes
        self._account_ids: dict[str, int] = {}
        self.listing = Listing(conn)
        self.queues = Queues(conn, self._tx)
        self.folder_edits = FolderEdits(conn, self._tx, self._account_id, self)

    # ---- opening ---------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, readonly: bool = False) -> Store:
        """Open (creating and migrating if needed) the cache at `path`.

        A path that does not exist yet becomes a new cache. Anything that exists but cannot be
        used (empty, damaged, not a cache, read-only for a writer, locked) is a CacheError
        saying what to do, never a fresh cache over the old one."""
        path = Path(path)
        try:
            # Only the user reads their mail: the folder made 0700, the cache and its WAL 0600
            # (SQLite gives the WAL and shared-memory files the cache file's mode).
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(
                f"cannot create the cache folder {path.parent}: {exc.strerror or exc}; check"
                " that its parent exists and is writable, or use --data-dir"
            ) from exc
        existed = check_before_open(path, readonly)
        if not readonly:
            _private(path, existed)
        try:
            conn = _connect(path, readonly)
        except CacheError:
            if not existed:
                _remove_if_empty(path)  # else the next start would find an empty cache file
            raise
        store = cls(conn, path)
        if not readonly:
            store._wal = WalWatch(path)
        return store

    def close(self) -> None:
        """Close the connection; a journal deleted under this writer is saved first."""
        if self._wal is not None and self._broken is None and self._wal.removed():
            self._save_deleted_journal()
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def traced(self) -> Iterator[list[str]]:
        """The SQL statements this store runs while inside, as SQLite traces them (bound
        values in place): to check the plan a query gets, or to see what a slow step does."""
        statements: list[str] = []
        self._conn.set_trace_callback(statements.append)
        try:
            yield statements
        finally:
            self._conn.set_trace_callback(None)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT).

        Whatever fails inside it or at COMMIT rolls it back, and the first error is raised:
        translated into a CacheError when the disk, the file or a lock is at fault. A failing
        ROLLBACK never hides it (after a full disk or an I/O error SQLite has often rolled
        back by itself, and ROLLBACK then fails with "no transaction is active")."""
        self._check_journal()
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")  # busy: a CacheError saying who holds the cache
        try:
            yield conn
        except sqlite3.Error as exc:
            self._rollback_quietly()
            error = cache_error(exc, self.path)
            if error is None:
                raise
            raise error from exc
        except BaseException:
            self._rollback_quietly()
            raise
        try:
            conn.execute("COMMIT")
        except CacheError:
            self._rollback_quietly()
            raise
        except sqlite3.Error as exc:
            self._rollback_quietly()
            raise CacheError(
                f"could not write the cache {self.path} ({exc}): nothing was changed; try"
                " again, and if it happens again move the cache aside and run `tui-mail sync`"
            ) from exc
        if self._wal is not None and self._wal.removed():
            self._save_deleted_journal()

    def _rollback_quietly(self) -> None:
        if not self._conn.in_transaction:
            return
        try:
            self._conn.execute("ROLLBACK")
        except (sqlite3.Error, CacheError) as exc:
            logger.warning("rollback of a failed change to %s failed too: %s", self.path, exc)

    def _check_journal(self) -> None:
        """Refuse to write once the journal was deleted under this connection (writing on
        would put the change in a deleted file, lost at close)."""
        if self._broken is None and self._wal is not None and self._wal.removed():
            self._save_deleted_journal()
        if self._broken is not None:
            raise self._broken

    def _save_deleted_journal(self) -> None:
        """The -wal file was deleted while this writer had it open: SQLite keeps writing into
        the deleted file. Copy what it holds into the cache file (a checkpoint reads it
        through the still-open handle) and refuse further writes from this connection."""
        saved = False
        try:
            busy, frames, copied = self._conn.execute(
                "PRAGMA wal_checkpoint(TRUNCATE)"
            ).fetchone()
            saved = busy == 0 and frames == copied
        except (sqlite3.Error, CacheError) as exc:
            logger.warning("could not save the deleted journal of %s: %s", self.path, exc)
        self._broken = CacheError(wal_removed(self.path, saved))
        logger.error("%s", self._broken)

    def integrity_ok(self) -> bool:
        return self._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    # ---- accounts and folders ----------------------------------------------------------

    def _account_id(self, account: str, create: bool = True) -> int | None:
        if account in self._account_ids:
            return self._account_ids[account]
        row = self._conn.execute("SELECT id FROM accounts WHERE name = ?", (account,)).fetchone()
        if row is None:
            if not create:
                return None
            # Another program may add it between the SELECT and here (two `tui-mail sync`
            # started together on a new cache): whoever comes second takes that row.
            self._conn.execute("INSERT INTO accounts(name) VALUES (?) ON CONFLICT(name)"
                               " DO NOTHING", (account,))
            row = self._conn.execute("SELECT id FROM accounts WHERE name = ?",
                                     (account,)).fetchone()
        self._account_ids[account] = row[0]
        return row[0]

    def _folder_row(self, account: str, name: str) -> tuple | None:
        return self._conn.execute(
            _FOLDER_SELECT +
            " JOIN accounts a ON a.id = f.account_id WHERE a.name = ? AND f.name = ?",
            (account, name),
        ).fetchone()

    @staticmethod
    def _folder_of(row: tuple) -> Folder:
        try:
            role = FolderRole(row[3])
        except ValueError:
            role = FolderRole.NONE
        try:
            kind = FolderKind(row[7])
        except ValueError:
            kind = FolderKind.PERSONAL
        return Folder(
            account=row[1],
            name=row[2],
            role=role,
            delimiter=row[4],
            total=row[5],
            unread=row[6],
            id=row[0],
            kind=kind,
            prefix=row[8],
            subscribed=bool(row[9]) or row[2].upper() == "INBOX",
        )

    def _folder_id(self, account: str, name: str) -> int:
        row = self._folder_row(account, name)
        if row is None:
            return self.ensure_folder(account, name).id
        return row[0]

    def ensure_folder(
        self, account: str, name: str, role: FolderRole = FolderRole.NONE, delimiter: str = "/"
    ) -> Folder:
        """The folder, created if missing; role and delimiter are updated when given."""
        with self._tx() as c:
            account_id = self._account_id(account)
            c.execute(
                "INSERT INTO folders(account_id, name, role, delimiter) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(account_id, name) DO UPDATE SET delimiter = excluded.delimiter,"
                " role = CASE WHEN excluded.role != '' THEN excluded.role ELSE role END",
                (account_id, name, str(role), delimiter),
            )
        row = self._folder_row(account, name)
        assert row is not None
        return self._folder_of(row)

    def folders(self, account: str | None = None) -> list[Folder]:
        sql = (
            _FOLDER_SELECT +
            " JOIN accounts a ON a.id = f.account_id"
        )
        params: tuple = ()
        if account is not None:
            sql += " WHERE a.name = ?"
            params = (account,)
        rows = self._conn.execute(sql + " ORDER BY a.name, f.name", params).fetchall()
        return [self._folder_of(r) for r in rows]

    def folder(self, account: str, name: str) -> Folder | None:
        row = self._folder_row(account, name)
        return self._folder_of(row) if row else None

    def folder_by_id(self, folder_id: int) -> Folder | None:
        row = self._conn.execute(
            _FOLDER_SELECT +
            " JOIN accounts a ON a.id = f.account_id WHERE f.id = ?",
            (folder_id,),
        ).fetchone()
        return self._folder_of(row) if row else None

    def apply_folder_list(self, account: str, listed: Sequence[ListedFolder],
                          keep: Collection[str] = ()) -> FolderListChanges:
        """Make the account's cached folders what the server listed (`folder_list.plan`): in
        one transaction, vanished folders leave with their messages, renamed ones (same
        MAILBOXID) change name, listed ones are added or updated (role, delimiter, namespace).
        Folders in `keep` (named by queued actions) stay this time."""
        from tui_mail.store.folder_list import CachedFolder, plan  # a sync's: search needs none

        account_id = self._account_id(account)
        removed: list[tuple[str, int]] = []
        # Read and written in one transaction: a folder the user makes or renames meanwhile
        # (another thread, another program) is seen here, never undone by this list.
        with self._tx() as c:
            rows = c.execute(
                "SELECT f.id, f.name, f.mailboxid,"
                " (SELECT count(*) FROM messages m WHERE m.folder_id = f.id AND m.uid IS NULL"
                "  AND m.local_key IS NOT NULL), f.role, f.delimiter, f.kind, f.prefix,"
                " f.missing FROM folders f WHERE f.account_id = ?",
                (account_id,),
            ).fetchall()
            cached = {row[1]: CachedFolder(row[0], row[2], row[3], bool(row[8]))
                      for row in rows}
            drawn = {row[1]: tuple(row[4:8]) for row in rows}  # what the tree shows of each
            delimiters = {row[1]: row[5] for row in rows}
            updated = [f.name for f in listed if f.name in drawn and drawn[f.name] !=
                       (str(f.role), f.delimiter, str(f.kind), f.prefix)]
            named = set(keep) | _names_in_pending_actions(c, account)
            # A folder named by a queued action stays with everything inside it (a folder
            # renamed offline keeps its subfolders until the rename reaches the server).
            kept = {name for name in cached if name in named or any(
                delimiters[name] and name.startswith(k + delimiters[name]) for k in named)}
            todo = plan(cached, listed, kept)
            for old, new in todo.rename:
                c.execute("UPDATE folders SET name = ? WHERE id = ?", (new, cached[old].id))
            if todo.rename:
                self._rename_in_pending_actions(c, account, dict(todo.rename))
            for name in todo.hold:
                c.execute("UPDATE folders SET missing = 1 WHERE id = ?", (cached[name].id,))
            for name in todo.remove:
                folder_id = cached[name].id
                count = c.execute("SELECT count(*) FROM messages WHERE folder_id = ?",
                                  (folder_id,)).fetchone()[0]
                c.execute("DELETE FROM messages WHERE folder_id = ?", (folder_id,))
                c.execute("DELETE FROM folders WHERE id = ?", (folder_id,))
                removed.append((name, count))
            c.executemany(
                "INSERT INTO folders(account_id, name, role, delimiter, kind, prefix, mailboxid)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(account_id, name) DO UPDATE SET"
                " role = excluded.role, delimiter = excluded.delimiter, kind = excluded.kind,"
                " prefix = excluded.prefix, missing = 0,"
                # a MAILBOXID the server did not give this time is not forgotten
                " mailboxid = CASE WHEN excluded.mailboxid != '' THEN excluded.mailboxid"
                " ELSE folders.mailboxid END"
                # only a folder that changed is written (a sync that finds nothing writes nothing)
                " WHERE folders.role IS NOT excluded.role"
                " OR folders.delimiter IS NOT excluded.delimiter OR folders.kind IS NOT excluded.kind"
                " OR folders.prefix IS NOT excluded.prefix OR folders.missing != 0"
                " OR (excluded.mailboxid != '' AND folders.mailboxid IS NOT excluded.mailboxid)",
                [(account_id, f.name, str(f.role), f.delimiter, str(f.kind), f.prefix,
                  f.mailboxid) for f in listed],
            )
        return FolderListChanges(removed, todo.rename, todo.add, updated, todo.hold)

    def mailbox_ids(self, account: str) -> dict[str, str]:
        """The server's MAILBOXIDs the cache knows for the account's folders, by name."""
        return dict(self._conn.execute(
            "SELECT f.name, f.mailboxid FROM folders f JOIN accounts a ON a.id = f.account_id"
            " WHERE a.name = ? AND f.mailboxid != ''", (account,)).fetchall())

    @staticmethod
    def _rename_in_pending_actions(c: sqlite3.Connection, account: str,
                                   renamed: dict[str, str]) -> None:
        """Queued actions name folders: a folder renamed on the server is named anew in them
        ("folder", "target", and the rows recorded for undo)."""
        import json  # here: a search needs none (3 ms)

        rows = c.execute("SELECT id, payload FROM actions WHERE account = ? AND state = 'pending'",
                         (account,)).fetchall()
        for action_id, text in rows:
            payload = json.loads(text)
            changed = False
            for key in ("folder", "target"):
                if payload.get(key) in renamed:
                    payload[key] = renamed[payload[key]]
                    changed = True
            for before in payload.get("before", []):
                if isinstance(before, list) and len(before) > 1 and before[1] in renamed:
                    before[1] = renamed[before[1]]
                    changed = True
            if changed:
                c.execute("UPDATE actions SET payload = ? WHERE id = ?",
                          (json.dumps(payload), action_id))

    def set_personal_namespace(self, account: str, prefix: str, delimiter: str) -> None:
        """Remember where the account's own folders are made (the server's NAMESPACE)."""
        account_id = self._account_id(account)
        with self._tx() as c:
            # Only when it changed: a sync that finds nothing writes nothing (and closing the
            # cache then has no journal to checkpoint).
            c.execute("UPDATE accounts SET personal_prefix = ?, personal_delimiter = ?"
                      " WHERE id = ? AND (personal_prefix IS NOT ? OR personal_delimiter IS NOT ?)",
                      (prefix, delimiter, account_id, prefix, delimiter))

    def set_gmail(self, account: str, gmail: bool) -> None:
        """Remember whether the account's server is Gmail (it announced X-GM-EXT-1): its
        labels are folders, and archive, delete and search follow (see `is_gmail`)."""
        account_id = self._account_id(account)
        if self.is_gmail(account) == gmail:
            return
        with self._tx() as c:
            c.execute("UPDATE accounts SET gmail = ? WHERE id = ?", (int(gmail), account_id))

    def is_gmail(self, account: str) -> bool:
        """Whether the account's server was Gmail when last synced."""
        row = self._conn.execute("SELECT gmail FROM accounts WHERE name = ?",
                                 (account,)).fetchone()
        return bool(row and row[0])

    def delete_folder(self, account: str, name: str) -> None:
        """Forget a folder and its messages (it was deleted on the server)."""
        row = self._folder_row(account, name)
        if row is None:
            return
        with self._tx() as c:
            c.execute("DELETE FROM messages WHERE folder_id = ?", (row[0],))
            c.execute("DELETE FROM folders WHERE id = ?", (row[0],))

    def reset_folder(self, account: str, name: str) -> None:
        """Drop a folder's messages and sync state (e.g. UIDVALIDITY changed)."""
        row = self._folder_row(account, name)
        if row is None:
            return
        with self._tx() as c:
            c.execute("DELETE FROM messages WHERE folder_id = ?", (row[0],))
            c.execute(
                "UPDATE folders SET uidvalidity = NULL, uidnext = NULL, highestmodseq = NULL"
                " WHERE id = ?",
                (row[0],),
            )

    def sync_state(self, account: str, name: str) -> FolderSyncState:
        row = self._conn.execute(
            "SELECT f.uidvalidity, f.uidnext, f.highestmodseq FROM folders f"
            " JOIN accounts a ON a.id = f.account_id WHERE a.name = ? AND f.name = ?",
            (account, name),
        ).fetchone()
        if row is None:
            return FolderSyncState()
        return FolderSyncState(*(value or 0 for value in row))  # NULL: not known

    def set_sync_state(self, account: str, name: str, state: FolderSyncState) -> None:
        # folders.last_sync_at is no longer written (the column stays in the schema, NULL or
        # an old value): a sync that finds nothing new writes no state, so it could only ever
        # have meant "when the state last changed", and nothing reads it.
        folder_id = self._folder_id(account, name)
        with self._tx() as c:
            c.execute(
                "UPDATE folders SET uidvalidity = ?, uidnext = ?, highestmodseq = ? WHERE id = ?",
                # 0 (not known) is kept as NULL, as reset_folder leaves it
                (state.uidvalidity or None, state.uidnext or None, state.highestmodseq or None,
                 folder_id),
            )

    # ---- writing messages ------------------------------------------------------------

    def add_messages(
        self, account: str, folder: str, items: Iterable[NewMessage], batch_size: int = 500
    ) -> list[int]:
        """Cache messages, one transaction per batch; returns each item's row id.

        A message already cached in this folder (same UID, or for uid=None the same bytes)
        is not added again: its existing id is returned. So a resumed sync or import never
        duplicates.
        """
        from tui_mail.store.prepare import prepare

        ids: list[int] = []
        for chunk in _chunks(items, batch_size):
            known = self.cached_ids(account, folder, chunk)
            fresh = [item for item, known_id in zip(chunk, known, strict=True) if known_id is None]
            # Parse outside the transaction, and only what is new (a resumed run is cheap).
            added = iter(self.add_prepared(account, folder, [prepare(i) for i in fresh]))
            ids.extend(k if k is not None else next(added) for k in known)
        return ids

    def cached_ids(self, account: str, folder: str, items: list[NewMessage]) -> list[int | None]:
        """For each item, the id of the same message already cached in the folder, or None."""
        from tui_mail.store.prepare import local_key

        folder_id = self._folder_id(account, folder)
        out: list[int | None] = []
        for item in items:
            if item.uid is not None:
                row = self._conn.execute(
                    "SELECT id FROM messages WHERE folder_id = ? AND uid = ?", (folder_id, item.uid)
                ).fetchone()
            else:
                row = self._conn.execute(
                    "SELECT id FROM messages WHERE folder_id = ? AND local_key = ?",
                    (folder_id, local_key(item)),
                ).fetchone()
            out.append(row[0] if row else None)
        return out

    def add_prepared(self, account: str, folder: str, prepared: list[Prepared]) -> list[int]:
        """Insert already parsed messages (see `prepare`) in one transaction."""
        folder_id = self._folder_id(account, folder)
        with self._tx():
            account_id = self._account_id(account)
            assert account_id is not None
            search_rows: list[tuple[object, ...]] = []
            ids = [self._insert(account_id, folder_id, p, search_rows) for p in prepared]
            _insert_search_rows(self._conn, search_rows)
            role = self._conn.execute("SELECT role FROM folders WHERE id = ?",
                                      (folder_id,)).fetchone()
            if not role or role[0] not in (FolderRole.SENT.value, FolderRole.DRAFTS.value,
                                           FolderRole.JUNK.value):
                # The user's own mail teaches nothing about correspondents (Autocrypt), and
                # junk is not theirs either.
                note_messages(self._conn, account_id,
                              [(p.headers, p.seconds) for p in prepared])
            return ids

    def autocrypt_peers(self, account: str | None = None) -> list[tuple[str, Peer]]:
        """(account, peer) for every Autocrypt peer with a key, or those of `account`."""
        return every_peer(self._conn, account)

    def note_gossip(self, account: str, seconds: int, keys: dict[str, bytes]) -> None:
        """Keys gossiped in an encrypted message of the account (Autocrypt), of date
        `seconds`: see store.autocrypt_peers.note_gossip."""
        with self._tx():
            account_id = self._account_id(account)
            assert account_id is not None
            note_gossip(self._conn, account_id, seconds, keys)

    def index_decrypted(self, message_id: int, plaintext: bytes) -> bool:
        """An opened encrypted message's decrypted text into the search index and the list,
        for an account that allows it: see store.decrypted_text."""
        from tui_mail.store.decrypted_text import (
            index_decrypted,
            prepared_plaintext,
            waits_for_decrypted,
        )

        if not waits_for_decrypted(self._conn, message_id):
            return False  # indexed already (each opening asks): no write transaction
        prepared = prepared_plaintext(plaintext)
        with self._tx():
            return index_decrypted(self._conn, message_id, prepared)

    def forget_decrypted(self, account: str) -> set[str]:
        """The account's decrypted text out of the index again (see store.decrypted_text);
        the folders that changed."""
        from tui_mail.store.decrypted_text import forget_decrypted, has_decrypted

        account_id = self._account_id(account, create=False)
        if account_id is None or not has_decrypted(self._conn, account_id):
            return set()  # the usual case: no write transaction at each start
        with self._tx():
            return forget_decrypted(self._conn, account_id)

    def autocrypt_peer(self, account: str, address: str) -> Peer | None:
        """What the account's mail from `address` said of their key (Autocrypt), if any."""
        account_id = self._account_id(account, create=False)
        return None if account_id is None else peer(self._conn, account_id, address)

    def autocrypt_peers_of(self, account: str, addresses: Sequence[str]) -> dict[str, Peer]:
        """`autocrypt_peer` of each address, by lower-cased address, for those there is one."""
        found = {}
        for address in dict.fromkeys(a.lower() for a in addresses):
            known = self.autocrypt_peer(account, address)
            if known is not None:
                found[address] = known
        return found

    def _insert(self, account_id: int, folder_id: int, p: Prepared,
                search_rows: list[tuple[object, ...]]) -> int:
        c = self._conn
        if p.item.uid is not None:
            row = c.execute(
                "SELECT id FROM messages WHERE folder_id = ? AND uid = ?", (folder_id, p.item.uid)
            ).fetchone()
        else:
            row = c.execute(
                "SELECT id FROM messages WHERE folder_id = ? AND local_key = ?",
                (folder_id, p.local_key),
            ).fetchone()
        if row:
            return row[0]
        h = p.headers
        new_id = allocate_key(c, p.seconds)
        thread_id, parent_id = self._thread_of(account_id, p, new_id)
        sender = h.from_[0] if h.from_ else Address("", "")
        c.execute(
            "INSERT INTO messages(id, account_id, folder_id, uid, local_key, message_id, subject,"
            " from_name, from_email, to_text, cc_text, date, flags, size, has_attachment,"
            " in_reply_to, refs, thread_id, parent_id, body_state, preview, sender_sort,"
            " subject_sort, gm_msgid, sealed)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                new_id,
                account_id,
                folder_id,
                p.item.uid,
                p.local_key,
                h.message_id,
                h.subject,
                sender.name,
                sender.email,
                p.to_text,
                p.cc_text,
                p.seconds,
                p.item.flags.to_bits(),
                p.size,
                int(p.has_attachment),
                h.in_reply_to,
                " ".join(h.references),
                thread_id,
                parent_id,
                BODY_FULL if p.item.raw is not None else BODY_HEADERS,
                p.preview,
                p.sender_sort,
                p.subject_sort,
                p.item.gm_msgid,
                h.sealed,
            ),
        )
        c.execute(
            "INSERT INTO bodies(id, raw, headers) VALUES (?, ?, ?)",
            (new_id, p.stored_raw if p.stored_raw is not None else _packed(p.item.raw),
             _packed(p.item.raw_headers) if p.item.raw is None else None),
        )
        s = p.search
        search_rows.append((new_id, s.subject, s.sender, s.to_addr, s.cc_addr,
                            p.stored_body if p.stored_body is not None else pack_text(s.body),
                            s.attachments))
        if h.message_id:
            self._adopt_children(account_id, h.message_id, new_id, thread_id)
        return new_id

    def _thread_of(self, account_id: int, p: Prepared, new_id: int) -> tuple[int, int | None]:
        """(thread_id, parent row id) from the nearest cached ancestor. A reply that names no
        ancestor ("Re: x" from a client that drops In-Reply-To and References) joins the thread
        of the newest earlier message about "x" from the last SUBJECT_THREAD_DAYS, as mutt and
        the JWZ algorithm do; anything else starts a new thread."""
        h = p.headers
        candidates = [h.in_reply_to] if h.in_reply_to else []
        candidates += list(reversed(h.references))
        for mid in candidates:
            row = self._conn.execute(
                "SELECT id, thread_id FROM messages WHERE account_id = ? AND message_id = ?"
                " LIMIT 1",
                (account_id, mid),
            ).fetchone()
            if row:
                return row[1], row[0]
        if not candidates and p.subject_sort and p.subject_sort != h.subject.strip().casefold():
            since = new_id - SUBJECT_THREAD_DAYS * 86400 * KEY_SCALE
            row = self._conn.execute(
                "SELECT thread_id FROM messages WHERE account_id = ? AND subject_sort = ?"
                " AND id < ? AND id >= ? ORDER BY id DESC LIMIT 1",
                (account_id, p.subject_sort, new_id, since),
            ).fetchone()
            if row:
                return row[0], None
        return new_id, None

    def _adopt_children(self, account_id: int, message_id: str, new_id: int, thread: int) -> None:
        """Replies cached before their parent join the parent's thread."""
        rows = self._conn.execute(
            "SELECT DISTINCT thread_id FROM messages WHERE account_id = ? AND in_reply_to = ?"
            " AND thread_id != ?",
            (account_id, message_id, thread),
        ).fetchall()
        for (old_thread,) in rows:
            self._conn.execute(
                "UPDATE messages SET thread_id = ? WHERE thread_id = ?", (thread, old_thread)
            )
        self._conn.execute(
            "UPDATE messages SET parent_id = ? WHERE account_id = ? AND in_reply_to = ?"
            " AND parent_id IS NULL AND id != ?",
            (new_id, account_id, message_id, new_id),
        )

    def set_body(self, message_row_id: int, raw: bytes) -> None:
        """Store the full message of a headers-only row and index its text."""
        from tui_mail.store.extract import body_text

        self.set_bodies([(message_row_id, raw, body_text(raw))])

    def set_bodies(self, items: Sequence[tuple[int, bytes, BodyText]],
                   uids: Mapping[int, int] | None = None) -> None:
        """Store the full messages of headers-only rows, with their text already extracted
        (`extract.body_text`, done elsewhere: a process pool during a bulk download), in one
        transaction: hundreds per commit cost about what one did.

        The search text goes in with ONE statement (UPDATE ... FROM a temporary table), not
        one per row: every statement that fires the search index's triggers opens a
        savepoint, and FTS5 writes out its pending index data at each savepoint, so one
        UPDATE per row left a tiny index segment per message to be merged (measured: 0.99 s
        against 0.37 s for 3,000 bodies).

        A body is written only if its row is still cached (and, with `uids`, row id to the
        UID it was fetched by, still that UID's): a batch waits a while before it is written,
        and meanwhile a sync may have expunged the row or, after a UIDVALIDITY change, given
        its id to another message."""
        if not items:
            return
        with self._tx() as c:
            items = _still_cached(c, items, uids)
            _put_raw(c, [(row_id, raw) for row_id, raw, _ in items])
            c.executemany(
                "UPDATE messages SET body_state = ?, preview = ?, size = max(size, ?),"
                " has_attachment = ? WHERE id = ?",
                [(BODY_FULL, body.preview, len(raw), int(body.has_attachment), row_id)
                 for row_id, raw, body in items],
            )
            c.execute("CREATE TEMP TABLE IF NOT EXISTS body_text_batch"
                      "(id INTEGER PRIMARY KEY, body, attachments)")
            c.execute("DELETE FROM temp.body_text_batch")
            c.executemany(
                "INSERT OR REPLACE INTO temp.body_text_batch(id, body, attachments)"
                " VALUES (?, ?, ?)",
                [(row_id, pack_text(body.text), body.attachment_names)
                 for row_id, _, body in items],
            )
            c.execute(
                "UPDATE search_text SET body = b.body, attachments = b.attachments"
                " FROM temp.body_text_batch b WHERE search_text.id = b.id"
            )
            c.execute("DELETE FROM temp.body_text_batch")

    def raw_message(self, message_row_id: int) -> bytes | None:
        row = self._conn.execute(
            "SELECT raw FROM bodies WHERE id = ?", (message_row_id,)
        ).fetchone()
        return _unpacked(row[0], message_row_id) if row else None

    def raw_headers(self, message_row_id: int) -> bytes | None:
        """The header block of a headers-only row (None once the body is cached)."""
        row = self._conn.execute(
            "SELECT headers FROM bodies WHERE id = ?", (message_row_id,)
        ).fetchone()
        return _unpacked(row[0], message_row_id) if row else None

    def update_flags(self, account: str, folder: str, flags: dict[int, Flags]) -> None:
        """Server flags by UID (from a sync)."""
        folder_id = self._folder_id(account, folder)
        for chunk in _chunks(flags.items(), 500):
            with self._tx() as c:
                c.executemany(
                    "UPDATE messages SET flags = ? WHERE folder_id = ? AND uid = ?",
                    [(f.to_bits(), folder_id, uid) for uid, f in chunk],
                )

    def remove_uids(self, account: str, folder: str, uids: Iterable[int]) -> None:
        """Forget messages expunged on the server."""
        folder_id = self._folder_id(account, folder)
        for chunk in _chunks(uids, 500):
            with self._tx() as c:
                c.executemany(
                    "DELETE FROM messages WHERE folder_id = ? AND uid = ?",
                    [(folder_id, uid) for uid in chunk],
                )

    def uid_flags(self, account: str, folder: str) -> dict[int, Flags]:
        folder_id = self._folder_id(account, folder)
        rows = self._conn.execute(
            "SELECT uid, flags FROM messages WHERE folder_id = ? AND uid IS NOT NULL", (folder_id,)
        )
        return {uid: Flags.from_bits(bits) for uid, bits in rows}

    def flags_for_uids(self, account: str, folder: str, uids: Iterable[int]) -> dict[int, Flags]:
        """{uid: flags} for those of `uids` cached in the folder (point lookups, not a scan)."""
        folder_id = self._folder_id(account, folder)
        out: dict[int, Flags] = {}
        for chunk in _chunks(uids, 500):
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT uid, flags FROM messages WHERE folder_id = ? AND uid IN ({marks})",
                (folder_id, *chunk),
            )
            out.update((uid, Flags.from_bits(bits)) for uid, bits in rows)
        return out

    def has_uids(self, account: str, folder: str) -> bool:
        """Whether any cached message of the folder has a server UID."""
        folder_id = self._folder_id(account, folder)
        row = self._conn.execute(
            "SELECT 1 FROM messages WHERE folder_id = ? AND uid IS NOT NULL LIMIT 1", (folder_id,)
        ).fetchone()
        return row is not None

    def ids_for_uids(self, account: str, folder: str, uids: Iterable[int]) -> dict[int, int]:
        """{uid: row id} for the UIDs cached in the folder."""
        folder_id = self._folder_id(account, folder)
        out: dict[int, int] = {}
        for chunk in _chunks(uids, 500):
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT uid, id FROM messages WHERE folder_id = ? AND uid IN ({marks})",
                (folder_id, *chunk),
            )
            out.update(dict(rows.fetchall()))
        return out

    def uids_without_body(self, account: str, folder: str, max_size: int) -> list[int]:
        """UIDs whose body is not cached yet and whose size is within the cap, newest first."""
        folder_id = self._folder_id(account, folder)
        rows = self._conn.execute(
            "SELECT uid FROM messages WHERE folder_id = ? AND uid IS NOT NULL"
            " AND body_state != ? AND size <= ? ORDER BY id DESC",
            (folder_id, BODY_FULL, max_size),
        )
        return [r[0] for r in rows]

    def bodies_wanted(self, account: str, max_size: int, *, since: int | None = None,
                      folders: Sequence[str] | None = None, below: int | None = None,
                      limit: int = 200) -> list[tuple[int, str, int, int]]:
        """(row id, folder, uid, size) of the account's server messages whose body is not
        cached, at most `max_size` bytes each, dated `since` (unix seconds) or later, in
        `folders` (when given) and with a row id under `below` (when given), newest first
        across folders: what the background download fetches next.

        Walked down the partial index of missing bodies by account and id (schema 8): with
        `below` each call reads from where the last one stopped, so a download of N bodies
        costs O(N) here, and nothing when nothing is missing."""
        account_id = self._account_id(account, create=False)
        if account_id is None:
            return []
        sql = ("SELECT m.id, f.name, m.uid, m.size FROM messages m"
               " JOIN folders f ON f.id = m.folder_id"
               f" WHERE m.account_id = ? AND {BODY_MISSING} AND m.uid IS NOT NULL"
               " AND m.size <= ? AND m.date >= ? AND m.id < ? AND m.id >= ?")
        params: list[object] = [account_id, max_size, since or 0,
                                (1 << 63) - 1 if below is None else below,
                                (since or 0) * KEY_SCALE]  # ids sort by date (keys.py)
        if folders is not None:
            sql += f" AND f.name IN ({','.join('?' * len(folders))})"
            params += list(folders)
        rows = self._conn.execute(sql + " ORDER BY m.id DESC LIMIT ?", (*params, limit))
        return [(row_id, folder, uid, size) for row_id, folder, uid, size in rows]

    def missing_bodies(self, account: str | None = None,
                       folder: str | None = None) -> tuple[int, int]:
        """(messages, bytes) whose body is not cached: their text is not searchable yet."""
        scope = self._scope(account, folder)
        if scope is None:
            return 0, 0
        sql = f"SELECT count(*), coalesce(sum(m.size), 0) FROM messages m WHERE {BODY_MISSING}"
        count, size = self._conn.execute(sql + scope[0], scope[1]).fetchone()
        return int(count), int(size)

    def encrypted_count(self, account: str | None = None, folder: str | None = None) -> int:
        """How many messages are encrypted: their text is in the cache only as the server
        sent it, encrypted, so search does not find its words."""
        scope = self._scope(account, folder)
        if scope is None:
            return 0
        sql = f"SELECT count(*) FROM messages m WHERE m.sealed = {int(Sealing.ENCRYPTED)}"
        return int(self._conn.execute(sql + scope[0], scope[1]).fetchone()[0])

    def _scope(self, account: str | None, folder: str | None
               ) -> tuple[str, list[object]] | None:
        """The SQL (" AND ...") and parameters limiting `messages m` to an account, a folder
        of it, or a folder name in every account; None when there is no such place."""
        sql = ""
        params: list[object] = []
        if account is not None:
            account_id = self._account_id(account, create=False)
            if account_id is None:
                return None
            sql += " AND m.account_id = ?"
            params.append(account_id)
            if folder is not None:
                folder_id = self._conn.execute(
                    "SELECT id FROM folders WHERE account_id = ? AND name = ?",
                    (account_id, folder)).fetchone()
                if folder_id is None:
                    return None
                sql += " AND m.folder_id = ?"
                params.append(folder_id[0])
        elif folder is not None:
            sql += " AND m.folder_id IN (SELECT id FROM folders WHERE name = ?)"
            params.append(folder)
        return sql, params

    def message_row(self, message_row_id: int) -> MessageSummary | None:
        row = self._conn.execute(
            f"SELECT {SUMMARY_COLUMNS} FROM {SUMMARY_FROM} WHERE m.id = ?", (message_row_id,)
        ).fetchone()
        return summary_of(row) if row else None

    def set_flags_local(self, ids: Iterable[int], **changes: bool) -> None:
        """Change flags of cached messages, e.g. `set_flags_local([id], seen=True)`."""
        set_mask = clear_mask = 0
        for name, value in changes.items():
            bit = Flags(**{name: True}).to_bits()
            if value:
                set_mask |= bit
            else:
                clear_mask |= bit
        for chunk in _chunks(ids, 500):
            with self._tx() as c:
                c.executemany(
                    "UPDATE messages SET flags = (flags | ?) & ~? WHERE id = ?",
                    [(set_mask, clear_mask, i) for i in chunk],
                )

    def move_local(self, ids: Iterable[int], account: str, folder: str) -> None:
        """Move cached messages to another folder; their UID is unknown until the next sync."""
        folder_id = self._folder_id(account, folder)
        account_id = self._account_id(account)
        for chunk in _chunks(ids, 500):
            with self._tx() as c:
                c.executemany(
                    "UPDATE messages SET folder_id = ?, account_id = ?, uid = NULL WHERE id = ?",
                    [(folder_id, account_id, i) for i in chunk],
                )

    def restore_local(
        self, account: str, rows: Iterable[tuple[int, str, int | None, Flags]]
    ) -> None:
        """Put cached messages back as they were: `(row id, folder, uid, flags)` each (the undo
        of a local move or flag change that has not reached the server)."""
        account_id = self._account_id(account)
        folder_ids: dict[str, int] = {}
        values = []
        for row_id, folder, uid, flags in rows:
            if folder not in folder_ids:
                folder_ids[folder] = self._folder_id(account, folder)
            values.append((folder_ids[folder], account_id, uid, flags.to_bits(), row_id))
        for chunk in _chunks(values, 500):
            with self._tx() as c:
                c.executemany(
                    "UPDATE messages SET folder_id = ?, account_id = ?, uid = ?, flags = ?"
                    " WHERE id = ?",
                    chunk,
                )

    def delete_local(self, ids: Iterable[int]) -> None:
        for chunk in _chunks(ids, 500):
            with self._tx() as c:
                c.executemany("DELETE FROM messages WHERE id = ?", [(i,) for i in chunk])


def _still_cached(c: sqlite3.Connection, items: Sequence[tuple[int, bytes, BodyText]],
                  uids: Mapping[int, int] | None) -> list[tuple[int, bytes, BodyText]]:
    """The items whose row is still cached, with the UID it was fetched by when known."""
    present: dict[int, int | None] = {}
    ids = [row_id for row_id, _, _ in items]
    for chunk in _chunks(ids, 500):
        present.update(c.execute(
            f"SELECT id, uid FROM messages WHERE id IN ({','.join('?' * len(chunk))})", chunk))
    return [item for item in items if item[0] in present
            and (uids is None or uids.get(item[0]) == present[item[0]])]


def _put_raw(c: sqlite3.Connection, rows: Sequence[tuple[int, bytes]]) -> None:
    """The one place a fetched whole message is written into `bodies` (replacing the header
    block a headers-only row kept), compressed (`blobs.pack`)."""
    c.executemany(
        "INSERT INTO bodies(id, raw, headers) VALUES (?, ?, NULL)"
        " ON CONFLICT(id) DO UPDATE SET raw = excluded.raw, headers = NULL",
        [(row_id, pack(raw)) for row_id, raw in rows],
    )


def _insert_search_rows(c: sqlite3.Connection, rows: list[tuple[object, ...]]) -> None:
    """A batch's search text in ONE statement that fires the index's trigger: FTS5 writes out
    its pending index data at the end of every such statement (a savepoint each), so one
    INSERT per message left a tiny segment per message to merge (0.80 against 0.57 ms a
    message for the whole insert, measured on 3,000 generated messages)."""
    if not rows:
        return
    c.execute("CREATE TEMP TABLE IF NOT EXISTS search_text_batch(id INTEGER PRIMARY KEY,"
              " subject, sender, to_addr, cc_addr, body, attachments)")
    c.executemany("INSERT INTO temp.search_text_batch VALUES (?,?,?,?,?,?,?)", rows)
    c.execute("INSERT INTO search_text(id, subject, sender, to_addr, cc_addr, body, attachments)"
              " SELECT id, subject, sender, to_addr, cc_addr, body, attachments"
              " FROM temp.search_text_batch ORDER BY id")
    c.execute("DELETE FROM temp.search_text_batch")


def _packed(data: bytes | None) -> bytes | None:
    return None if data is None else pack(data)


def _unpacked(stored: bytes | None, message_row_id: int) -> bytes | None:
    """A `bodies` value as it was fetched: every read of `raw` and `headers` comes here."""
    return None if stored is None else unpack(stored, f"message {message_row_id}")


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    """A configured (and, for a writer, migrated) connection, or a CacheError."""
    what = "open"
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=10.0,
            factory=CacheConnection,
        )
        conn.cache_path = path
        register(conn)  # before the migrations: the search index triggers call its function
        what = "read"
        conn.execute("PRAGMA busy_timeout = 10000")
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA cache_size = -32000")
        if readonly:
            conn.execute("PRAGMA query_only = ON")
        else:
            what = "update"
            migrate(conn)
        conn.execute("SELECT count(*) FROM folders").fetchone()
    except CacheError:
        _close_quietly(conn)
        raise
    except (sqlite3.Error, ValueError) as exc:
        _close_quietly(conn)
        error = cache_error(exc, path)
        if error is not None:
            raise error from exc
        raise CacheError(
            f"could not {what} the cache {path}: {exc}; move it aside and run `tui-mail sync`"
            " to build a new one"
        ) from exc
    return conn


def _private(path: Path, existed: bool) -> None:
    """The cache readable by its owner only: made so, or (a cache of an earlier version, made
    under the usual umask) made so now. A file the user cannot chmod is left as it is."""
    try:
        if not existed:
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        elif path.stat().st_mode & 0o077:
            path.chmod(0o600)
    except OSError:
        pass  # opening it says what is wrong, if anything is


def _names_in_pending_actions(c: sqlite3.Connection, account: str) -> set[str]:
    """The folders queued actions name ("folder", "target"), read inside a transaction."""
    import json  # here: a search needs none (3 ms)

    names: set[str] = set()
    for (text,) in c.execute("SELECT payload FROM actions WHERE account = ? AND state = 'pending'",
                             (account,)):
        payload = json.loads(text)
        names |= {payload[key] for key in ("folder", "target")
                  if isinstance(payload.get(key), str)}
    return names


def _remove_if_empty(path: Path) -> None:
    try:
        if path.stat().st_size == 0:
            path.unlink()
    except OSError as exc:
        logger.debug("could not remove the empty %s left by a failed open: %s", path, exc)


def _close_quietly(conn: sqlite3.Connection | None) -> None:
    if conn is not None:
        try:
            conn.close()
        except sqlite3.Error as exc:
            logger.debug("closing a cache connection that failed to open: %s", exc)
