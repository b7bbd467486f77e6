"""A server's NO or BAD reads as the server's words, without the library's or timing noise."""

from __future__ import annotations

from tui_mail.remote.imap import refusal_words


def test_a_refusal_reads_as_the_servers_words_alone() -> None:
    assert refusal_words(Exception("append failed: [NOPERM] Permission denied (0.001 + 0.000 secs)."
                              )) == "[NOPERM] Permission denied"
    assert refusal_words(Exception("select failed: b'Mailbox doesn\\'t exist: Foo'")) == \
        "Mailbox doesn't exist: Foo"
    assert refusal_words(Exception("delete failed: SPECIAL-USE flag conflict")) == \
        "SPECIAL-USE flag conflict"
