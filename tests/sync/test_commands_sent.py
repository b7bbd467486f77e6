"""What a sync asks the server, counted on the wire (the suite's Dovecot, every command the
client sends recorded), and what it writes: the cheap ways of finding out what changed are
the ones taken, and finding nothing costs nothing in the cache."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.support.cache import cache_file

pytestmark = pytest.mark.servers


class Recorded(logging.Handler):
    """Each command line the client sends (without its tag), read from imapclient's protocol
    log, the one tui-mail's own log keeps at debug level (tui_mail/log.py)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.sent: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()  # "> b'TAG COMMAND ...\\r\\n'" (LOGIN's arguments hidden)
        if not text.startswith("> "):
            return
        line = text[2:]
        if line[:2] in ("b'", 'b"'):
            line = line[2:].rstrip("'\"")
        _, _, command = line.split("\\r\\n")[0].partition(" ")
        if command:
            self.sent.append(command)

    @contextmanager
    def recording(self) -> Iterator[list[str]]:
        log = logging.getLogger("imapclient.imaplib")
        level = log.level
        log.addHandler(self)
        log.setLevel(logging.DEBUG)
        try:
            yield self.sent
        finally:
            log.removeHandler(self)
            log.setLevel(level)


def _sync(h: Any, folders: list[str] | None) -> tuple[Any, list[str]]:  # noqa: ANN401
    from tui_mail.sync.engine import SyncEngine

    engine = SyncEngine(h.account, h.store, h.connect, h.events.append, backoff=0.05)
    try:
        with Recorded().recording() as sent:
            return engine.sync(folders), sent
    finally:
        engine.close()


def test_the_first_sync_of_a_folder_lists_its_uids_by_search_not_every_flag(
        dovecot, make_harness, message) -> None:
    h = make_harness(dovecot)
    dovecot.deliver_many(h.user, [message(i) for i in range(30)])
    result, sent = _sync(h, ["INBOX"])
    assert result.ok and result.new == 30
    assert not [c for c in sent if c.startswith("UID FETCH 1:*")]
    assert [c for c in sent if c.startswith("UID SEARCH")]
    flags = h.store.uid_flags(h.account.name, "INBOX")
    assert len(flags) == 30  # and each message's flags came with its summary


def test_a_sync_that_finds_nothing_new_sends_one_examine_per_folder_and_writes_nothing(
        dovecot, make_harness, message) -> None:
    h = make_harness(dovecot)
    dovecot.deliver_many(h.user, [message(i) for i in range(30)])
    assert _sync(h, None)[0].ok
    with cache_file(h.store) as outside:  # another program watching the file
        version = outside.execute("PRAGMA data_version").fetchone()
        result, sent = _sync(h, None)  # every folder
        assert result.ok and (result.new, result.flag_changes, result.vanished) == (0, 0, 0)
        # No write: closing the cache then has no journal to checkpoint (an fsync or two).
        assert outside.execute("PRAGMA data_version").fetchone() == version
    examined = [c for c in sent if c.startswith("EXAMINE")]
    assert len(examined) == result.folders > 1
    assert [c for c in sent if not c.startswith(("CAPABILITY", "LOGIN", "ENABLE", "LIST",
                                                 "NAMESPACE", "LSUB", "EXAMINE", "LOGOUT"))] == []
