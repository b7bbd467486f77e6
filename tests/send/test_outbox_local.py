"""The outbox's bookkeeping, driven through the sendmail_command transport (no servers)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tui_mail.mail.compose import compose
from tui_mail.model import Account, Address, Draft, Protocol, Security, ServerConfig
from tui_mail.remote.smtp import SendFailed, send_with_command
from tui_mail.store import Store
from tui_mail.sync.outbox import Outbox, OutboxEvent, backoff

POP3 = ServerConfig(Protocol.POP3, "localhost", 995, Security.TLS, "alice")


def fake_sendmail(tmp_path: Path, exit_code: int = 0, message: str = "") -> str:
    """A sendmail stand-in that records its arguments and stdin, then exits with `exit_code`."""
    script = tmp_path / "sendmail"
    log = tmp_path / "calls"
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$*" >> {log}\n'
        f"cat > {tmp_path}/last-message\n"
        f'[ -n "{message}" ] && echo "{message}" >&2\n'
        f"exit {exit_code}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "calls"
    return log.read_text().splitlines() if log.exists() else []


def account(command: str) -> Account:
    return Account(name="local", address=Address("Alice", "alice@example.test"), incoming=POP3,
                   smtp=None, sendmail_command=command)


def message() -> object:
    return compose(Draft(identity=Address("Alice", "alice@example.test"),
                         to=(Address("", "bob@example.test"),),
                         bcc=(Address("", "dave@example.test"),), subject="local", body="hi\n"))


class Clock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "cache.sqlite3") as s:
        yield s


async def test_command_gets_envelope_arguments_and_lf_line_ends(tmp_path: Path) -> None:
    command = fake_sendmail(tmp_path)
    result = await send_with_command(command, "alice@example.test", ["bob@example.test"], b"A: b\r\n\r\nx\r\n")
    assert result.accepted == ("bob@example.test",)
    assert calls(tmp_path) == ["-oi -f alice@example.test -- bob@example.test"]
    assert (tmp_path / "last-message").read_bytes() == b"A: b\n\nx\n"


async def test_command_failure_carries_its_words_and_tempfail_is_temporary(tmp_path: Path) -> None:
    with pytest.raises(SendFailed, match="exit status 75: queue is full") as caught:
        await send_with_command(fake_sendmail(tmp_path, 75, "queue is full"), "a@x.test", ["b@x.test"], b"x")
    assert caught.value.temporary
    with pytest.raises(SendFailed, match="exit status 1") as caught:
        await send_with_command(fake_sendmail(tmp_path, 1), "a@x.test", ["b@x.test"], b"x")
    assert not caught.value.temporary


async def test_message_is_in_the_outbox_before_sending_and_leaves_after(store, tmp_path: Path) -> None:
    seen: list[tuple[OutboxEvent, list[str]]] = []
    outbox = Outbox(store, account(fake_sendmail(tmp_path)),
                    on_event=lambda e: seen.append((e, [x.state for x in store.outbox_list()])))
    entry_id = outbox.queue(message())
    assert [e.state for e in store.outbox_list()] == ["queued"]
    assert calls(tmp_path) == []
    delivery = await outbox.deliver(entry_id)
    assert delivery.sent and not delivery.saved_to_sent
    assert calls(tmp_path) == ["-oi -f alice@example.test -- bob@example.test dave@example.test"]
    assert b"dave" not in (tmp_path / "last-message").read_bytes()
    assert seen[0][0].stage == "sending" and seen[0][1] == ["sending"]
    assert ("accepted", ["sending"]) in [(e.stage, states) for e, states in seen]
    assert list(store.outbox_list()) == []


async def test_temporary_failure_waits_with_growing_backoff(store, tmp_path: Path) -> None:
    clock = Clock()
    outbox = Outbox(store, account(fake_sendmail(tmp_path, 75, "try later")), clock=clock)
    entry_id = outbox.queue(message())
    first = await outbox.deliver(entry_id)
    assert not first.sent and first.temporary and "try later" in first.error
    entry = store.outbox_get(entry_id)
    assert entry.state == "failed" and "try later" in entry.last_error
    assert entry.next_attempt_at.timestamp() == clock.now + backoff(1)
    assert outbox.due() == []  # still waiting
    clock.now += backoff(1)
    assert [e.id for e in outbox.due()] == [entry_id]
    await outbox.deliver(entry_id)
    assert store.outbox_get(entry_id).next_attempt_at.timestamp() == clock.now + backoff(2)
    assert backoff(2) > backoff(1)


async def test_permanent_failure_is_held_with_the_error(store, tmp_path: Path) -> None:
    outbox = Outbox(store, account(fake_sendmail(tmp_path, 1, "no such user")))
    entry_id = outbox.queue(message())
    delivery = await outbox.deliver(entry_id)
    assert not delivery.sent and not delivery.temporary
    entry = store.outbox_get(entry_id)
    assert entry.state == "held" and "no such user" in entry.last_error
    assert outbox.due(ignore_backoff=True) == []  # held ones wait for an explicit retry


async def test_abandoned_attempt_without_imap_is_held_not_resent(store, tmp_path: Path) -> None:
    class Killed(BaseException):
        """Stands for the process dying: nothing after this point runs."""

    def kill_after_accept(event: OutboxEvent) -> None:
        if event.stage == "accepted":
            raise Killed

    clock = Clock()
    sendmail = account(fake_sendmail(tmp_path))
    dying = Outbox(store, sendmail, clock=clock, on_event=kill_after_accept)
    entry_id = dying.queue(message())
    with pytest.raises(Killed):
        await dying.deliver(entry_id)
    assert store.outbox_get(entry_id).state == "sending"
    restarted = Outbox(store, sendmail, clock=clock)
    assert await restarted.flush() == []  # the lease of the interrupted attempt still runs
    clock.now += 3600
    [delivery] = await restarted.flush()
    assert not delivery.sent and "may already have been sent" in delivery.error
    assert store.outbox_get(entry_id).state == "held"
    assert len(calls(tmp_path)) == 1


def test_cli_send_queue_only_then_flush_through_sendmail_command(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    command = fake_sendmail(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(
        '[accounts.local]\naddress = "Alice <alice@example.test>"\n'
        f'sendmail_command = "{command}"\n\n'
        '[accounts.local.incoming]\nprotocol = "pop3"\nhost = "localhost"\nsecurity = "tls"\n'
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tui_mail", "--config", str(config), "--data-dir",
             str(tmp_path / "data"), *args],
            input=stdin, capture_output=True, text=True, env=env, timeout=60, check=False,
        )

    queued = run("send", "--queue-only", "-s", "later", "bob@example.test", stdin="body\n")
    assert queued.returncode == 0, queued.stderr
    assert "outbox #1: queued" in queued.stdout
    listing = run("outbox", "list").stdout
    assert "#1  local  queued  to bob@example.test  subject 'later'" in listing
    assert calls(tmp_path) == []
    flushed = run("outbox", "flush")
    assert flushed.returncode == 0, flushed.stderr
    assert "outbox #1: sent" in flushed.stdout
    assert calls(tmp_path) == ["-oi -f alice@example.test -- bob@example.test"]
    assert "empty" in run("outbox").stdout
