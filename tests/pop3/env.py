"""A fresh mailbox on the real Dovecot of the test session, and test messages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_mail.model import Account, Address, Protocol, Security, ServerConfig
from tui_mail.remote.connection import Credentials
from tui_mail.remote.pop3 import Pop3Session


def message(n: int, tag: str = "m") -> bytes:
    """A small distinct message; its Message-ID is <tag-n@test>."""
    return (
        f"From: Sender {n} <sender{n}@example.com>\r\n"
        f"To: user@example.com\r\n"
        f"Subject: {tag} number {n}\r\n"
        f"Date: Mon, 01 Jan 2024 10:{n // 60 % 60:02d}:{n % 60:02d} +0000\r\n"
        f"Message-ID: <{tag}-{n}@test>\r\n"
        "\r\n"
        f"Body of {tag} {n}.\r\n"
        ".a line that starts with a dot\r\n"
    ).encode()


@dataclass
class Pop3Env:
    """One fresh mailbox on the real Dovecot and the ways to reach it."""

    servers: Any
    user: Any

    @property
    def username(self) -> str:
        return self.user.login

    @property
    def password(self) -> str:
        return self.user.password

    def server(self, security: Security = Security.TLS, *, ca_file: Path | None = None) -> ServerConfig:
        port = (
            self.servers.pop3_tls_port
            if security is Security.TLS
            else self.servers.pop3_starttls_port
        )
        return ServerConfig(
            Protocol.POP3, "127.0.0.1", port, security, self.username,
            ca_file=ca_file or self.servers.ca_file, timeout=20.0,
        )

    def account(self, security: Security = Security.TLS, delete_after: int | None = None) -> Account:
        return Account(
            name=f"pop-{self.user.name}",
            address=Address("", self.user.address),
            incoming=self.server(security),
            smtp=None,
            pop3_delete_after_days=delete_after,
        )

    @property
    def creds(self) -> Credentials:
        return Credentials(self.username, self.password)

    def deliver_many(self, messages: list[bytes]) -> None:
        self.servers.deliver_many(self.user, messages)

    def on_server(self) -> int:
        with Pop3Session.open(self.server(), self.creds) as session:
            count, _ = session.stat()
            session.quit()
        return count


