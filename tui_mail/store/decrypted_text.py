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


def prepared_plaintext(raw: bytes) -> Prepared:
    """A message parsed for the index and the list (CPU work: outside a transaction when
    it can be)."""
    from tui_mail.store.prepare import Prepared
    from tui_mail.store.types import NewMessage

    return Prepared.of(NewMessage(uid=None, raw=raw, size=len(raw)))


def _write(conn: sqlite3.Connection, message_id: int, p: Prepared, sealing: Sealing) -> None:
    from tui_mail.store.blobs import pack_text

    s = p.search
    conn.execute("UPDATE search_text SET subject = ?, body = ?, attachments = ? WHERE id = ?",
                 (s.subject, pack_text(s.body), s.attachments, message_id))
    conn.execute("UPDATE messages SET subject = ?, subject_sort = ?, preview = ?, sealed = ?"
                 " WHERE id = ?",
                 (p.headers.subject, p.subject_sort, p.preview, int(sealing), message_id))


def waits_for_decrypted(conn: sqlite3.Connection, message_id: int) -> bool:
    """Whether the message is an encrypted one whose decrypted text is not indexed yet."""
    row = conn.execute("SELECT sealed FROM messages WHERE id = ?", (message_id,)).fetchone()
    return row is not None and row[0] == Sealing.ENCRYPTED


def index_decrypted(conn: sqlite3.Connection, message_id: int, prepared: Prepared) -> bool:
    """Index the decrypted message (`prepared_plaintext`: its protected headers applied) in
    place of the ciphertext's text, inside the caller's transaction; False when the message
    is gone, is not an encrypted one, or is indexed already."""
    if not waits_for_decrypted(conn, message_id):
        return False
    _write(conn, message_id, prepared, Sealing.DECRYPTED_INDEXED)
    return True


def has_decrypted(conn: sqlite3.Connection, account_id: int) -> bool:
    """Whether any of the account's messages has its decrypted text indexed (a partial index
    answers: nothing to read in the usual case)."""
    return conn.execute("SELECT 1 FROM messages WHERE account_id = ? AND sealed = ? LIMIT 1",
                        (account_id, int(Sealing.DECRYPTED_INDEXED))).fetchone() is not None


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
        _write(conn, message_id, prepared_plaintext(raw), Sealing.ENCRYPTED)
    return {str(folder) for _id, _raw, folder in rows}
