"""Where tui-mail takes another path, by what each server of the matrix offers. The other
matrix tests show each path works; this one says which server takes which, and fails when a
server changes what it offers (the README and the notes would then be out of date).

- flags and expunges: QRESYNC (Dovecot, Cyrus), else a full UID and FLAGS listing (Courier);
- moves: MOVE (Dovecot, Cyrus), else COPY, \\Deleted and UID EXPUNGE (Courier, with UIDPLUS);
- roles: SPECIAL-USE (Dovecot, Cyrus), else the usual names (Courier);
- renames: followed by MAILBOXID with OBJECTID (Cyrus), else a delete plus a create.
"""

from __future__ import annotations

import pytest

from tui_mail.remote.connection import Credentials
from tui_mail.remote.imap import ImapBackend

pytestmark = pytest.mark.servers

OFFERS = {  # qresync, condstore, MOVE, SPECIAL-USE, OBJECTID, IDLE, UIDPLUS
    "dovecot": (True, True, True, True, False, True, True),
    "dovecot-inbox-prefix": (True, True, True, True, False, True, True),
    "cyrus": (True, True, True, True, True, True, True),
    "cyrus-altns-slash": (True, True, True, True, True, True, True),
    "courier": (False, False, False, False, False, True, True),
}


def test_each_server_offers_what_the_client_expects_of_it(imap_server, make_mailbox) -> None:
    box = make_mailbox(imap_server)
    backend = ImapBackend.open(box.account.incoming,
                               Credentials(box.user.login, password=box.user.password))
    try:
        caps = backend.capabilities
        seen = (backend.qresync, backend.condstore, "MOVE" in caps, "SPECIAL-USE" in caps,
                "OBJECTID" in caps, "IDLE" in caps, "UIDPLUS" in caps)
    finally:
        backend.close()
    assert seen == OFFERS[imap_server.label], sorted(caps)
