"""What a failing cache file means to the person using tui-mail.

SQLite reports a full disk, a damaged file, a file of another program, a read-only file or
folder and a locked cache as `sqlite3` errors with terse texts ("database or disk is full").
`cache_error` turns each into one `CacheError` that says what happened, to which file, and what
to do. `CacheConnection` applies it to every statement the store runs, so no read or write path
lets a raw sqlite3 error through for these conditions; any other sqlite3 error (a malformed
query: a bug, or a search the query compiler let through) passes unchanged.

Rows fetched after the first step of a statement (iterating a cursor) are not covered here:
`cache_error` is public so the CLI can translate such a late error too.

`WalWatch` notices the write-ahead log (cache.sqlite3-wal) being deleted while a writer has the
cache open. SQLite does not: the writer would go on committing into the deleted file, every new
connection would fail with "disk I/O error", and what was committed since would be lost when
the writer closes.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from tui_mail.errors import CacheError
from tui_mail.store.blobs import SQL_TEXT

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (`search` needs none)
if TYPE_CHECKING:
    from typing import Any

# Primary result codes (https://sqlite.org/rescode.html); extended codes add bits above 0xFF.
SQLITE_ERROR = 1
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26
SQLITE_READONLY_DBMOVED = SQLITE_READONLY | (4 << 8)
SQLITE_IOERR_SHORT_READ = SQLITE_IOERR | (2 << 8)


def wal_path(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def full_disk(path: Path) -> str:
    return (
        f"the disk holding {path} is full: nothing was lost, the last change was not saved;"
        " free some space and try again"
    )


def damaged(path: Path, detail: str) -> str:
    return (
        f"the cache {path} is damaged ({detail}): move it and its journal aside (mv {path}"
        f" {path}.damaged; mv {path}-wal {path}.damaged-wal, if there is one) and run"
        " `tui-mail sync` to build a new one from your servers; mail waiting to be sent stays"
        " in the moved files"
    )


def not_a_cache(path: Path) -> str:
    return (
        f"{path} is not a tui-mail cache (file is not a database): it belongs to another"
        " program or is damaged beyond reading; move it aside and run `tui-mail sync`, or use"
        " --data-dir to keep the cache elsewhere"
    )


def read_only(path: Path) -> str:
    return (
        f"the cache {path} cannot be written (attempt to write a readonly database): nothing"
        f" was changed; make the file and its folder {path.parent} writable, or mount them"
        " read-write, and try again"
    )


def read_only_folder(path: Path) -> str:
    return (
        f"the folder {path.parent} holding the cache {path.name} is read-only: SQLite keeps"
        f" its journal files next to the cache; make {path.parent} writable (or use"
        " --data-dir) and try again"
    )


def empty_file(path: Path) -> str:
    return (
        f"the cache {path} is empty (0 bytes), most likely cut short by a crash or a full disk:"
        f" remove it (rm {path}) and run `tui-mail sync` to build it again"
    )


def locked(path: Path) -> str:
    return (
        f"the cache {path} is locked by another program (another tui-mail?): wait for it to"
        " finish, or close it, and try again"
    )


def upgraded(path: Path) -> str:
    """A write from a connection that lacks the SQL function the search index's triggers call
    (schema 6): a tui-mail started before another one upgraded the cache under it."""
    return (
        f"the cache {path} was upgraded by a newer tui-mail while this one was running; quit"
        " this tui-mail and start it again (nothing was lost)"
    )


def moved(path: Path) -> str:
    return (
        f"the cache {path} was moved or deleted while tui-mail was using it: nothing more was"
        " written; quit tui-mail and start it again"
    )


def wal_removed(path: Path, saved: bool) -> str:
    wal = wal_path(path)
    if saved:
        return (
            f"the cache's journal {wal} was deleted while tui-mail was writing the cache:"
            f" everything written before was saved into {path}, the last change was not;"
            " quit tui-mail and start it again to go on"
        )
    return (
        f"the cache's journal {wal} was deleted while tui-mail was writing the cache: the"
        f" latest changes could not all be saved into {path}; quit every tui-mail and run"
        " `tui-mail sync` to fetch again what is missing"
    )


def disk_nearly_full(path: Path, margin: int = 1 << 20) -> bool:
    """Whether the filesystem holding `path` has less than `margin` bytes left for us. When
    there is no room for the shared-memory index either, SQLite reports an I/O error
    (SQLITE_IOERR_SHMSIZE, seen on a full tmpfs) rather than SQLITE_FULL."""
    try:
        info = os.statvfs(path.parent)
    except OSError:
        return False
    return info.f_bavail * info.f_frsize < margin


def _io_error(path: Path, exc: sqlite3.Error) -> str:
    if disk_nearly_full(path):
        return full_disk(path)
    wal = wal_path(path)
    code = getattr(exc, "sqlite_errorcode", 0)
    if code == SQLITE_IOERR_SHORT_READ and (not wal.exists() or wal.stat().st_size == 0):
        return (
            f"could not read the cache {path}: its journal {wal} was deleted while another"
            " tui-mail was using the cache; quit every tui-mail (each saves its changes as it"
            " quits) and try again"
        )
    return (
        f"could not read or write the cache {path} ({exc}): the disk may be failing or was"
        " removed; check it (e.g. with dmesg) and try again"
    )


def _cant_open(path: Path) -> str:
    if path.is_dir():
        return (
            f"the cache {path} is a folder, not a file: move it aside, or use --data-dir to"
            " keep the cache elsewhere"
        )
    return (
        f"cannot open the cache {path} (unable to open database file): check that the folder"
        f" {path.parent} exists and that you may read and write in it"
    )


def cache_error(exc: BaseException, path: Path) -> CacheError | None:
    """The CacheError a person should see for this sqlite3 error on the cache at `path`, or
    None when the error is not about the file, the disk or a lock (a bug: let it through)."""
    if not isinstance(exc, sqlite3.Error):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return None
    primary = code & 0xFF
    if primary == SQLITE_FULL:
        text = full_disk(path)
    elif primary == SQLITE_CORRUPT:
        text = damaged(path, str(exc))
    elif primary == SQLITE_NOTADB:
        text = not_a_cache(path)
    elif code == SQLITE_READONLY_DBMOVED:
        text = moved(path)
    elif primary == SQLITE_READONLY:
        text = read_only(path)
    elif primary == SQLITE_IOERR:
        text = _io_error(path, exc)
    elif primary == SQLITE_CANTOPEN:
        text = _cant_open(path)
    elif primary in (SQLITE_BUSY, SQLITE_LOCKED):
        text = locked(path)
    elif primary == SQLITE_ERROR and f"no such function: {SQL_TEXT}" in str(exc):
        text = upgraded(path)
    else:
        return None
    return CacheError(text)


class CacheConnection(sqlite3.Connection):
    """A connection whose statements raise a `CacheError` (see `cache_error`) instead of a raw
    sqlite3 error when the file, the disk or a lock is at fault. Made by
    `sqlite3.connect(..., factory=CacheConnection)`; set `cache_path` right after."""

    cache_path: Path = Path()

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.Error as exc:
            error = cache_error(exc, self.cache_path)
            if error is None:
                raise
            raise error from exc

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        try:
            return super().executemany(sql, parameters)
        except sqlite3.Error as exc:
            error = cache_error(exc, self.cache_path)
            if error is None:
                raise
            raise error from exc

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        try:
            return super().executescript(sql_script)
        except sqlite3.Error as exc:
            error = cache_error(exc, self.cache_path)
            if error is None:
                raise
            raise error from exc


def check_before_open(path: Path, readonly: bool) -> bool:
    """Whether the cache file exists; refuses, with the reason, what SQLite would silently
    accept or explain badly: an empty file where a cache should be (SQLite would start a
    fresh empty cache over it, hiding that the mail in it is gone), a folder, and for a writer
    a read-only file or folder (SQLite opens those read-only and fails only at the first
    write, after a sync has fetched mail for nothing)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if not readonly and not os.access(path.parent, os.W_OK):
            raise CacheError(read_only_folder(path)) from None
        return False
    except OSError as exc:
        raise CacheError(
            f"cannot read the cache {path}: {exc.strerror or exc}; check the permissions of"
            f" {path.parent}"
        ) from None
    if path.is_dir():
        raise CacheError(_cant_open(path))
    if info.st_size == 0:
        raise CacheError(empty_file(path))
    if not readonly:
        if not os.access(path, os.W_OK):
            raise CacheError(read_only(path))
        if not os.access(path.parent, os.W_OK):
            raise CacheError(read_only_folder(path))
    return True


class WalWatch:
    """Notices the cache's write-ahead log being replaced or deleted under an open writer.

    While any connection has the cache open, SQLite keeps the same -wal file (it rewinds it,
    it never deletes or recreates it), so a different inode, or none, means someone else
    removed it. Costs one stat() per check."""

    def __init__(self, path: Path) -> None:
        self.wal = wal_path(path)
        self._identity = self._stat()

    def _stat(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.wal)
        except OSError:
            return None
        return info.st_dev, info.st_ino

    def removed(self) -> bool:
        return self._identity is not None and self._stat() != self._identity
