"""A mailbox whose server refuses to save into its Sent folder, for real: a Dovecot variant with
the ACL plugin, where the owner's right to insert into Sent is taken away (APPEND is answered
`NO [NOPERM] Permission denied`) and given back, while the server runs.

The sender is the base user "alice" of the variant (same password as on the main Dovecot, so
Postfix lets her submit); mail for recipients goes, as always, to the main Dovecot.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from tests.servers.dovecot import Dovecot, MailUser
from tests.support.accounts import server_account
from tui_mail.model import Account

ACL_CONFIG = """
mail_plugins = $mail_plugins acl
protocol imap {
  mail_plugins = $mail_plugins imap_acl
}
plugin {
  acl = vfile
}
"""

# Every right but "insert" (ACL `i`): Sent can be listed, read and searched, not appended to.
WITHOUT_INSERT = ("lookup", "read", "write", "write-seen", "write-deleted", "expunge",
                  "create", "delete", "admin")


@dataclass
class SentRefused:
    """The variant, its user and an account for that user (IMAP on the variant, SMTP on the
    suite's Postfix)."""

    dovecot: Dovecot
    user: MailUser
    account: Account

    def refuse(self, folder: str = "Sent") -> None:
        """From the next connection on, APPEND to `folder` is refused."""
        self.dovecot.doveadm("acl", "set", "-u", self.user.login, folder, "owner",
                             *WITHOUT_INSERT)

    def allow(self, folder: str = "Sent") -> None:
        """The owner's default rights again (for connections opened from now on)."""
        self.dovecot.doveadm("acl", "delete", "-u", self.user.login, folder, "owner")

    def count(self, folder: str = "Sent") -> int:
        return self.dovecot.message_count(self.user, folder)


def sent_refused(servers: Any, dovecot_variant: Any, name: str = "alice", *,
                 password_command: str | None = None) -> SentRefused:
    """Start the variant (`dovecot_variant` is the fixture) with Sent refusing APPEND."""
    dovecot = dovecot_variant(extra_config=ACL_CONFIG)
    user = dovecot.users["alice"]
    account = server_account(servers, name, user.login, user.address,
                             password_command=password_command)
    assert dovecot.ports.imap_tls is not None
    account = replace(account, incoming=replace(account.incoming, port=dovecot.ports.imap_tls))
    mailbox = SentRefused(dovecot, user, account)
    mailbox.dovecot.doveadm("mailbox", "status", "-u", user.login, "messages", "Sent")
    mailbox.refuse()
    return mailbox
