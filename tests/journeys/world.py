"""A user's world for the journeys: a home folder, a config written as the README tells a user
to write it, a mailbox on the suite's Dovecot (or on another IMAP server of the matrix: Cyrus,
Courier), a correspondent, and mail to read.

The config follows the README's example ("Set up an account"): `~/.config/tui-mail/config.toml`
(here under `$XDG_CONFIG_HOME`), an `[accounts.work]` account with an IMAP server over TLS and
an SMTP server with STARTTLS, `ca_file` to trust a private CA (the suite's), and
`password_command` because this machine has no keyring (the README's way out). Nothing else:
no `sync --bodies`, no cache filled by the test.

With `imap_server` (an `ImapServer` of tests/servers/imap_matrix.py) the mailbox is on that server
and mail arrives there by APPEND; sending still goes through the suite's Postfix, which only
knows Dovecot's users, so the `[accounts.work.smtp]` table names its own `username` and
password command, as a user whose provider sends under another login writes it.
"""

from __future__ import annotations

import imaplib
import os
import ssl
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

ACCOUNT = "work"


def message(subject: str, body: str, *, sender: str = "Alice Archer <alice@example.com>",
            to: str = "me@example.test", when: datetime | None = None,
            html: str | None = None, attachment: bytes | None = None,
            message_id: str | None = None) -> bytes:
    """A message as a correspondent's client would send it."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when or datetime.now(UTC))
    msg["Message-ID"] = message_id or make_msgid(domain="example.com")
    if html is not None and not body:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    if attachment is not None:
        msg.add_attachment(attachment, maintype="application", subtype="octet-stream",
                           filename="big-report.bin")
    return msg.as_bytes()


@dataclass
class MailWorld:
    """One user's machine and mailbox on `servers` (a tests.servers MailServers), or on
    `imap_server` when given (its `user`; the correspondent stays on `servers`)."""

    servers: Any
    home: Path
    user: Any = None
    friend: Any = None
    env: dict[str, str] = field(default_factory=dict)
    imap_server: Any = None
    smtp_user: Any = None  # the login for sending; the user's own when on `servers`

    def __post_init__(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.user = self.user or (self.imap_server or self.servers).new_user()
        self.friend = self.friend or self.servers.new_user()
        if self.smtp_user is None:
            self.smtp_user = self.user if self.imap_server is None else self.servers.new_user()
        self.env = {
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "XDG_STATE_HOME": str(self.home / ".local" / "state"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
            "TERM": "screen-256color",
            "LANG": "C.UTF-8",
            # A headless machine: no keyring, as the README's "without a keyring" case.
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }

    # ---- files ------------------------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        return Path(self.env["XDG_CONFIG_HOME"]) / "tui-mail" / "config.toml"

    @property
    def data_dir(self) -> Path:
        return Path(self.env["XDG_DATA_HOME"]) / "tui-mail"

    @property
    def cache(self) -> Path:
        return self.data_dir / "cache.sqlite3"

    @property
    def log_file(self) -> Path:
        return Path(self.env["XDG_STATE_HOME"]) / "tui-mail" / "tui-mail.log"

    def write_config(self, extra_account_keys: str = "", ui: str = "",
                     protocol: str = "imap") -> Path:
        """The README's example, with this machine's servers, CA and password file; with
        `protocol="pop3"`, its POP3 account (`[accounts.home]`: POP3 over TLS)."""
        secret = self._password_file("work.password", self.user)
        smtp_login = ""
        smtp_secret = secret
        if self.smtp_user is not self.user:
            smtp_login = f'username = "{self.smtp_user.login}"\n'
            smtp_secret = self._password_file("smtp.password", self.smtp_user)
        s = self.servers
        imap = self.incoming
        self.config_path.write_text(f'''theme = "tui-mail-dark"

[ui]
mark_read_on_open = true
attachments_dir = "{self.home / 'Downloads'}"
{ui}
[accounts.{ACCOUNT}]
address = "{self.user.address}"
display_name = "Me Myself"
{extra_account_keys}
[accounts.{ACCOUNT}.incoming]
protocol = "{protocol}"
host = "{imap.host}"
port = {imap.pop3_tls_port if protocol == "pop3" else imap.imap_tls_port}
security = "tls"
username = "{self.user.login}"
ca_file = "{imap.ca_file}"
password_command = "cat {secret}"

[accounts.{ACCOUNT}.smtp]
host = "{s.host}"
port = {s.smtp_starttls_port}
security = "starttls"
{smtp_login}ca_file = "{s.ca_file}"
password_command = "cat {smtp_secret}"
''')
        return self.config_path

    def write_oauth2_config(self) -> Path:
        """The README's OAuth2 example ("Signing in with ... another OAuth2 provider") with this
        machine's servers and the suite's authorization server: no password anywhere."""
        from tests.support.accounts import oauth2_config_toml

        self.config_path.parent.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text('theme = "tui-mail-dark"\n' + oauth2_config_toml(
            self.servers, self.user, ACCOUNT, display_name="Me Myself"))
        return self.config_path

    def _password_file(self, name: str, user: Any) -> Path:
        secret = self.home / ".config" / "tui-mail" / name
        secret.parent.mkdir(parents=True, exist_ok=True)
        secret.write_text(user.password + "\n")
        secret.chmod(0o600)
        return secret

    @property
    def incoming(self) -> Any:
        """The server the user reads mail from (host, imap_tls_port, ca_file)."""
        return self.imap_server or self.servers

    def _server_of(self, user: Any) -> Any:
        """Where `user` has its mailbox: the correspondent and the sending login on the
        suite's Dovecot, everyone else on the world's IMAP server."""
        if user is self.friend or (user is self.smtp_user and user is not self.user):
            return self.servers
        return self.incoming

    # ---- mail -------------------------------------------------------------------------------

    def deliver(self, subject: str, body: str, **kw: Any) -> bytes:
        """Mail from a correspondent arrives in the user's INBOX on the server."""
        raw = message(subject, body, to=self.user.address, **kw)
        if self.imap_server is None:
            self.servers.deliver(self.user, raw)
        else:
            self.append(raw)
        return raw

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        """`raw` put into `folder` of the user's mailbox by another client (IMAP APPEND)."""
        client = self.imap()
        try:
            typ, data = client.append(folder, "", None, raw)
            assert typ == "OK", f"APPEND to {folder} refused: {data!r}"
        finally:
            client.logout()

    def imap(self, user: Any = None) -> imaplib.IMAP4_SSL:
        """A separate IMAP session on the server, as another client would have."""
        who = user or self.user
        server = self._server_of(who)
        context = ssl.create_default_context(cafile=str(server.ca_file))
        client = imaplib.IMAP4_SSL(server.host, server.imap_tls_port,
                                   ssl_context=context, timeout=20)
        client.login(who.login, who.password)
        return client

    def server_messages(self, folder: str = "INBOX", user: Any = None
                        ) -> list[tuple[bytes, EmailMessage]]:
        """(FLAGS, message) of every message in a folder on the server."""
        client = self.imap(user)
        try:
            typ, count = client.select(folder, readonly=True)
            if typ != "OK" or count[0] in (b"0", None):  # "1:*" of an empty folder is BAD
                return []
            typ, data = client.fetch("1:*", "(FLAGS BODY.PEEK[])")
            out = []
            for item in data or []:
                if isinstance(item, tuple):
                    msg = message_from_bytes(item[1], policy=policy.default)
                    out.append((item[0], msg))
            return out
        finally:
            client.logout()

    def subjects(self, folder: str = "INBOX", user: Any = None) -> list[str]:
        return [str(m["Subject"]) for _flags, m in self.server_messages(folder, user)]


def unique(text: str) -> str:
    """`text` with a short unique tag, so that a screen shows one test's words only."""
    return f"{text} {uuid.uuid4().hex[:6]}"


def minutes_ago(minutes: int) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)
