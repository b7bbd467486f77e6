"""The IMAP servers of the matrix, each started on first use and kept for the session.

Every entry is an `ImapServer` (tests/servers/imapserver.py). Labels:
- "dovecot": Dovecot as the rest of the suite runs it (no namespace prefix, "/").
- "dovecot-inbox-prefix": Dovecot naming folders the Courier way ("INBOX.", ".").
- "cyrus": Cyrus as Debian configures it (altnamespace off: "INBOX.", ".").
- "cyrus-altns-slash": Cyrus's upstream default (altnamespace on, unixhierarchysep: "", "/").
- "cyrus-altns", "cyrus-slash": the other two combinations, for the namespace tests.
- "courier": Courier-IMAP ("INBOX.", ".").
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers.certs import TestCertificates
from tests.servers.dovecot import SPECIAL_USE_FOLDERS, Dovecot, DovecotSettings, MailUser
from tests.servers.imapserver import ImapServer, Namespace
from tests.servers.netutil import HOST

MATRIX = ("dovecot", "dovecot-inbox-prefix", "cyrus", "cyrus-altns-slash", "courier")
"""The servers every server-behaviour test runs against."""

NAMESPACE_MATRIX = (*MATRIX, "cyrus-altns", "cyrus-slash")
"""Also the other two Cyrus combinations of altnamespace and hierarchy separator."""


@dataclass
class DovecotInMatrix:
    """A Dovecot as an `ImapServer`. Its users get Drafts, Sent, Trash, Junk and Archive
    only when asked (`new_user(special_folders=True)`); the folders carry SPECIAL-USE flags."""

    dovecot: Dovecot
    certs: TestCertificates
    label: str
    namespace: Namespace
    host: str = HOST
    _own: set[str] = field(default_factory=set)

    @property
    def imap_tls_port(self) -> int:
        assert self.dovecot.ports.imap_tls is not None
        return self.dovecot.ports.imap_tls

    @property
    def imap_starttls_port(self) -> int:
        return self.dovecot.ports.imap_starttls

    @property
    def pop3_tls_port(self) -> int | None:
        return self.dovecot.ports.pop3_tls

    @property
    def ca_file(self) -> Path:
        return self.certs.ca_file

    @property
    def running(self) -> bool:
        return self.dovecot.running

    def new_user(self, special_folders: bool = True) -> MailUser:
        user = self.dovecot.new_user()
        if special_folders:
            for name in SPECIAL_USE_FOLDERS:
                self.dovecot.doveadm("mailbox", "create", "-s", "-u", user.login,
                                     self.namespace.folder(name))
        return user

    def start(self) -> None:
        self.dovecot.start()

    def stop(self) -> None:
        self.dovecot.stop()

    def close(self) -> None:
        self.dovecot.stop()
        shutil.rmtree(self.dovecot.root, ignore_errors=True)


def start_dovecot(label: str, certs: TestCertificates) -> DovecotInMatrix:
    namespace = Namespace("INBOX.", ".") if label == "dovecot-inbox-prefix" else Namespace("", "/")
    variant = DovecotSettings(namespace_prefix=namespace.prefix, separator=namespace.delimiter,
                              special_folders=False)
    root = Path(tempfile.mkdtemp(prefix=f"tuimail-{label}-"))
    root.chmod(0o755)  # Dovecot's service user must reach its files
    dovecot = Dovecot(root, certs.cert_file, certs.key_file, variant)
    dovecot.start()
    return DovecotInMatrix(dovecot, certs, label, namespace)


def start_server(label: str, certs: TestCertificates) -> ImapServer:
    """Start the matrix server `label` (see the module docstring)."""
    if label.startswith("dovecot"):
        return start_dovecot(label, certs)
    root = Path(tempfile.mkdtemp(prefix=f"tuimail-{label}-"))
    root.chmod(0o755)
    server: ImapServer
    if label.startswith("cyrus"):
        from tests.servers.cyrus import VARIANTS, start_cyrus

        altnamespace, slash = VARIANTS[label]
        server = start_cyrus(root, certs, altnamespace=altnamespace, unixhierarchysep=slash)
    elif label == "courier":
        from tests.servers.courier import start_courier

        server = start_courier(root, certs)
    else:
        raise ValueError(f"no matrix server {label!r}")
    assert server.label == label, (server.label, label)
    return server


def close_server(server: ImapServer) -> None:
    """Stop the server and remove its files."""
    for name in ("remove", "close", "stop"):
        end = getattr(server, name, None)
        if end is not None:
            end()
            return
