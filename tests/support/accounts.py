"""Accounts on the test servers (`tests/servers`): IMAP over implicit TLS in, SMTP submission
out, both trusting the suite's CA. One factory for every suite that needs such an account."""

from __future__ import annotations

from typing import Any

from tui_mail.model import Account, Address, Protocol, Security, ServerConfig

TIMEOUT = 20.0  # seconds; the servers are local, but two xdist workers share two cores


def server_account(servers: Any, name: str, login: str, address: str, *,
                   display_name: str | None = None,
                   smtp_security: Security = Security.STARTTLS, smtp_port: int | None = None,
                   password_command: str | None = None) -> Account:
    """An account `name` for the mailbox `login` on `servers` (a `MailServers`)."""
    common: dict[str, Any] = {"ca_file": servers.ca_file, "timeout": TIMEOUT,
                              "password_command": password_command}
    imap = ServerConfig(Protocol.IMAP, "127.0.0.1", servers.imap_tls_port, Security.TLS, login,
                        **common)
    if smtp_port is None:
        smtp_port = (servers.smtp_starttls_port if smtp_security is Security.STARTTLS
                     else servers.smtp_tls_port)
    smtp = ServerConfig(Protocol.SMTP, "127.0.0.1", smtp_port, smtp_security, login, **common)
    display = name.title() if display_name is None else display_name
    return Account(name=name, address=Address(display, address), incoming=imap, smtp=smtp)
