"""A Dovecot set up to look like Gmail's IMAP: `X-GM-EXT-1` announced, the system folders under
`[Gmail]/` with Gmail's SPECIAL-USE flags, and a plain "Trash" label such as an old client
leaves behind. A message with two labels is played by delivering the same bytes to two folders.

What it cannot play: Dovecot implements none of Gmail's extensions, so `FETCH X-GM-MSGID` is
answered BAD (the client falls back to Message-ID, which is what these tests exercise), there
is no X-GM-LABELS, and a MOVE into All Mail adds a second copy there instead of dropping a label.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.servers.dovecot import Dovecot, MailUser
from tests.servers.mailservers import MailServers
from tests.support.accounts import server_account
from tui_mail.model import Account

ALL_MAIL = "[Gmail]/All Mail"
TRASH = "[Gmail]/Trash"
SENT = "[Gmail]/Sent Mail"
DRAFTS = "[Gmail]/Drafts"
SPAM = "[Gmail]/Spam"
STARRED = "[Gmail]/Starred"
OLD_TRASH_LABEL = "Trash"  # a label named Trash, without the \Trash flag

GMAIL_SETTINGS = {"imap_capability": "+X-GM-EXT-1"}

_GMAIL_FOLDERS = {ALL_MAIL: "\\All", TRASH: "\\Trash", SENT: "\\Sent", DRAFTS: "\\Drafts",
                  SPAM: "\\Junk", STARRED: "\\Flagged"}


def _mailbox(name: str, special_use: str, auto: str) -> str:
    return f'  mailbox "{name}" {{\n    special_use = {special_use}\n    auto = {auto}\n  }}\n'


# The suite's usual Drafts/Sent/Junk/Archive are switched off (no flag, not created), Trash is
# kept as a plain label, and Gmail's folders are added to the same (inbox) namespace.
GMAIL_CONFIG = "namespace inbox {\n" + "".join(
    _mailbox(name, "", "no") for name in ("Drafts", "Sent", "Junk", "Archive")
) + _mailbox(OLD_TRASH_LABEL, "", "subscribe") + "".join(
    _mailbox(name, flag, "subscribe") for name, flag in _GMAIL_FOLDERS.items()
) + "}\n"


def gmail_like(servers: MailServers) -> Dovecot:
    """The session's Gmail-like Dovecot, a shared variant of `servers` (the harness): each
    test takes a fresh user on it."""
    return servers.shared_dovecot_variant(GMAIL_SETTINGS, GMAIL_CONFIG)


def gmail_account(servers: Any, dovecot: Dovecot, user: MailUser, name: str = "gmail", *,
                  password_command: str | None = None) -> Account:
    """An account for `user` on the Gmail-like `dovecot` (IMAP over TLS; SMTP on the suite's
    Postfix, as `server_account` makes it)."""
    account = server_account(servers, name, user.login, user.address,
                             password_command=password_command)
    assert dovecot.ports.imap_tls is not None
    return replace(account, incoming=replace(account.incoming, port=dovecot.ports.imap_tls))


def deliver_labelled(dovecot: Dovecot, user: MailUser, raw: bytes,
                     labels: tuple[str, ...] = ("INBOX",)) -> None:
    """One Gmail message with these labels: the same bytes in each label's folder and, as
    Gmail keeps every message that is not in Trash or Spam, in All Mail."""
    for folder in (*labels, ALL_MAIL):
        dovecot.deliver(user, raw, folder)


def folders_on_server(dovecot: Dovecot, user: MailUser) -> set[str]:
    return set(dovecot.doveadm("mailbox", "list", "-u", user.login).stdout.split("\n")) - {""}
