"""The outbox's bookkeeping, driven through the sendmail_command transport (no servers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.sendmail import calls, fake_sendmail
from tui_mail.errors import TuiMailError
from tui_mail.mail.compose import Composed, compose
from tui_mail.model import Account, Address, Draft, Protocol, Security, ServerConfig
from tui_mail.remote.smtp import SendFailed, send_with_command
from tui_mail.store import OutboxItem, Store
from tui_mail.sync.outbox import Delivery, Outbox, OutboxEvent, backoff

POP3 = ServerConfig(Protocol.POP3, "localhost", 995, Security.TLS, "alice")


def account(command: str) -> Account:
    return Account(name="local", address=Address("Alice", "alice@example.test"), incoming=POP3,
                   smtp=None, sendmail_command=command)


def message() -> Composed:
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
                    on_event=lambda e: seen.append((e, [x.state for x in store.queues.outbox_list()])))
    entry_id = outbox.queue(message())
    assert [e.state for e in store.queues.outbox_list()] == ["queued"]
    assert calls(tmp_path) == []
    delivery = await outbox.deliver(entry_id)
    assert delivery.sent and not delivery.saved_to_sent
    assert calls(tmp_path) == ["-oi -f alice@example.test -- bob@example.test dave@example.test"]
    assert b"dave" not in (tmp_path / "last-message").read_bytes()
    # Each state is in the cache by the time its event is heard.
    assert [(e.stage, states) for e, states in seen] == [
        ("sending", ["sending"]), ("committing", ["committing"]), ("accepted", ["accepted"]),
        ("done", []),
    ]
    assert list(store.queues.outbox_list()) == []


async def test_temporary_failure_waits_with_growing_backoff(store, tmp_path: Path) -> None:
    clock = Clock()
    outbox = Outbox(store, account(fake_sendmail(tmp_path, 75, "try later")), clock=clock)
    entry_id = outbox.queue(message())
    first = await outbox.deliver(entry_id)
    assert not first.sent and first.temporary and "try later" in first.error
    entry = store.queues.outbox_get(entry_id)
    assert entry.state == "failed" and "try later" in entry.last_error
    assert entry.next_attempt_at.timestamp() == clock.now + backoff(1)
    assert outbox.due() == []  # still waiting
    clock.now += backoff(1)
    assert [e.id for e in outbox.due()] == [entry_id]
    await outbox.deliver(entry_id)
    assert store.queues.outbox_get(entry_id).next_attempt_at.timestamp() == clock.now + backoff(2)
    assert backoff(2) > backoff(1)


async def test_permanent_failure_is_held_with_the_error(store, tmp_path: Path) -> None:
    outbox = Outbox(store, account(fake_sendmail(tmp_path, 1, "no such user")))
    entry_id = outbox.queue(message())
    delivery = await outbox.deliver(entry_id)
    assert not delivery.sent and not delivery.temporary
    entry = store.queues.outbox_get(entry_id)
    assert entry.state == "held" and "no such user" in entry.last_error
    assert outbox.due(ignore_backoff=True) == []  # held ones wait for an explicit retry


class Killed(BaseException):
    """Stands for the process dying: nothing after this point runs."""


def dies_at(stage: str) -> Callable[[OutboxEvent], None]:
    def hook(event: OutboxEvent) -> None:
        if event.stage == stage:
            raise Killed

    return hook


async def test_killed_while_the_outcome_is_unknown_is_held_as_unsure_at_once_not_resent(
    store, tmp_path: Path
) -> None:
    sendmail = account(fake_sendmail(tmp_path))
    dying = Outbox(store, sendmail, on_event=dies_at("committing"))
    entry_id = dying.queue(message())
    with pytest.raises(Killed):
        await dying.deliver(entry_id)
    assert store.queues.outbox_get(entry_id).state == "committing"
    restarted = Outbox(store, sendmail)  # same clock: no lease to wait for
    [delivery] = await restarted.flush()
    assert not delivery.sent and delivery.unsure and not delivery.temporary
    assert "may have been sent: send it again, or drop it" in delivery.error
    entry = store.queues.outbox_get(entry_id)
    assert entry.state == "unsure" and "may have been sent" in entry.last_error
    assert await restarted.flush(ignore_backoff=True) == []  # it waits for the user
    assert calls(tmp_path) == []
    again = await restarted.deliver(entry_id)  # the user chose to send it again
    assert again.sent and len(calls(tmp_path)) == 1
    assert store.queues.outbox_list() == []


async def test_killed_while_sending_before_the_end_is_sent_again_at_once(store, tmp_path: Path) -> None:
    sendmail = account(fake_sendmail(tmp_path))
    dying = Outbox(store, sendmail, on_event=dies_at("sending"))
    entry_id = dying.queue(message())
    with pytest.raises(Killed):
        await dying.deliver(entry_id)
    assert store.queues.outbox_get(entry_id).state == "sending"
    [delivery] = await Outbox(store, sendmail).flush()
    assert delivery.sent and not delivery.already_sent
    assert len(calls(tmp_path)) == 1


async def test_killed_after_acceptance_finishes_without_sending_again(store, tmp_path: Path) -> None:
    sendmail = account(fake_sendmail(tmp_path))
    dying = Outbox(store, sendmail, on_event=dies_at("accepted"))
    entry_id = dying.queue(message())
    with pytest.raises(Killed):
        await dying.deliver(entry_id)
    assert store.queues.outbox_get(entry_id).state == "accepted"
    [delivery] = await Outbox(store, sendmail).flush()
    assert delivery.sent and delivery.already_sent
    assert len(calls(tmp_path)) == 1
    assert store.queues.outbox_list() == []


async def test_on_accepted_hears_the_origin_once_after_the_server_took_it(store, tmp_path: Path) -> None:
    heard: list[tuple[int, str, str, list[str]]] = []

    def on_accepted(entry: OutboxItem) -> None:
        states = [e.state for e in store.queues.outbox_list()]
        heard.append((entry.id, entry.origin_message_id, entry.origin_kind, states))

    outbox = Outbox(store, account(fake_sendmail(tmp_path)), on_accepted=on_accepted)
    replied = outbox.queue(message(), origin=("<orig@example.test>", "reply"))
    plain = outbox.queue(message())
    assert store.queues.outbox_get(replied).origin_kind == "reply"
    deliveries = await outbox.flush()
    assert [d.sent for d in deliveries] == [True, True]
    assert heard == [(replied, "<orig@example.test>", "reply", ["accepted", "queued"]),
                     (plain, "", "", ["accepted"])]
    with pytest.raises(ValueError, match="origin kind"):
        outbox.queue(message(), origin=("<x@y>", "bounce"))


async def test_on_accepted_failing_is_a_warning_and_the_message_still_leaves(store, tmp_path: Path) -> None:
    def on_accepted(entry: OutboxItem) -> None:
        raise TuiMailError("could not mark the original as answered: server gone")

    outbox = Outbox(store, account(fake_sendmail(tmp_path)), on_accepted=on_accepted)
    delivery = await outbox.deliver(outbox.queue(message()))
    assert delivery.sent and "could not mark the original as answered" in delivery.warning
    assert store.queues.outbox_list() == []


async def test_on_accepted_interrupted_by_a_kill_runs_again_on_recovery(store, tmp_path: Path) -> None:
    runs: list[int] = []

    def dying(entry: OutboxItem) -> None:
        runs.append(entry.id)
        raise Killed

    sendmail = account(fake_sendmail(tmp_path))
    first = Outbox(store, sendmail, on_accepted=dying)
    entry_id = first.queue(message(), origin=("<orig@example.test>", "forward"))
    with pytest.raises(Killed):
        await first.deliver(entry_id)
    assert store.queues.outbox_get(entry_id).state == "accepted"
    [delivery] = await Outbox(store, sendmail, on_accepted=lambda e: runs.append(e.id)).flush()
    assert delivery.sent and delivery.already_sent
    assert runs == [entry_id, entry_id]
    assert len(calls(tmp_path)) == 1


async def test_outbox_ids_are_never_reused(store, tmp_path: Path) -> None:
    outbox = Outbox(store, account(fake_sendmail(tmp_path)))
    first = outbox.queue(message())
    await outbox.deliver(first)
    assert store.queues.outbox_list() == []
    assert outbox.queue(message()) > first


async def test_requeue_makes_held_and_unsure_messages_due_but_never_accepted_ones(
    store, tmp_path: Path
) -> None:
    outbox = Outbox(store, account(fake_sendmail(tmp_path)))
    held, unsure, accepted, sending = (outbox.queue(message()) for _ in range(4))
    store.queues.outbox_set_state(held, "held", "550 no", None)
    store.queues.outbox_set_state(unsure, "unsure", "may have been sent", None)
    store.queues.outbox_accept(accepted)
    store.queues.outbox_set_state(sending, "sending", None, None)
    assert [outbox.requeue(i) for i in (held, unsure, accepted, sending)] == [True, True, False, False]
    assert {e.id: e.state for e in store.queues.outbox_list()} == {
        held: "queued", unsure: "queued", accepted: "accepted", sending: "sending"}


class DroppedAsClaimed:
    """The cache as an outbox sees it, where each entry is dropped (by another `tui-mail
    outbox drop`) at the moment an attempt claims it."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.queues = self

    @property
    def path(self) -> Path:
        return self._store.path

    def outbox_claim(self, entry_id: int) -> bool:
        assert self._store.queues.outbox_remove_waiting(entry_id)
        return self._store.queues.outbox_claim(entry_id)

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - the rest of OutboxRows as is
        return getattr(self._store.queues, name)


async def test_drop_removes_a_message_unless_an_attempt_at_it_is_under_way(
    store, tmp_path: Path
) -> None:
    """Another process sending the account's mail does not stop a drop of a message that
    waits (a down server's retries hold the lock most of the time); a message being sent, or
    sent, is not dropped; and an attempt never sends a message dropped meanwhile."""
    import subprocess
    import sys

    outbox = Outbox(store, account(fake_sendmail(tmp_path)))
    waiting, under_way, late = (outbox.queue(message()) for _ in range(3))
    store.queues.outbox_set_state(under_way, "sending", None, None)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(outbox.lock_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2])
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert outbox.drop(waiting)
        assert not outbox.drop(under_way)
    finally:
        holder.communicate("")
    # An attempt that read the entry before another process dropped it: the drop comes just
    # as the attempt claims it, through the store the outbox is given.
    racing = Outbox(DroppedAsClaimed(store), outbox.account)
    delivery = await racing.deliver(late)
    assert not delivery.sent and "no longer in the outbox" in delivery.error
    assert calls(tmp_path) == []
    assert [e.id for e in store.queues.outbox_list()] == [under_way]
    # Sent, but its copy to Sent keeps failing: the user can give the copy up.
    sent_unsaved = outbox.queue(message())
    store.queues.outbox_set_state(sent_unsaved, "accepted", None, None)  # its steps after sending
    assert not outbox.drop(sent_unsaved)  # are running (or were cut short): they must run
    store.queues.outbox_set_state(sent_unsaved, "accepted", "not saved to Sent: quota",
                           datetime.now(UTC) + timedelta(hours=1))
    assert outbox.drop(sent_unsaved)
    assert store.queues.outbox_get(sent_unsaved) is None


HOLD_LOCK = """
import sys
from pathlib import Path
from tui_mail.sync.proclock import ProcessLock

lock = ProcessLock(Path(sys.argv[1]))
assert lock.acquire()
print("held", flush=True)
sys.stdin.read()
"""


async def test_another_process_holding_the_lock_makes_deliver_and_flush_busy(
    store, tmp_path: Path
) -> None:
    import subprocess
    import sys

    outbox = Outbox(store, account(fake_sendmail(tmp_path)))
    entry_id = outbox.queue(message())
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(outbox.lock_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2])
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        delivery = await outbox.deliver(entry_id)
        assert not delivery.sent and delivery.busy and delivery.temporary
        assert "another tui-mail is sending" in delivery.error
        [flushed] = await outbox.flush()
        assert flushed.busy and flushed.entry_id == entry_id
        assert store.queues.outbox_get(entry_id).state == "queued" and store.queues.outbox_get(entry_id).attempts == 0
    finally:
        holder.communicate("")
    assert calls(tmp_path) == []
    assert (await outbox.deliver(entry_id)).sent


async def test_two_threads_of_one_process_take_turns_instead_of_being_busy(
    store, tmp_path: Path
) -> None:
    import asyncio

    path = store.path
    # One script for both threads: writing it again while the other runs it is ETXTBSY.
    sender = account(fake_sendmail(tmp_path))
    outbox = Outbox(store, sender)
    ids = [outbox.queue(message()) for _ in range(2)]

    def deliver_in_a_thread(entry_id: int) -> Delivery:
        with Store.open(path) as own:
            return asyncio.run(Outbox(own, sender).deliver(entry_id))

    results = await asyncio.gather(*(asyncio.to_thread(deliver_in_a_thread, i) for i in ids))
    assert [r.sent for r in results] == [True, True], [r.error for r in results]
    assert len(calls(tmp_path)) == 2


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


def test_the_retry_backoff_is_1_2_4_minutes_and_never_more_than_an_hour() -> None:
    """What the README promises for temporary failures other than an unreachable server."""
    assert [backoff(n) for n in (1, 2, 3)] == [60, 120, 240]
    assert max(backoff(n) for n in range(1, 40)) == 3600


async def test_a_server_that_cannot_be_reached_is_tried_again_within_seconds(
        store, tmp_path: Path) -> None:
    """Not on the minutes of the 4xx backoff: mail leaves as soon as the server is back."""
    from datetime import UTC, datetime

    from tests.servers.netutil import free_ports
    from tui_mail.remote.connection import Credentials

    [port] = free_ports(1)  # nothing listens there
    sender = Account(name="local", address=Address("Alice", "alice@example.test"),
                     incoming=POP3, smtp=ServerConfig(Protocol.SMTP, "127.0.0.1", port,
                                                      Security.TLS, "alice", timeout=5.0))
    outbox = Outbox(store, sender, smtp_credentials=lambda: Credentials("alice", "pw"))
    entry_id = outbox.queue(message())
    delivery = await outbox.deliver(entry_id)
    assert not delivery.sent and delivery.temporary and delivery.unreachable
    wait = (store.queues.outbox_get(entry_id).next_attempt_at - datetime.now(UTC)).total_seconds()
    assert wait <= 5
