"""Sending through the real Postfix submission server, delivered by the real Dovecot."""

from __future__ import annotations

import os
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.support.mail_users import (
    User,
    fetch_all,
    flags_of,
    imap_client,
    outbox_for,
    wait_for,
    wait_for_each,
    wait_for_subject,
    with_smtp,
)
from tests.support.messages import plain_body
from tui_mail.errors import AuthError
from tui_mail.mail.compose import Composed, compose
from tui_mail.mail.parse import parse_message
from tui_mail.mail.reply import reply
from tui_mail.model import Address, Draft, Security
from tui_mail.remote import smtp
from tui_mail.remote.connection import Credentials
from tui_mail.sync.outbox import Outbox, OutboxEvent

pytestmark = pytest.mark.servers


def simple(sender: User, *to: User, subject: str = "hello", **kw) -> Draft:
    return Draft(identity=sender.account.address, to=tuple(Address("", u.address) for u in to),
                 subject=subject, body="Hi there\n", **kw)


def by_subject(messages: list[EmailMessage], subject: str) -> list[EmailMessage]:
    return [m for m in messages if m["Subject"] == subject]


async def test_alice_sends_to_to_cc_and_bcc_and_everyone_gets_it_right(
    mail_servers, fresh, store, tmp_path: Path
) -> None:
    alice, bob, carol, dave = fresh("alice"), fresh("bob"), fresh("carol"), fresh("dave")
    files = {
        tmp_path / "notes.txt": "Grüße, line one\r\nline two\n".encode(),
        tmp_path / "random.bin": os.urandom(64 * 1024),
        tmp_path / "big.dat": os.urandom(5 * 1024 * 1024),
    }
    draft = Draft(
        identity=Address("Zoë Ünder", alice.address),
        to=(Address("Bób Ärger", bob.address),), cc=(Address("Carol", carol.address),),
        bcc=(Address("Dave", dave.address),), subject="Réunion — Grüße 🎉",
        body="Bonjour à tous\n", attachments=tuple(files),
    )
    composed = compose(draft, attachment_data=files, signature="Zoë")
    outbox = outbox_for(store, alice)
    delivery = await outbox.deliver(outbox.queue(composed))
    assert delivery.sent and delivery.saved_to_sent and not delivery.refused, delivery
    assert list(store.queues.outbox_list()) == []

    [[at_bob], [at_carol], [at_dave]] = wait_for_each(mail_servers, [bob, carol, dave], [1, 1, 1])
    for got in (at_bob, at_carol, at_dave):
        assert got["Subject"] == "Réunion — Grüße 🎉"
        assert got["Message-ID"] == composed.message_id
        assert got["From"].addresses[0].display_name == "Zoë Ünder"
        assert got["To"].addresses[0].display_name == "Bób Ärger"
        assert got["Cc"].addresses[0].addr_spec == carol.address
        assert got["Bcc"] is None
        assert "Bonjour à tous" in plain_body(got)
        attached = {p.get_filename(): p.get_payload(decode=True) for p in got.iter_attachments()}
        assert attached == {path.name: data for path, data in files.items()}
    for raw in fetch_all(mail_servers, bob) + fetch_all(mail_servers, carol):
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert dave.address.encode() not in raw, head.decode()
        assert b"Dave" not in head

    [sent] = wait_for(mail_servers, alice, 1, folder="Sent")
    assert sent["Message-ID"] == composed.message_id and sent["Bcc"] is None
    assert [b"\\Seen" in f for f in flags_of(mail_servers, alice, "Sent")] == [True]


async def test_implicit_tls_port_465_style_sends(mail_servers, fresh, store) -> None:
    alice, bob = fresh("alice", security=Security.TLS), fresh("bob")
    outbox = outbox_for(store, alice)
    delivery = await outbox.deliver(outbox.queue(compose(simple(alice, bob, subject="over tls"))))
    assert delivery.sent, delivery
    assert by_subject(wait_for(mail_servers, bob), "over tls")


async def test_reply_and_reply_all_thread_under_the_original(mail_servers, fresh, store) -> None:
    alice, bob, carol = fresh("alice"), fresh("bob"), fresh("carol")
    first = compose(Draft(identity=alice.account.address, to=(Address("", bob.address),),
                          cc=(Address("", carol.address),), subject="Plan", body="Shall we?\n"))
    await outbox_for(store, alice).deliver(outbox_for(store, alice).queue(first))
    [[got_bob], _] = wait_for_each(mail_servers, [bob, carol], [1, 1])

    original = parse_message(fetch_all(mail_servers, bob)[0])
    answer = compose(reply(original, bob.account))
    await outbox_for(store, bob).deliver(outbox_for(store, bob).queue(answer))
    original_carol = parse_message(fetch_all(mail_servers, carol)[0])
    everyone = compose(reply(original_carol, carol.account, reply_all=True))
    assert everyone.rcpts == (alice.address, bob.address)
    await outbox_for(store, carol).deliver(outbox_for(store, carol).queue(everyone))

    at_alice = wait_for(mail_servers, alice, 2)
    at_bob = wait_for(mail_servers, bob, 2)
    replies = by_subject(at_alice, "Re: Plan")
    assert len(replies) == 2
    for got in replies:
        assert got["In-Reply-To"] == first.message_id
        assert got["References"] == first.message_id
    assert "> Shall we?" in plain_body(replies[0])
    assert [m["Message-ID"] for m in by_subject(at_bob, "Re: Plan")] == [everyone.message_id]
    assert len(by_subject(wait_for(mail_servers, carol, 1), "Re: Plan")) == 0


async def test_postfix_down_keeps_the_message_and_flush_delivers_it_once(
    mail_servers, fresh, store
) -> None:
    alice, bob = fresh("alice"), fresh("bob")
    outbox = outbox_for(store, alice)
    entry_id = outbox.queue(compose(simple(alice, bob, subject="while down")))
    mail_servers.stop_postfix()
    try:
        delivery = await outbox.deliver(entry_id)
        assert not delivery.sent and delivery.temporary
        assert "connection refused" in delivery.error
        entry = store.queues.outbox_get(entry_id)
        assert entry.state == "failed" and entry.next_attempt_at is not None
    finally:
        mail_servers.start_postfix()
    [again] = await outbox.flush(ignore_backoff=True)
    assert again.sent
    assert await outbox.flush(ignore_backoff=True) == []
    assert len(by_subject(wait_for(mail_servers, bob), "while down")) == 1
    assert len(fetch_all(mail_servers, alice, "Sent")) == 1


class Killed(BaseException):
    """Stands for the process dying: no code after it runs, no row is updated."""


def dies_at(stage: str):
    def hook(event: OutboxEvent) -> None:
        if event.stage == stage:
            raise Killed

    return hook


# Delivers one outbox entry and SIGKILLs itself as soon as the copy is in Sent, before the
# outbox row is touched again: a real process death, not a simulated one.
DYING_CHILD = """
import asyncio, json, os, signal, sys
from pathlib import Path
from tui_mail.model import Account, Address, Protocol, Security, ServerConfig
from tui_mail.remote.connection import Credentials
from tui_mail.store import Store
from tui_mail.sync.outbox import Outbox

p = json.loads(sys.argv[1])
imap = ServerConfig(Protocol.IMAP, "127.0.0.1", p["imap"], Security.TLS, p["login"], ca_file=Path(p["ca"]))
smtp = ServerConfig(Protocol.SMTP, "127.0.0.1", p["smtp"], Security.STARTTLS, p["login"], ca_file=Path(p["ca"]))
account = Account(name="alice", address=Address("", p["login"]), incoming=imap, smtp=smtp)
creds = lambda: Credentials(p["login"], p["password"])

def die(event):
    if event.stage == "saved":
        os.kill(os.getpid(), signal.SIGKILL)

outbox = Outbox(Store.open(Path(p["store"])), account, smtp_credentials=creds,
                imap_credentials=creds, on_event=die)
asyncio.run(outbox.deliver(p["entry"]))
"""


async def test_killed_after_the_copy_to_sent_is_not_sent_or_copied_again(
    mail_servers, fresh, store, tmp_path
) -> None:
    import json
    import signal
    import subprocess
    import sys

    alice, bob = fresh("alice"), fresh("bob")
    entry_id = outbox_for(store, alice).queue(compose(simple(alice, bob, subject="killed after accept")))
    params = {"imap": mail_servers.imap_tls_port, "smtp": mail_servers.smtp_starttls_port,
              "ca": str(mail_servers.ca_file), "login": alice.login, "password": alice.password,
              "store": str(store.path), "entry": entry_id}
    child = subprocess.run([sys.executable, "-c", DYING_CHILD, json.dumps(params)],
                           capture_output=True, text=True, timeout=120, check=False,
                           cwd=Path(__file__).resolve().parents[2])
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert store.queues.outbox_get(entry_id).state == "accepted"
    assert len(fetch_all(mail_servers, alice, "Sent")) == 1

    restarted = outbox_for(store, alice)  # recovered at once: the dead process held the lock
    [delivery] = await restarted.flush()
    assert delivery.sent and delivery.already_sent and delivery.saved_to_sent
    assert list(store.queues.outbox_list()) == []
    [count] = await _one_more_then_count(mail_servers, restarted, bob, alice, "killed after accept")
    assert count == 1
    sent = [m["Subject"] for m in wait_for(mail_servers, alice, 2, folder="Sent")]
    assert sent.count("killed after accept") == 1


async def _one_more_then_count(servers, outbox, bob, alice, subject) -> list[int]:
    """Send a marker after the message under test: once the marker arrived, so has any copy."""
    marker = compose(simple(alice, bob, subject="marker"))
    assert (await outbox.deliver(outbox.queue(marker))).sent
    got = wait_for_subject(servers, bob, "marker")
    return [len(by_subject(got, subject))]


async def test_killed_between_acceptance_and_the_copy_is_copied_once_and_not_sent_again(
    mail_servers, fresh, store
) -> None:
    """The window that sent messages twice before the `accepted` state existed."""
    alice, bob = fresh("alice"), fresh("bob")
    dying = outbox_for(store, alice, on_event=dies_at("accepted"))
    entry_id = dying.queue(compose(simple(alice, bob, subject="killed before the copy")))
    with pytest.raises(Killed):
        await dying.deliver(entry_id)
    assert store.queues.outbox_get(entry_id).state == "accepted"
    restarted = outbox_for(store, alice)
    [delivery] = await restarted.flush()
    assert delivery.sent and delivery.already_sent and delivery.saved_to_sent
    [count] = await _one_more_then_count(mail_servers, restarted, bob, alice, "killed before the copy")
    assert count == 1
    sent = [m["Subject"] for m in wait_for(mail_servers, alice, 2, folder="Sent")]
    assert sent.count("killed before the copy") == 1


async def test_killed_right_before_the_final_dot_delivers_nothing_and_is_held_unsure(
    mail_servers, fresh, store
) -> None:
    alice, bob = fresh("alice"), fresh("bob")
    dying = outbox_for(store, alice, on_event=dies_at("committing"))
    entry_id = dying.queue(compose(simple(alice, bob, subject="killed before the dot")))
    with pytest.raises(Killed):
        await dying.deliver(entry_id)
    restarted = outbox_for(store, alice)
    [delivery] = await restarted.flush()
    assert delivery.unsure and not delivery.sent
    assert store.queues.outbox_get(entry_id).state == "unsure"
    [count] = await _one_more_then_count(mail_servers, restarted, bob, alice, "killed before the dot")
    assert count == 0  # the server never saw the end of the message
    assert store.queues.outbox_get(entry_id).state == "unsure"  # the marker's flush did not resend it


async def test_killed_between_the_servers_250_and_recording_it_is_held_unsure_never_resent(
    mail_servers, fresh, store, monkeypatch
) -> None:
    alice, bob = fresh("alice"), fresh("bob")
    outbox = outbox_for(store, alice)
    entry_id = outbox.queue(compose(simple(alice, bob, subject="killed at the 250")))

    def die(*args: object, **kw: object) -> None:
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(store.queues, "outbox_accept", die)
        with pytest.raises(Killed):
            await outbox.deliver(entry_id)
    assert store.queues.outbox_get(entry_id).state == "committing"
    [delivery] = await outbox.flush()
    assert delivery.unsure and "may have been sent" in delivery.error
    [count] = await _one_more_then_count(mail_servers, outbox, bob, alice, "killed at the 250")
    assert count == 1  # it had gone out: the user decides, nothing resent it
    assert store.queues.outbox_get(entry_id).state == "unsure"


async def test_an_uncertain_message_found_in_sent_is_finished_as_sent(mail_servers, fresh, store) -> None:
    """A server that saves sent mail itself has the copy in Sent once it accepted."""
    from dataclasses import replace

    from tui_mail.model import FolderRole

    alice, bob = fresh("alice"), fresh("bob")
    saves = replace(alice.account, server_saves_sent=True, folders={FolderRole.SENT: "Sent"})
    composed = compose(simple(alice, bob, subject="saved by the server"))
    dying = Outbox(store, saves, smtp_credentials=lambda: alice.creds,
                   imap_credentials=lambda: alice.creds, on_event=dies_at("committing"))
    entry_id = dying.queue(composed)
    with pytest.raises(Killed):
        await dying.deliver(entry_id)
    client = imap_client(mail_servers, alice)  # what such a server would have done
    try:
        client.create_folder("Sent")
        client.append("Sent", composed.raw, [b"\\Seen"])
    finally:
        client.logout()
    outbox = Outbox(store, saves, smtp_credentials=lambda: alice.creds,
                    imap_credentials=lambda: alice.creds)
    [delivery] = await outbox.flush()
    assert delivery.sent and delivery.already_sent and not delivery.unsure
    assert store.queues.outbox_list() == []


async def test_a_failed_copy_to_sent_is_retried_alone_and_never_resends(mail_servers, fresh, store) -> None:
    alice, bob = fresh("alice"), fresh("bob")
    broken = Outbox(store, alice.account, smtp_credentials=lambda: alice.creds,
                    imap_credentials=lambda: Credentials(alice.login, "wrong"))
    entry_id = broken.queue(compose(simple(alice, bob, subject="copy fails")))
    delivery = await broken.deliver(entry_id)
    assert delivery.sent and not delivery.saved_to_sent and not delivery.copy_retry
    assert "login" in delivery.copy_error.lower() and delivery.warning == ""
    entry = store.queues.outbox_get(entry_id)
    assert entry.state == "accepted" and entry.next_attempt_at is not None
    assert entry.last_error == delivery.copy_error  # the reason, for the outbox view
    assert abs((delivery.next_attempt_at - entry.next_attempt_at).total_seconds()) < 1
    assert broken.due() == []  # the copy waits for its backoff
    fixed = outbox_for(store, alice)
    [again] = await fixed.flush(ignore_backoff=True)
    assert again.sent and again.already_sent and again.saved_to_sent and again.copy_retry
    assert again.copy_error == ""
    assert store.queues.outbox_list() == []
    [count] = await _one_more_then_count(mail_servers, fixed, bob, alice, "copy fails")
    assert count == 1
    assert [m["Subject"] for m in wait_for(mail_servers, alice, 2, folder="Sent")].count("copy fails") == 1


async def test_rejected_recipient_is_named_with_the_server_words(mail_servers, fresh, store) -> None:
    alice, bob = fresh("alice"), fresh("bob")
    outbox = outbox_for(store, alice)
    draft = Draft(identity=alice.account.address,
                  to=(Address("", bob.address), Address("", "rejected@example.test")),
                  subject="partly", body="x\n")
    delivery = await outbox.deliver(outbox.queue(compose(draft)))
    assert delivery.sent
    assert list(delivery.refused) == ["rejected@example.test"]
    assert delivery.refused["rejected@example.test"].startswith("550")
    [left] = store.queues.outbox_list()
    assert left.id == delivery.remaining_id and list(left.rcpts) == ["rejected@example.test"]
    assert left.state == "held" and "rejected@example.test: 550" in left.last_error
    assert by_subject(wait_for(mail_servers, bob), "partly")

    nobody = Draft(identity=alice.account.address, to=(Address("", "rejected@example.test"),),
                   subject="nobody", body="x\n")
    only = await outbox.deliver(outbox.queue(compose(nobody)))
    assert not only.sent and not only.temporary
    assert "every recipient was refused: rejected@example.test: 550" in only.error


async def test_wrong_password_is_an_auth_error_with_the_server_words(mail_servers, fresh, store) -> None:
    alice, bob = fresh("alice"), fresh("bob")
    with pytest.raises(AuthError, match="535"):
        await smtp.send(alice.account.smtp, Credentials(alice.login, "wrong"),
                        alice.address, [bob.address], b"Subject: x\r\n\r\nx\r\n")
    outbox = Outbox(store, alice.account, smtp_credentials=lambda: Credentials(alice.login, "nope"))
    delivery = await outbox.deliver(outbox.queue(compose(simple(alice, bob))))
    assert not delivery.sent and not delivery.temporary
    assert "login as" in delivery.error and "535" in delivery.error
    assert store.queues.outbox_list()[0].state == "held"


async def test_message_over_the_size_limit_is_refused_before_sending(mail_servers, fresh, store) -> None:
    alice, bob = fresh("alice"), fresh("bob")
    limit = mail_servers.message_size_limit
    raw = b"Subject: too big\r\n\r\n" + (b"x" * 998 + b"\r\n") * (limit // 1000 + 1)
    outbox = outbox_for(store, alice)
    entry_id = outbox.queue(Composed(raw, alice.address, (bob.address,), "<big@example.test>"))
    delivery = await outbox.deliver(entry_id)
    assert not delivery.sent and not delivery.temporary
    assert f"the server accepts at most 10.5 MB ({limit} bytes)" in delivery.error
    assert store.queues.outbox_get(entry_id).state == "held"


async def test_a_552_from_the_server_is_reported_as_too_large(mail_servers, fresh, monkeypatch) -> None:
    """A server that lets the message through SIZE but refuses it at the end of DATA."""
    alice, bob = fresh("alice"), fresh("bob")
    raw = b"Subject: big\r\n\r\n" + b"x" * 70 + b"\r\n"
    raw = raw * (mail_servers.message_size_limit // len(raw) + 2)
    monkeypatch.setattr(smtp, "size_limit", lambda client: None)  # as if no SIZE was announced
    with pytest.raises(smtp.MessageTooLarge, match="552"):
        await smtp.send(alice.account.smtp, alice.creds, alice.address, [bob.address], raw)


async def test_untrusted_certificate_is_held_with_the_fix(mail_servers, fresh, store) -> None:
    alice, bob = fresh("alice"), fresh("bob")
    account = with_smtp(alice.account, ca_file=mail_servers.wrong_ca_file)
    outbox = Outbox(store, account, smtp_credentials=lambda: alice.creds)
    delivery = await outbox.deliver(outbox.queue(compose(simple(alice, bob))))
    assert not delivery.sent and "ca_file" in delivery.error
