"""Commands naming thousands of scattered UIDs (marking a big folder read, moving a search's
results) are sent in pieces: one command line with 12,000 UIDs is over Dovecot's limit."""

from __future__ import annotations

from tests.servers.dovecot import Dovecot

SCATTERED = 12_000  # every other message of 24,000: no ranges to shorten the command line


def test_flags_moves_and_deletes_of_12000_scattered_uids_reach_the_server(
        dovecot: Dovecot, make_harness, message) -> None:
    h = make_harness(dovecot)
    dovecot.deliver_many(h.user, [message(i) for i in range(2 * SCATTERED)])
    uids = dovecot.uids(h.user)
    every_other = uids[::2]
    client = h.other_client()
    try:
        client.set_flags("INBOX", every_other, ["\\Seen"], True)
        seen = dovecot.doveadm("-f", "tab", "search", "-u", h.user.login,
                               "mailbox", "INBOX", "SEEN").stdout.splitlines()[1:]
        assert len(seen) == SCATTERED
        client.create_folder("Read", subscribe=True)
        client.move("INBOX", every_other, "Read")
        assert dovecot.message_count(h.user, "Read") == SCATTERED
        assert dovecot.uids(h.user) == uids[1::2]
        client.delete("INBOX", uids[1::2])
        assert dovecot.message_count(h.user) == 0
    finally:
        client.close()
