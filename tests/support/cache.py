"""The reading interface's cache: two accounts filled through the store's own API, with fixed
dates and one hostile message; and the messages it is made of.

"Now" is frozen at NOW for the date column, so snapshots do not change from day to day.
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from tui_mail.model import Flags, FolderRole, MessageSummary
from tui_mail.store.blobs import register
from tui_mail.store.db import Store
from tui_mail.store.types import NewMessage

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)

HOSTILE_SUBJECT = (
    "[@click=app.quit]x[/] Re: [/] oops [bold]B[/bold] [link=https://evil.example]L[/link]"
    "\x1b]52;c;ZXZpbA==\x07\x1b[2J\x1b[H\x1b[5A\u202egnp.exe\u202c\u200bend"
)
HOSTILE_SENDER = "[@click=app.quit]Mallory[/] \x1b[31m"
HOSTILE_FILENAME = "[bold]evil [@click=app.quit]q \x1b[2J\u202efdp.exe"  # no "/": that is a path
LONG_LINE = "A" * 20_000


def encoded_word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def plain_message(subject: str, sender: str, when: datetime, body: str, *,
                  to: str = "Sam <sam@example.com>", message_id: str = "",
                  in_reply_to: str = "", html: str | None = None,
                  attachment: tuple[str, bytes] | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    digest = hashlib.sha1(f"{subject}{when.isoformat()}".encode()).hexdigest()[:12]
    msg["Message-ID"] = message_id or f"<{digest}@example.com>"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    if attachment is not None:
        name, data = attachment
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return msg.as_bytes()


def hostile_message(when: datetime) -> bytes:
    """Headers carried in encoded words so the control characters survive transport."""
    body = (
        "Look: [bold]not bold[/bold] [@click=app.quit]click[/] [link=https://evil.example]x[/link]\n"
        "OSC 52: \x1b]52;c;ZXZpbA==\x07 clear: \x1b[2J\x1b[H up: \x1b[5A bidi: \u202eevil\u202c"
        " zero\u200bwidth\n"
        f"{LONG_LINE}\n"
        "> quoted [bold]line[/bold]\n"
    )
    attachment = base64.encodebytes(b"%PDF-1.4 hostile").decode()
    raw = (
        f"From: {encoded_word(HOSTILE_SENDER)} <mallory@example.com>\r\n"
        "To: Sam <sam@example.com>\r\n"
        f"Subject: {encoded_word(HOSTILE_SUBJECT)}\r\n"
        f"Date: {format_datetime(when)}\r\n"
        "Message-ID: <hostile@example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n'
        "\r\n"
        "--b\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(body.encode()).decode().replace("\n", "\r\n")
        + "\r\n--b\r\n"
        "Content-Type: application/pdf\r\n"
        f"Content-Disposition: attachment; filename*=utf-8''"
        f"{''.join(f'%{b:02X}' for b in HOSTILE_FILENAME.encode())}\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        + attachment.replace("\n", "\r\n")
        + "\r\n--b--\r\n"
    )
    return raw.encode()


PEOPLE = ["Alice Archer <alice@example.com>", "Bob Baker <bob@example.org>",
          "Carol Chen <carol@example.net>", "Dan Diaz <dan@example.com>"]


def fill_cache(path: Path, *, inbox_size: int = 30, hostile: bool = True) -> Store:
    """Two accounts; `work` has every special folder, nested lists and a thread."""
    store = Store.open(path)
    for name, role in [("INBOX", FolderRole.INBOX), ("Drafts", FolderRole.DRAFTS),
                       ("Sent", FolderRole.SENT), ("Archive", FolderRole.ARCHIVE),
                       ("Junk", FolderRole.JUNK), ("Trash", FolderRole.TRASH),
                       ("Lists", FolderRole.NONE), ("Lists/python", FolderRole.NONE)]:
        store.ensure_folder("work", name, role)
    store.ensure_folder("home", "INBOX", FolderRole.INBOX)
    items = []
    for i in range(inbox_size):
        when = NOW - timedelta(hours=5 * i + 1)
        sender = PEOPLE[i % len(PEOPLE)]
        flags = Flags(seen=i % 3 != 0, flagged=i % 7 == 0, answered=i % 5 == 0)
        attach = ("report.pdf", b"%PDF-1.4 report") if i % 4 == 0 else None
        html = f"<p>Hello <b>HTML</b> number {i}</p><a href='https://example.com/{i}'>link</a>"
        raw = plain_message(f"Message number {i:02d} about topic {i % 5}", sender, when,
                            f"Hello,\n\nthis is message {i}.\n\n> quoted once\n>> quoted twice\n",
                            html=html if i % 2 == 0 else None, attachment=attach,
                            message_id=f"<m{i}@example.com>",
                            in_reply_to="<m1@example.com>" if i == 0 else "")
        items.append(NewMessage(uid=100 + i, flags=flags, raw=raw, size=len(raw)))
    if hostile:
        raw = hostile_message(NOW - timedelta(minutes=30))
        items.append(NewMessage(uid=999, flags=Flags(), raw=raw, size=len(raw)))
    store.add_messages("work", "INBOX", items)
    home = [NewMessage(uid=1, flags=Flags(), raw=plain_message(
        "Dinner on Friday?", "Mum <mum@example.org>", NOW - timedelta(days=2), "Come over!"))]
    store.add_messages("home", "INBOX", home)
    lists = [NewMessage(uid=1, flags=Flags(seen=True), raw=plain_message(
        "[Python-Dev] PEP 999", "Guido <guido@example.org>", NOW - timedelta(days=40),
        "A list message."))]
    store.add_messages("work", "Lists/python", lists)
    return store


def add_message(cache_path: Path, subject: str, body: str, *,
                attachment: tuple[str, bytes] | None = None) -> None:
    """A message newer than every other, so it is the first row of All inboxes."""
    raw = plain_message(subject, "Robin <robin@example.com>", NOW - timedelta(minutes=1), body,
                        attachment=attachment)
    store = Store.open(cache_path)
    store.add_messages("work", "INBOX", [NewMessage(uid=7000, flags=Flags(), raw=raw,
                                                    size=len(raw))])
    store.close()


def cached_row(store: Store, message_row_id: int) -> MessageSummary:
    """The cache's row of a message the test knows is there (fails if it is not)."""
    row = store.message_row(message_row_id)
    assert row is not None, f"message {message_row_id} is not in the cache"
    return row


@contextmanager
def cache_file(store: Store) -> Iterator[sqlite3.Connection]:
    """A connection of the test's own to the store's file, as any SQLite tool opens it: to
    read what the store wrote, or to damage it (each statement commits at once). It has the
    cache's one SQL function, which the search index's triggers call."""
    conn = sqlite3.connect(store.path, isolation_level=None, timeout=10)
    register(conn)
    try:
        yield conn
    finally:
        conn.close()


class Rows(list[Any]):
    """The rows a statement read, with a cursor's fetchone and fetchall."""

    def fetchone(self) -> Any:  # noqa: ANN401 - a row of the test's query
        return self[0] if self else None

    def fetchall(self) -> list[Any]:
        return list(self)


def sql(store: Store, statement: str, params: Sequence[object] = ()) -> Rows:
    """`statement` run on the store's file through a connection of the test's own
    (see cache_file), its rows read at once."""
    with cache_file(store) as conn:
        return Rows(conn.execute(statement, tuple(params)).fetchall())
