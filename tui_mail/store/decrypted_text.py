"""Decrypted text in the cache, only for an account whose user allows it (`cache_decrypted =
true`): when an encrypted message is opened, its decrypted subject, preview and text replace
the ciphertext's in the search index and the list (`Sealing.DECRYPTED_INDEXED`); the bytes the
server sent stay as they are. Taken out again, back to what the ciphertext gives, once the user
no longer allows it.
"""

from __future__ import annotations

import sqlite3

from tui_mail.model import Sealing

TYPE_CHECKING = False  # typing's, without importing typing: `tui-mail search` loads this
if TYPE_CHECKING:
    from tui_mail.store.prepare import Prepared


def _prepared(raw: bytes) -> Prepared:
    from tui_mail.store.prepare import Prepared
    from tui_mail.store.types import NewMessage

    return Prepared.of(NewMessage(uid=None, raw=raw, size=len(raw)))


def _write(conn: sqlite3.Connection, message_id: int, raw: bytes, sealing: Sealing) -> None:
    from tui_mail.store.blobs import pack_text

    p = _prepared(raw)
    s = p.search
    conn.execute("UPDATE search_text SET subject = ?, body = ?, attachments = ? WHERE id = ?",
                 (s.subject, pack_text(s.body), s.attachments, message_id))
    conn.execute("UPDATE messages SET subject = ?, subject_sort = ?, preview = ?, sealed = ?"
                 " WHERE id = ?",
                 (p.headers.subject, p.subject_sort, p.preview, int(sealing), message_id))


def index_decrypted(conn: sqlite3.Connection, message_id: int, plaintext: bytes) -> bool:
    """Index `plaintext` (the message decrypted, its protected headers applied) in place of
    the ciphertext's text, inside the caller's transaction; False when the message is gone,
    is not an encrypted one, or is indexed already."""
    row = conn.execute("SELECT sealed FROM messages WHERE id = ?", (message_id,)).fetchone()
    if row is None or row[0] != Sealing.ENCRYPTED:
        return False
    _write(conn, message_id, plaintext, Sealing.DECRYPTED_INDEXED)
    return True


def forget_decrypted(conn: sqlite3.Connection, account_id: int) -> set[str]:
    """Put back, for each of the account's messages whose decrypted text is indexed, what its
    ciphertext gives (subject "...", no words of the text); the folders they are in."""
    from tui_mail.store.blobs import unpack

    rows = conn.execute(
        "SELECT m.id, b.raw, f.name FROM messages m JOIN bodies b ON b.id = m.id"
        " JOIN folders f ON f.id = m.folder_id WHERE m.account_id = ? AND m.sealed = ?",
        (account_id, int(Sealing.DECRYPTED_INDEXED))).fetchall()
    for message_id, stored, _folder in rows:
        raw = unpack(stored, f"message {message_id}") if stored is not None else b""
        _write(conn, message_id, raw, Sealing.ENCRYPTED)
    return {str(folder) for _id, _raw, folder in rows}
