"""Users on the test servers (`tests/servers`) with an account each, and what their mailboxes
hold, read back over IMAP (delivery through Postfix is queued: the readers wait for it)."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import imapclient

from tests.support.accounts import server_account
from tui_mail.model import Account, Security
from tui_mail.remote.connection import Credentials, ssl_context
from tui_mail.sync.outbox import Outbox


@dataclass
class User:
    login: str
    password: str
    address: str
    account: Account

    @property
    def creds(self) -> Credentials:
        return Credentials(self.login, self.password)


def make_user(servers: Any, name: str, login: str, password: str, address: str, *,
              smtp_port: int | None = None, security: Security = Security.STARTTLS) -> User:
    account = server_account(servers, name, login, address, smtp_security=security,
                             smtp_port=smtp_port)
    return User(login, password, address, account)


def imap_client(servers: Any, user: User) -> imapclient.IMAPClient:
    client = imapclient.IMAPClient("127.0.0.1", port=servers.imap_tls_port, ssl=True,
                                   ssl_context=ssl_context(user.account.incoming), timeout=20)
    client.login(user.login, user.password)
    return client


def fetch_all(servers: Any, user: User, folder: str = "INBOX") -> list[bytes]:
    client = imap_client(servers, user)
    try:
        if not client.folder_exists(folder):
            return []
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        data = client.fetch(uids, [b"BODY.PEEK[]"]) if uids else {}
        return [data[uid][b"BODY[]"] for uid in sorted(data)]
    finally:
        client.logout()


def flags_of(servers: Any, user: User, folder: str) -> list[tuple[bytes, ...]]:
    client = imap_client(servers, user)
    try:
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        return [v[b"FLAGS"] for v in client.fetch(uids, ["FLAGS"]).values()] if uids else []
    finally:
        client.logout()


def wait_for(servers: Any, user: User, count: int = 1, folder: str = "INBOX",
             limit: float = 30.0) -> list[EmailMessage]:
    """Poll until `count` messages are in the folder (delivery through Postfix is queued)."""
    deadline = time.monotonic() + limit
    while True:
        raws = fetch_all(servers, user, folder)
        if len(raws) >= count or time.monotonic() > deadline:
            return [message_from_bytes(r, policy=policy.default) for r in raws]
        time.sleep(0.2)


def wait_for_subject(servers: Any, user: User, subject: str, limit: float = 30.0) -> list[EmailMessage]:
    """Poll until a message with `subject` is in the INBOX; returns the whole INBOX."""
    deadline = time.monotonic() + limit
    while True:
        got = wait_for(servers, user, 0)
        if any(m["Subject"] == subject for m in got) or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def wait_for_each(servers: Any, users: list[User], expected: list[int]) -> list[list[EmailMessage]]:
    """Wait until each user has the expected number of messages."""
    return [wait_for(servers, u, n) for u, n in zip(users, expected, strict=True)]


def with_smtp(account: Account, **changes: Any) -> Account:
    assert account.smtp is not None
    return replace(account, smtp=replace(account.smtp, **changes))


def wait_until_known(mail_servers: Any, login: str) -> None:
    """Dovecot may need a moment to re-read its user file after `new_user()`."""
    for _ in range(100):
        if mail_servers.doveadm("user", login, check=False).returncode == 0:
            return
        time.sleep(0.05)
    raise RuntimeError(f"Dovecot does not know the new user {login}")


def with_password_file(user: User, directory: Path, **changes: Any) -> Account:
    """The user's account as a config would have it: the password comes from `cat FILE`."""
    secret = directory / f"{user.login.split('@')[0]}.pass"
    secret.write_text(user.password + "\n")
    secret.chmod(0o600)
    from dataclasses import replace

    command = f"cat {secret}"
    account = user.account
    assert account.smtp is not None
    return replace(account, incoming=replace(account.incoming, password_command=command),
                   smtp=replace(account.smtp, password_command=command), **changes)


def outbox_for(store: Any, user: User, **kw: Any) -> Outbox:
    """The outbox of `user`'s account, signing in with the user's password."""
    return Outbox(store, user.account, smtp_credentials=lambda: user.creds,
                  imap_credentials=lambda: user.creds, **kw)
