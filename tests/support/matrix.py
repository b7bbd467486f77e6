"""One user's mailbox on a server of the IMAP matrix (tests/matrix), with tui-mail's cache and
mail service, driven the way the app and the CLI drive them; messages as a server gets them,
and waiting for what happens in the background."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.utils import format_datetime, make_msgid
from pathlib import Path

from tests.servers.dovecot import MailUser
from tests.servers.imapserver import ImapServer, OtherClient
from tui_mail.model import Account, Folder, MessageSummary
from tui_mail.store.db import Store
from tui_mail.store.types import View
from tui_mail.sync.account_sync import AccountSyncResult
from tui_mail.sync.events import Notice
from tui_mail.sync.service import MailService

TIMEOUT = 20.0  # seconds for one IMAP exchange: local servers, but two workers on two cores
WAIT = 30.0  # the bound for what happens in the background (not a timing)


def raw_message(subject: str, body: str = "Hello.\n", *, sender: str = "Ann <ann@example.test>",
                to: str = "me@example.test", minutes_ago: int = 0,
                message_id: str | None = None) -> bytes:
    """A message as a mail server would get it: headers in ASCII (RFC 2047; Cyrus turns 8-bit
    header bytes into X), the body in UTF-8."""
    date = format_datetime(datetime.now(UTC) - timedelta(minutes=minutes_ago))
    subject = Header(subject, "utf-8").encode() if not subject.isascii() else subject
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: {message_id or make_msgid(domain='example.test')}\r\n"
            f"Date: {date}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Transfer-Encoding: 8bit\r\n\r\n{body}").encode()


def wait_until(condition: Callable[[], object], timeout: float = WAIT, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what or condition}"
        time.sleep(0.05)


@dataclass
class Mailbox:
    """One user's account on one matrix server, with tui-mail's cache and mail service."""

    server: ImapServer
    user: MailUser
    account: Account
    cache: Path
    service: MailService
    events: list[object] = field(default_factory=list)

    def other(self) -> OtherClient:
        """Another client logged in as the same user (use with `with`)."""
        return OtherClient(self.server, self.user)

    def sync(self, *, bodies: bool = False) -> AccountSyncResult:
        """What `tui-mail sync` does: queued actions first, then every folder."""
        return self.service.sync_once(self.account, self.events.append, bodies=bodies)

    def folders(self) -> dict[str, Folder]:
        with Store.open(self.cache, readonly=True) as store:
            return {f.name: f for f in store.folders(self.account.name)}

    def rows(self, folder: str = "INBOX") -> dict[str, MessageSummary]:
        """The cached folder as the interface lists it, by subject."""
        with Store.open(self.cache, readonly=True) as store:
            cached = store.folder(self.account.name, folder)
            if cached is None:
                return {}
            return {row.subject: row for row in store.listing.page(View.of(cached), 0, 1000)}

    def body(self, row: MessageSummary) -> bytes:
        """The message as opening it in the app gets it (from the server if not cached)."""
        return self.service.fetch_body(row).result(timeout=WAIT)

    def act(self, kind: str, subjects: list[str], folder: str = "INBOX",
            target: str | None = None) -> None:
        rows = self.rows(folder)
        self.service.act(kind, [rows[s] for s in subjects], target)

    def notices(self) -> list[str]:
        return [e.message for e in self.events if isinstance(e, Notice)]
