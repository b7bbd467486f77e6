"""What the server-matrix tests need of any IMAP server, and "another client" that talks to it.

Dovecot, Cyrus IMAP and Courier-IMAP each implement `ImapServer` (tests/servers/dovecot.py,
cyrus.py, courier.py). Everything a test does to a mailbox besides what tui-mail does goes
through `OtherClient`: plain IMAP as the user, so it works the same on every server and shows
the server's real answers (no doveadm, no Maildir files).
"""

from __future__ import annotations

import email
import email.policy
import ssl
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

import imapclient

from .dovecot import MailUser
from .netutil import HOST


@dataclass(frozen=True)
class Namespace:
    """How a server names the user's own folders: `prefix` + parts joined by `delimiter`.

    Dovecot as the suite runs it: ("", "/"). Courier: ("INBOX.", "."). Cyrus with altnamespace
    off: ("INBOX.", ".") or ("INBOX/", "/"); with altnamespace on: ("", "." or "/").
    """

    prefix: str
    delimiter: str

    def folder(self, *parts: str) -> str:
        """The server's name for the personal folder `parts` ("Work", "2024" -> "INBOX.Work.2024")."""
        return self.prefix + self.delimiter.join(parts)


@runtime_checkable
class ImapServer(Protocol):
    """One running IMAP server the matrix tests connect tui-mail to.

    `label` is the pytest id ("dovecot", "cyrus-altns-slash", "courier"). Ports are on `HOST`
    with the suite's certificates (`ca_file` verifies them). `pop3_tls_port` is None when the
    server is run without POP3.
    """

    # Read-only properties: a server may hold these as attributes or compute them (Cyrus's
    # ports and namespace come from its settings).
    @property
    def label(self) -> str: ...

    @property
    def host(self) -> str: ...

    @property
    def imap_tls_port(self) -> int: ...

    @property
    def imap_starttls_port(self) -> int: ...

    @property
    def pop3_tls_port(self) -> int | None: ...

    @property
    def ca_file(self) -> Path: ...

    @property
    def namespace(self) -> Namespace: ...

    def new_user(self) -> MailUser:
        """A user no test has used yet, with an empty INBOX; it can log in at once."""
        ...

    @property
    def running(self) -> bool: ...

    def start(self) -> None:
        """Start (again, after `stop()`), keeping every mailbox; returns once it accepts logins."""
        ...

    def stop(self) -> None:
        """Stop; connected clients see their connection closed."""
        ...


class OtherClient:
    """Another IMAP client logged in as `user` (a phone, webmail): changes the mailbox under
    tui-mail's feet. Use as a context manager; every call is one short IMAP exchange."""

    def __init__(self, server: ImapServer, user: MailUser) -> None:
        context = ssl.create_default_context(cafile=str(server.ca_file))
        self.client = imapclient.IMAPClient(server.host, server.imap_tls_port, ssl=True,
                                            ssl_context=context, timeout=20)
        self.client.login(user.login, user.password)
        self.namespace = server.namespace

    def __enter__(self) -> OtherClient:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.client.logout()
        except Exception:  # noqa: BLE001 - the server may be gone already
            self.client.shutdown()

    def folder(self, *parts: str) -> str:
        return self.namespace.folder(*parts)

    def deliver(self, raw: bytes, folder: str = "INBOX", flags: Iterable[str] = (),
                when: datetime | None = None) -> int:
        """APPEND a message; returns its UID (from APPENDUID, else the highest UID)."""
        answer = self.client.append(folder, raw, tuple(flags), when)
        text = answer.decode() if isinstance(answer, bytes) else str(answer)
        if "APPENDUID" in text.upper():
            return int(text.upper().split("APPENDUID", 1)[1].split()[1].rstrip("]"))
        return max(self.uids(folder))

    def uids(self, folder: str = "INBOX") -> list[int]:
        self.client.select_folder(folder, readonly=True)
        return sorted(self.client.search(["ALL"]))

    def flags(self, folder: str, uid: int) -> set[str]:
        self.client.select_folder(folder, readonly=True)
        got = self.client.get_flags([uid]).get(uid, ())
        return {f.decode() if isinstance(f, bytes) else f for f in got}

    def set_flags(self, folder: str, uids: Sequence[int], flags: Iterable[str],
                  add: bool = True) -> None:
        self.client.select_folder(folder)
        if add:
            self.client.add_flags(list(uids), list(flags))
        else:
            self.client.remove_flags(list(uids), list(flags))

    def expunge(self, folder: str, uids: Sequence[int]) -> None:
        self.client.select_folder(folder)
        self.client.add_flags(list(uids), [imapclient.DELETED])
        self.client.expunge()

    def folders(self) -> list[str]:
        return [name for _flags, _delim, name in self.client.list_folders()]

    def create(self, folder: str) -> None:
        self.client.create_folder(folder)

    def delete(self, folder: str) -> None:
        self.client.delete_folder(folder)

    def rename(self, old: str, new: str) -> None:
        self.client.rename_folder(old, new)

    def subjects(self, folder: str = "INBOX") -> list[str]:
        """The Subject of each message in `folder`, in UID order."""
        self.client.select_folder(folder, readonly=True)
        uids = sorted(self.client.search(["ALL"]))
        if not uids:
            return []
        fetched = self.client.fetch(uids, ["BODY.PEEK[HEADER]"])
        out = []
        for uid in uids:
            header = email.message_from_bytes(fetched[uid][b"BODY[HEADER]"],
                                              policy=email.policy.default)
            out.append(str(header.get("Subject", "")))
        return out


@contextmanager
def other_client(server: ImapServer, user: MailUser) -> Iterator[OtherClient]:
    with OtherClient(server, user) as client:
        yield client


__all__ = ["HOST", "ImapServer", "Namespace", "OtherClient", "other_client"]
