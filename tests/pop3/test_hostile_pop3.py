"""A misbehaving POP3 server ends `accounts check` and `sync` with one clear line, non-zero,
never a traceback and never a hang (issue 17): an -ERR or endless greeting, a trickle, a
stalled UIDL, a message that never ends, a trickled RETR, a LIST that is not numbers."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.servers import hostile as h
from tests.servers.certs import write_certificates


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[h.TestCertificates]:
    yield write_certificates(tmp_path_factory.mktemp("hostile-pop3-certs"))


# Each case: what the server does, then the words the one line must hold.
GREETINGS: dict[str, tuple[Callable[[h.Peer], None], *tuple[str, ...]]] = {
    "-ERR greeting": (h.pop3_err_greeting, "did not greet as a POP3 server", "[SYS/TEMP]"),
    "endless greeting": (h.pop3_endless_greeting, "a line of more than"),
    "trickled greeting": (h.trickled(b"+OK "), "timeout = 2 s"),
}


@pytest.mark.parametrize("case", list(GREETINGS))
def test_a_bad_greeting_fails_check_and_sync_in_one_line(case: str, tmp_path: Path,
                                                         certs: h.TestCertificates) -> None:
    greeting, *words = GREETINGS[case]
    with h.HostileServer(certs, h.Pop3Script(greeting=greeting)) as server:
        config = h.write_config(tmp_path, certs, server.port, protocol="pop3")
        checked = h.run_cli(config, tmp_path / "data", "accounts", "check")
        checked.assert_failed_cleanly(*words)
        h.run_cli(config, tmp_path / "data", "sync").assert_failed_cleanly(*words)


ANSWERS: dict[str, tuple[dict[str, h.Pop3Answer], str]] = {
    "stalled UIDL": ({"UIDL": h.pop3_stall}, "no complete answer to UIDL"),
    "endless message": ({"RETR": h.pop3_endless_message}, "grew past the limit"),
    "trickled RETR": ({"RETR": h.pop3_trickle_retr}, "no complete answer to RETR"),
    "LIST not numbers": ({"LIST": h.pop3_bad_list}, "could not be understood"),
}


@pytest.mark.parametrize("case", list(ANSWERS))
def test_a_bad_answer_during_sync_ends_it_in_one_line(case: str, tmp_path: Path,
                                                      certs: h.TestCertificates) -> None:
    answers, *words = ANSWERS[case]
    with h.HostileServer(certs, h.Pop3Script(answers=answers)) as server:
        config = h.write_config(tmp_path, certs, server.port, protocol="pop3")
        h.run_cli(config, tmp_path / "data", "sync").assert_failed_cleanly(*words)
        assert server.connections == 1


def test_after_a_hostile_server_the_cache_still_syncs_from_a_good_one(
        tmp_path: Path, certs: h.TestCertificates) -> None:
    with h.HostileServer(certs, h.Pop3Script(answers={"RETR": h.pop3_endless_message})) as bad:
        config = h.write_config(tmp_path, certs, bad.port, protocol="pop3")
        assert h.run_cli(config, tmp_path / "data", "sync").code != 0
    with h.HostileServer(certs, h.Pop3Script()) as good:
        config = h.write_config(tmp_path, certs, good.port, protocol="pop3")
        synced = h.run_cli(config, tmp_path / "data", "sync")
    assert synced.code == 0, synced.out + synced.err
    assert "2 new" in synced.out
    cache = sqlite3.connect(tmp_path / "data" / "tui-mail" / "cache.sqlite3")
    try:
        assert cache.execute("SELECT count(*) FROM messages").fetchone() == (2,)
    finally:
        cache.close()
