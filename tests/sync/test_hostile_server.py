"""A misbehaving IMAP server ends `accounts check` and `sync` with one clear line, non-zero,
never a traceback and never a hang (issue 17): a BYE or endless greeting, a trickle, a stall,
a bad or oversized UIDVALIDITY, a huge literal, a broken LIST, a BYE in a FETCH, a login
refusal with control characters. The real command runs in a subprocess; a hang fails the
test through the subprocess's time limit (no timing is asserted)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.servers import hostile as h
from tests.servers.certs import write_certificates
from tui_mail.store import Store


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[h.TestCertificates]:
    yield write_certificates(tmp_path_factory.mktemp("hostile-certs"))


def _sync_and_check(tmp_path: Path, certs: h.TestCertificates, script: h.ImapScript,
                    *words: str, check_fails: bool = True) -> h.HostileServer:
    with h.HostileServer(certs, script) as server:
        config = h.write_config(tmp_path, certs, server.port)
        checked = h.run_cli(config, tmp_path / "data", "accounts", "check")
        if check_fails:
            checked.assert_failed_cleanly(*words)
            assert checked.out.count(": FAILED\n") == 1
        else:
            assert checked.code == 0, checked.out + checked.err
        synced = h.run_cli(config, tmp_path / "data", "sync")
        synced.assert_failed_cleanly(*words)
        errors = [line for line in synced.err.splitlines() if line.startswith("tui-mail: ")]
        assert len(errors) == 1, synced.err
    return server


# Each case: what the server does, then the words the one line must hold.
GREETINGS: dict[str, tuple[Callable[[h.Peer], None], *tuple[str, ...]]] = {
    "bye greeting": (h.bye_greeting, "turned the connection away", "Too many connections"),
    "endless greeting": (h.endless_greeting, "a line of more than"),
    "trickled greeting": (h.trickled(b"* OK "), "timeout = 2 s"),
}


@pytest.mark.parametrize("case", list(GREETINGS))
def test_a_bad_greeting_fails_check_and_sync_in_one_line(case: str, tmp_path: Path,
                                                         certs: h.TestCertificates) -> None:
    greeting, *words = GREETINGS[case]
    _sync_and_check(tmp_path, certs, h.ImapScript(greeting=greeting), *words)


def test_a_refused_login_shows_the_servers_words_decoded_and_clean(
        tmp_path: Path, certs: h.TestCertificates) -> None:
    script = h.ImapScript(answers={"LOGIN": h.refused_login})
    _sync_and_check(tmp_path, certs, script, "[AUTHENTICATIONFAILED] Nope été")


SELECTED: dict[str, tuple[h.ImapScript, *tuple[str, ...]]] = {
    "non-numeric UIDVALIDITY": (h.ImapScript(uidvalidity=b"abc"), "a number was expected"),
    "23-digit UIDVALIDITY": (h.ImapScript(uidvalidity=b"12345678901234567890123"),
                             "UIDVALIDITY", "outside the range"),
    "huge literal": (h.ImapScript(answers={"UID FETCH": h.huge_literal}), "more than the limit"),
    "broken LIST": (h.ImapScript(answers={"LIST": h.broken_list}), "could not be understood"),
    "trickled FETCH": (h.ImapScript(answers={"UID FETCH": h.trickle_answer}), "timeout = 2 s"),
    "BYE in a FETCH": (h.ImapScript(answers={"UID FETCH": h.bye_in_fetch}), "shutting down"),
}


@pytest.mark.parametrize("case", list(SELECTED))
def test_a_bad_answer_during_sync_ends_it_in_one_line(case: str, tmp_path: Path,
                                                      certs: h.TestCertificates) -> None:
    script, *words = SELECTED[case]
    _sync_and_check(tmp_path, certs, script, *words, check_fails=False)


def test_a_stalled_fetch_ends_the_run_instead_of_costing_a_timeout_per_folder(
        tmp_path: Path, certs: h.TestCertificates) -> None:
    script = h.ImapScript(answers={"UID FETCH": h.stall}, folders=("INBOX", "A", "B", "C"))
    server = _sync_and_check(tmp_path, certs, script, "no complete answer to UID FETCH",
                             check_fails=False)
    # `accounts check` made one connection, `sync` one more: no reconnect, no next folder.
    assert server.connections == 2
    fetches = [c for peer in server.peers for c in peer.commands if c == "UID FETCH"]
    assert fetches == ["UID FETCH"]


def test_after_a_hostile_server_the_cache_still_syncs_from_a_good_one(
        tmp_path: Path, certs: h.TestCertificates) -> None:
    for script in (h.ImapScript(uidvalidity=b"12345678901234567890123"),
                   h.ImapScript(answers={"UID FETCH": h.huge_literal})):
        with h.HostileServer(certs, script) as bad:
            config = h.write_config(tmp_path, certs, bad.port)
            assert h.run_cli(config, tmp_path / "data", "sync").code != 0
    with h.HostileServer(certs, h.ImapScript()) as good:
        config = h.write_config(tmp_path, certs, good.port)
        synced = h.run_cli(config, tmp_path / "data", "sync")
    assert synced.code == 0, synced.out + synced.err
    assert "2 new" in synced.out
    with Store.open(tmp_path / "data" / "tui-mail" / "cache.sqlite3") as store:
        assert sorted(store.uid_flags("hostile", "INBOX")) == [1, 2]


QUIT_WHILE_SYNCING = """
import asyncio, sys
from pathlib import Path
from tui_mail.config import load_config
from tui_mail.ui.app import TuiMailApp

async def main() -> None:
    app = TuiMailApp(load_config(Path(sys.argv[1])), Path(sys.argv[2]))
    async with app.run_test() as pilot:
        await asyncio.sleep(float(sys.argv[3]))  # the sync is under way; the server trickles
        await pilot.press("q")
        await pilot.pause()
    print("the interface ended", flush=True)

asyncio.run(main())
"""


@pytest.mark.parametrize("script", ["trickled greeting", "trickled FETCH", "stalled FETCH"])
def test_q_ends_the_interface_while_the_server_trickles(script: str, tmp_path: Path,
                                                        certs: h.TestCertificates) -> None:
    import os
    import subprocess
    import sys

    scripts = {
        "trickled greeting": h.ImapScript(greeting=h.trickled(b"* OK ")),
        "trickled FETCH": h.ImapScript(answers={"UID FETCH": h.trickle_answer}),
        "stalled FETCH": h.ImapScript(answers={"UID FETCH": h.stall}),
    }
    with h.HostileServer(certs, scripts[script]) as server:
        # A timeout far longer than the test allows: only quitting can end this.
        config = h.write_config(tmp_path, certs, server.port, timeout=600)
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]),
                   XDG_STATE_HOME=str(tmp_path / "state"))
        done = subprocess.run(
            [sys.executable, "-c", QUIT_WHILE_SYNCING, str(config), str(tmp_path / "cache"),
             "1.5"], env=env, capture_output=True, text=True, timeout=60, check=False)
        assert server.connections >= 1  # the sync had started when q was pressed
    assert done.returncode == 0, done.stderr[-3000:]
    assert "the interface ended" in done.stdout
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
