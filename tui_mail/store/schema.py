"""The cache schema and its migrations.

The schema version is `PRAGMA user_version`. `MIGRATIONS[i]` takes a database from version `i`
to `i + 1`; each runs in its own transaction together with the version bump, so a kill during
a migration leaves the previous version intact.

Key choice: `messages.id` is the *sort key*, not a counter. It is
`unix_seconds(date) * 1024 + tiebreak` (see `keys.py`), so id order is date order. The FTS
table uses the same number as its rowid, which makes "newest first" the order FTS5 walks its
index in: `... MATCH ? ORDER BY rowid DESC LIMIT 50` stops after 50 hits instead of sorting
every match (DESIGN.md, "Search"). An id never changes while the message stays cached, a move
between folders keeps it.

FTS is an external-content FTS5 table over `search_text` (SQLite 3.40 cannot delete from a
contentless table), kept in step by triggers; `search_text` rows are removed with their
message by a trigger, and so is the body. Stored messages and the body search text are
compressed (`blobs.py`); the triggers need the SQL function `blobs.register` adds.
"""

from __future__ import annotations

import re
import sqlite3

_V1 = """
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE folders (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT '',
    delimiter TEXT NOT NULL DEFAULT '/',
    subscribed INTEGER NOT NULL DEFAULT 1,
    uidvalidity INTEGER,
    uidnext INTEGER,
    highestmodseq INTEGER,
    last_sync_at INTEGER,
    sync_error TEXT,
    total INTEGER NOT NULL DEFAULT 0,   -- kept by triggers on messages
    unread INTEGER NOT NULL DEFAULT 0,
    UNIQUE (account_id, name)
);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,            -- the sort key: date seconds * 1024 + tiebreak
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uid INTEGER,                       -- server UID (IMAP); NULL for local and POP3 messages
    local_key TEXT,                    -- content hash for imported / POP3 messages
    message_id TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    from_name TEXT NOT NULL DEFAULT '',
    from_email TEXT NOT NULL DEFAULT '',
    to_text TEXT NOT NULL DEFAULT '',
    cc_text TEXT NOT NULL DEFAULT '',
    date INTEGER NOT NULL,             -- unix seconds (UTC)
    flags INTEGER NOT NULL DEFAULT 0,  -- model.Flags.to_bits()
    size INTEGER NOT NULL DEFAULT 0,
    has_attachment INTEGER NOT NULL DEFAULT 0,
    in_reply_to TEXT NOT NULL DEFAULT '',
    refs TEXT NOT NULL DEFAULT '',     -- space-separated "<id>" list
    thread_id INTEGER NOT NULL DEFAULT 0,
    parent_id INTEGER,
    body_state INTEGER NOT NULL DEFAULT 0,  -- 0 none, 1 headers only, 2 full
    preview TEXT NOT NULL DEFAULT '',
    sender_sort TEXT NOT NULL DEFAULT '',
    subject_sort TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX messages_folder_uid ON messages(folder_id, uid) WHERE uid IS NOT NULL;
CREATE UNIQUE INDEX messages_folder_local ON messages(folder_id, local_key)
    WHERE local_key IS NOT NULL;
CREATE INDEX messages_folder_date ON messages(folder_id, id, flags);
CREATE INDEX messages_folder_sender ON messages(folder_id, sender_sort, id);
CREATE INDEX messages_folder_subject ON messages(folder_id, subject_sort, id);
CREATE INDEX messages_msgid ON messages(account_id, message_id);
CREATE INDEX messages_reply ON messages(account_id, in_reply_to);
CREATE INDEX messages_thread ON messages(thread_id);

CREATE TABLE bodies (
    id INTEGER PRIMARY KEY,            -- = messages.id
    raw BLOB,                          -- the whole message, when fetched
    headers BLOB                       -- the header block, for headers-only rows
);

CREATE TABLE search_text (
    id INTEGER PRIMARY KEY,            -- = messages.id = fts rowid
    subject TEXT NOT NULL DEFAULT '',
    sender TEXT NOT NULL DEFAULT '',
    to_addr TEXT NOT NULL DEFAULT '',
    cc_addr TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    attachments TEXT NOT NULL DEFAULT ''
);

CREATE VIRTUAL TABLE fts USING fts5(
    subject, sender, to_addr, cc_addr, body, attachments,
    content='search_text', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
);

CREATE TRIGGER search_text_ai AFTER INSERT ON search_text BEGIN
    INSERT INTO fts(rowid, subject, sender, to_addr, cc_addr, body, attachments)
    VALUES (new.id, new.subject, new.sender, new.to_addr, new.cc_addr, new.body, new.attachments);
END;
CREATE TRIGGER search_text_ad AFTER DELETE ON search_text BEGIN
    INSERT INTO fts(fts, rowid, subject, sender, to_addr, cc_addr, body, attachments)
    VALUES ('delete', old.id, old.subject, old.sender, old.to_addr, old.cc_addr, old.body,
            old.attachments);
END;
CREATE TRIGGER search_text_au AFTER UPDATE ON search_text BEGIN
    INSERT INTO fts(fts, rowid, subject, sender, to_addr, cc_addr, body, attachments)
    VALUES ('delete', old.id, old.subject, old.sender, old.to_addr, old.cc_addr, old.body,
            old.attachments);
    INSERT INTO fts(rowid, subject, sender, to_addr, cc_addr, body, attachments)
    VALUES (new.id, new.subject, new.sender, new.to_addr, new.cc_addr, new.body, new.attachments);
END;
CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
    DELETE FROM search_text WHERE id = old.id;
    DELETE FROM bodies WHERE id = old.id;
    UPDATE folders SET total = total - 1, unread = unread - (1 - (old.flags & 1))
        WHERE id = old.folder_id;
END;
CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
    UPDATE folders SET total = total + 1, unread = unread + (1 - (new.flags & 1))
        WHERE id = new.folder_id;
END;
CREATE TRIGGER messages_au AFTER UPDATE OF folder_id, flags ON messages
WHEN old.folder_id != new.folder_id OR (old.flags & 1) != (new.flags & 1) BEGIN
    UPDATE folders SET total = total - 1, unread = unread - (1 - (old.flags & 1))
        WHERE id = old.folder_id;
    UPDATE folders SET total = total + 1, unread = unread + (1 - (new.flags & 1))
        WHERE id = new.folder_id;
END;

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    raw BLOB NOT NULL,
    mail_from TEXT NOT NULL,
    rcpts TEXT NOT NULL,               -- JSON list
    message_id TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at INTEGER,
    created_at INTEGER NOT NULL
);

CREATE TABLE actions (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,             -- JSON object
    state TEXT NOT NULL DEFAULT 'pending',
    error TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX actions_account_state ON actions(account, state, id);

CREATE TABLE pop3_uidl (
    account TEXT NOT NULL,
    uidl TEXT NOT NULL,
    message_row INTEGER,
    fetched_at INTEGER NOT NULL,
    deleted_on_server INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account, uidl)
);

CREATE TABLE drafts (
    account TEXT NOT NULL,
    key TEXT NOT NULL PRIMARY KEY,
    raw BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);
"""

# Replies without In-Reply-To/References join the thread of the newest message of the same
# subject in the account (see Store._thread_of): an index to find it across folders.
_V2 = """
CREATE INDEX messages_account_subject ON messages(account_id, subject_sort, id);
"""

# The outbox is rebuilt with AUTOINCREMENT: an id, once shown to the user ("outbox #7") or
# held by a delivery worker, never names another message later. New columns: the message a
# reply/forward answers (so the app can flag it once the server accepted), `partial` (the
# rest of a message that already reached its other recipients), `notified` (the
# after-acceptance callback has run). A v2 row in `sending` may have been accepted by the
# server (that version marked `sending` before connecting and kept it until the copy to Sent
# was made), so it becomes `committing`: the next delivery checks Sent and holds it as
# `unsure` rather than sending it blindly. v2's held "may already have been sent" rows are
# `unsure` rows by another name.
_V3 = """
CREATE TABLE outbox_v3 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    raw BLOB NOT NULL,
    mail_from TEXT NOT NULL,
    rcpts TEXT NOT NULL,               -- JSON list
    message_id TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at INTEGER,
    created_at INTEGER NOT NULL,
    origin_message_id TEXT NOT NULL DEFAULT '',
    origin_kind TEXT NOT NULL DEFAULT '',  -- 'reply', 'forward' or ''
    partial INTEGER NOT NULL DEFAULT 0,
    notified INTEGER NOT NULL DEFAULT 0
);
INSERT INTO outbox_v3(id, account, raw, mail_from, rcpts, message_id, state, attempts,
                      last_error, next_attempt_at, created_at)
SELECT id, account, raw, mail_from, rcpts, message_id,
       CASE
           WHEN state = 'sending' THEN 'committing'
           WHEN state = 'held' AND last_error LIKE '%may already have been sent%' THEN 'unsure'
           ELSE state
       END,
       attempts, last_error,
       CASE WHEN state = 'sending' THEN NULL ELSE next_attempt_at END,
       created_at
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v3 RENAME TO outbox;
CREATE INDEX outbox_account ON outbox(account, id);
"""

# Namespaces (RFC 2342) and folder identity (RFC 8474): whose folder each is (`kind`: '' own,
# 'other' another user's, 'shared'), the namespace prefix its name starts with (the tree nests
# by what follows), the server's MAILBOXID that survives a rename; per account, the personal
# namespace new folders are created in ("INBOX." and "." on Courier).
_V4 = """
ALTER TABLE folders ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE folders ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE folders ADD COLUMN mailboxid TEXT NOT NULL DEFAULT '';
ALTER TABLE folders ADD COLUMN missing INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN personal_prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN personal_delimiter TEXT NOT NULL DEFAULT '';
"""

# Gmail (the server announces X-GM-EXT-1): labels are folders, so one message is cached once
# per label it carries, and All Mail holds them all. `accounts.gmail` says the account is one;
# `gm_msgid` is Gmail's X-GM-MSGID, the same in every folder (NULL from other servers, and
# when Gmail did not give it). Search shows such a message once (listing.py, `_Copies`).
_V5 = """
ALTER TABLE accounts ADD COLUMN gmail INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN gm_msgid INTEGER;
CREATE INDEX messages_gm_msgid ON messages(account_id, gm_msgid) WHERE gm_msgid IS NOT NULL;
"""

# The search text of a body is kept compressed (`blobs.pack_text`: about a quarter to a half of
# its size; it is read back only for the FTS 'delete' of a changed or removed message, since
# searches select rowids and highlighting works on the rendered message). FTS5 must be handed
# the text it indexed, so the triggers pass the body through `tm_text` (`blobs.register`), which
# also reads the plain text of rows written before: no row is rewritten.
_V6 = """
DROP TRIGGER search_text_ai;
DROP TRIGGER search_text_ad;
DROP TRIGGER search_text_au;
CREATE TRIGGER search_text_ai AFTER INSERT ON search_text BEGIN
    INSERT INTO fts(rowid, subject, sender, to_addr, cc_addr, body, attachments)
    VALUES (new.id, new.subject, new.sender, new.to_addr, new.cc_addr, tm_text(new.body),
            new.attachments);
END;
CREATE TRIGGER search_text_ad AFTER DELETE ON search_text BEGIN
    INSERT INTO fts(fts, rowid, subject, sender, to_addr, cc_addr, body, attachments)
    VALUES ('delete', old.id, old.subject, old.sender, old.to_addr, old.cc_addr,
            tm_text(old.body), old.attachments);
END;
CREATE TRIGGER search_text_au AFTER UPDATE ON search_text BEGIN
    INSERT INTO fts(fts, rowid, subject, sender, to_addr, cc_addr, body, attachments)
    VALUES ('delete', old.id, old.subject, old.sender, old.to_addr, old.cc_addr,
            tm_text(old.body), old.attachments);
    INSERT INTO fts(rowid, subject, sender, to_addr, cc_addr, body, attachments)
    VALUES (new.id, new.subject, new.sender, new.to_addr, new.cc_addr, tm_text(new.body),
            new.attachments);
END;
"""

# Filters that walk or reject most of a large folder when few messages pass them (a search for
# `is:flagged has:attachment` that finds nothing read every row: 80 ms at 100k, 0.4 s with an
# account scope): partial indexes of the messages each keeps, by folder and id, so a search
# reads only those (listing.py, `_search_rows`). Their conditions are the query compiler's SQL
# word for word (query.FLAG_CONDITIONS), without which SQLite does not use them.
_V7 = """
CREATE INDEX IF NOT EXISTS messages_flagged ON messages(folder_id, id) WHERE (flags & 4) != 0;
CREATE INDEX IF NOT EXISTS messages_unread ON messages(folder_id, id) WHERE (flags & 1) = 0;
CREATE INDEX IF NOT EXISTS messages_attachment ON messages(folder_id, id) WHERE has_attachment = 1;
"""

# The messages whose body is not cached, by account and id: what the background download walks
# after every sync and what `search` counts as "not searchable yet". Both read every row of the
# cache without it (65 ms of CPU per call at 100k, even when nothing is missing). The condition
# is written the same way in db.py (`BODY_MISSING`), without which SQLite does not use it.
_V8 = """
CREATE INDEX IF NOT EXISTS messages_body_missing ON messages(account_id, id) WHERE body_state != 2;
"""

# Whether a message is signed or encrypted at its top (mail.headers.sealing_of: 1 signed, 2
# encrypted), from its Content-Type: search says how many encrypted messages it cannot read.
# Messages cached before stay 0 until they are fetched again.
_V9 = """
ALTER TABLE messages ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS messages_encrypted ON messages(account_id, id) WHERE sealed = 2;
"""

# Autocrypt peers (mail.autocrypt, level 1 "peers"), per account: dates in unix seconds, the
# key as sent (binary OpenPGP), prefer-encrypt=mutual as 1.
_V10 = """
CREATE TABLE IF NOT EXISTS autocrypt_peers (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    last_seen INTEGER NOT NULL,
    autocrypt_timestamp INTEGER,
    public_key BLOB,
    mutual INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, address)
);
"""

# Autocrypt gossip: the key someone else's encrypted group mail gave for a peer, and when.
_V11 = """
ALTER TABLE autocrypt_peers ADD COLUMN gossip_timestamp INTEGER;
ALTER TABLE autocrypt_peers ADD COLUMN gossip_key BLOB;
"""

# Messages whose decrypted text is in the search index (store.decrypted_text): found at once
# at each start, to take it out again for an account that no longer allows it.
_V12 = """
CREATE INDEX IF NOT EXISTS messages_decrypted_indexed ON messages(account_id, id)
    WHERE sealed = 3;
"""

MIGRATIONS: list[str] = [_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8, _V9, _V10, _V11, _V12]


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the missing migrations, one transaction each; returns the final version.

    The connection must be in autocommit mode (isolation_level=None).
    """
    version = schema_version(conn)
    if version > len(MIGRATIONS):
        raise ValueError(
            f"the cache has schema version {version}, newer than this tui-mail ({len(MIGRATIONS)})"
        )
    for target in range(version + 1, len(MIGRATIONS) + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in split_statements(MIGRATIONS[target - 1]):
                if not _column_exists(conn, statement):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {target:d}")
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back already (a full disk)
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return len(MIGRATIONS)


_ADD_COLUMN = re.compile(r"\s*ALTER TABLE (\w+) ADD COLUMN (\w+)", re.IGNORECASE)


def _column_exists(conn: sqlite3.Connection, statement: str) -> bool:
    """Whether `statement` adds a column the table has already: a cache marked with an older
    version than it is (copied back, or relabelled by a test) migrates without an error."""
    added = _ADD_COLUMN.match(statement)
    return added is not None and any(
        row[1] == added.group(2) for row in conn.execute(f"PRAGMA table_info({added.group(1)})"))


def split_statements(script: str) -> list[str]:
    """Split a script into complete statements (triggers contain semicolons)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
