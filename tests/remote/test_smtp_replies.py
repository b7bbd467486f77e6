"""How smtp.send reads replies Postfix here cannot be made to give (XOAUTH2, 4xx), using a
tiny scripted SMTP peer on loopback. The real-server behaviour is in test_send_servers.py."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable

import pytest

from tests.support.smtp_peer import HANG_UP, Peer, Reply
from tui_mail.errors import AuthError
from tui_mail.model import Protocol, Security, ServerConfig
from tui_mail.remote import smtp
from tui_mail.remote.connection import Credentials


@pytest.fixture
async def peer() -> AsyncIterator[Callable[[Reply], Peer]]:
    peers: list[Peer] = []

    async def start(replies: Reply) -> Peer:
        p = Peer(replies)
        p.server = await asyncio.start_server(p.handle, "127.0.0.1", 0)
        peers.append(p)
        return p

    yield start  # type: ignore[misc]
    for p in peers:
        assert p.server is not None
        p.server.close()


async def test_xoauth2_sends_the_bearer_token(peer) -> None:
    p = await peer(lambda line: "235 2.7.0 ok" if line.startswith("AUTH") else None)
    result = await smtp.send(p.server_config(), Credentials("alice", oauth2_token="tok123"),
                             "alice@x.test", ["bob@x.test"], b"Subject: x\r\n\r\nhi\r\n")
    assert result.accepted == ("bob@x.test",)
    [auth] = [line for line in p.lines if line.startswith("AUTH")]
    verb, mechanism, blob = auth.split(" ")
    assert mechanism == "XOAUTH2"
    assert base64.b64decode(blob) == b"user=alice\x01auth=Bearer tok123\x01\x01"


async def test_a_wrong_password_is_tried_once(peer) -> None:
    p = await peer(lambda line: "535 5.7.8 bad credentials" if line.startswith("AUTH") else None)
    with pytest.raises(AuthError, match="535 5.7.8 bad credentials") as exc_info:
        await smtp.send(p.server_config(), Credentials("alice", "nope"), "a@x.test", ["b@x.test"], b"x\r\n")
    assert len([line for line in p.lines if line.startswith("AUTH")]) == 1
    assert not exc_info.value.temporary


async def test_a_login_the_server_could_not_check_is_tried_once_more_in_the_session(
        peer, monkeypatch) -> None:
    """Postfix answers 454 while its link to Dovecot's auth service is made again; the
    same session's next AUTH is checked."""
    monkeypatch.setattr(smtp, "LOGIN_RETRY_SECONDS", 0.01)
    answers = iter(["454 4.7.0 Temporary authentication failure: Connection lost to "
                    "authentication server", "235 2.7.0 accepted"])
    p = await peer(lambda line: next(answers) if line.startswith("AUTH") else None)
    result = await smtp.send(p.server_config(), Credentials("alice", "secret"), "a@x.test",
                             ["b@x.test"], b"x\r\n")
    assert result.accepted == ("b@x.test",)
    assert len([line for line in p.lines if line.startswith("AUTH")]) == 2


async def test_a_login_still_unchecked_is_a_temporary_failure_not_a_wrong_password(
        peer, monkeypatch) -> None:
    monkeypatch.setattr(smtp, "LOGIN_RETRY_SECONDS", 0.01)
    p = await peer(lambda line: "454 4.7.0 Temporary authentication failure"
                   if line.startswith("AUTH") else None)
    with pytest.raises(AuthError, match="454 4.7.0 Temporary authentication failure") as failed:
        await smtp.send(p.server_config(), Credentials("alice", "secret"), "a@x.test",
                        ["b@x.test"], b"x\r\n")
    assert failed.value.temporary
    assert len([line for line in p.lines if line.startswith("AUTH")]) == 2


async def test_4xx_for_every_recipient_is_temporary_and_names_them(peer) -> None:
    p = await peer(lambda line: "451 4.3.0 try later" if line.startswith("RCPT") else None)
    with pytest.raises(smtp.SendFailed) as caught:
        await smtp.send(p.server_config(), Credentials("alice", "pw"), "a@x.test",
                        ["b@x.test", "c@x.test"], b"x\r\n")
    assert caught.value.temporary
    assert caught.value.refused == {"b@x.test": "451 4.3.0 try later", "c@x.test": "451 4.3.0 try later"}


async def test_5xx_after_data_is_permanent(peer) -> None:
    p = await peer(lambda line: "554 5.7.1 spam" if line == "<end of data>" else None)
    with pytest.raises(smtp.SendFailed, match="refused the message: 554 5.7.1 spam") as caught:
        await smtp.send(p.server_config(), Credentials("alice", "pw"), "a@x.test", ["b@x.test"], b"x\r\n")
    assert not caught.value.temporary


async def test_size_announced_by_the_server_is_checked_before_mail_from(peer) -> None:
    p = await peer(lambda line: None)
    with pytest.raises(smtp.MessageTooLarge, match="at most 0.0 MB \\(1000 bytes\\)"):
        await smtp.send(p.server_config(), Credentials("alice", "pw"), "a@x.test", ["b@x.test"], b"x" * 2000)
    assert not [line for line in p.lines if line.startswith("MAIL")]


async def test_552_at_end_of_data_is_too_large(peer) -> None:
    p = await peer(lambda line: "552 5.3.4 message size exceeds limit" if line == "<end of data>" else None)
    with pytest.raises(smtp.MessageTooLarge, match="552 5.3.4"):
        await smtp.send(p.server_config(), Credentials("alice", "pw"), "a@x.test", ["b@x.test"], b"x\r\n")


async def test_before_end_runs_before_the_dot_and_on_accepted_after_the_250(peer) -> None:
    p = await peer(lambda line: None)
    heard: list[tuple[str, int]] = []
    result = await smtp.send(
        p.server_config(), Credentials("alice", "pw"), "a@x.test", ["b@x.test", "c@x.test"],
        b"Subject: x\r\n\r\n.starts with a dot\r\n",
        before_end=lambda: heard.append(("before end", p.ended)),
        on_accepted=lambda r: heard.append((f"accepted {','.join(r.accepted)}", p.ended)),
    )
    assert heard == [("before end", 0), ("accepted b@x.test,c@x.test", 1)]
    assert result.accepted == ("b@x.test", "c@x.test")
    assert [line.split(" ")[0] for line in p.lines][-3:] == ["RCPT", "DATA", "QUIT"]
    assert any(line.startswith("MAIL FROM:<a@x.test> SIZE=") for line in p.lines)


async def test_connection_lost_after_the_final_dot_is_an_unknown_outcome(peer) -> None:
    p = await peer(lambda line: HANG_UP if line == "<end of data>" else None)
    with pytest.raises(smtp.OutcomeUnknown, match="before the server answered") as caught:
        await smtp.send(p.server_config(), Credentials("alice", "pw"), "a@x.test", ["b@x.test"],
                        b"x\r\n")
    assert not caught.value.temporary
    assert p.ended == 1


async def test_outbox_holds_a_message_whose_answer_was_lost_as_unsure(peer, tmp_path) -> None:
    from tui_mail.model import Account, Address
    from tui_mail.store import Store
    from tui_mail.sync.outbox import Outbox

    p = await peer(lambda line: HANG_UP if line == "<end of data>" else None)
    pop3 = ServerConfig(Protocol.POP3, "127.0.0.1", 995, Security.TLS, "alice")
    account = Account(name="hangs", address=Address("", "a@x.test"), incoming=pop3,
                      smtp=p.server_config())
    with Store.open(tmp_path / "cache.sqlite3") as store:
        outbox = Outbox(store, account, smtp_credentials=lambda: Credentials("alice", "pw"))
        entry_id = store.queues.outbox_add("hangs", b"Subject: x\r\n\r\nx\r\n", "a@x.test",
                                    ["b@x.test"], "<lost@x.test>")
        delivery = await outbox.deliver(entry_id)
        assert delivery.unsure and not delivery.sent and not delivery.temporary
        assert "before the server answered" in delivery.error
        item = store.queues.outbox_get(entry_id)
        assert item is not None and item.state == "unsure"
        assert await outbox.flush(ignore_backoff=True) == []
    assert p.ended == 1


async def test_outbox_tries_again_later_when_the_login_could_not_be_checked(
        peer, tmp_path, monkeypatch) -> None:
    """A 454 to AUTH says nothing about the password: the message waits for its next try,
    it is not held for the user as a wrong password would hold it."""
    from tui_mail.model import Account, Address
    from tui_mail.store import Store
    from tui_mail.sync.outbox import Outbox

    monkeypatch.setattr(smtp, "LOGIN_RETRY_SECONDS", 0.01)
    p = await peer(lambda line: "454 4.7.0 Temporary authentication failure"
                   if line.startswith("AUTH") else None)
    pop3 = ServerConfig(Protocol.POP3, "127.0.0.1", 995, Security.TLS, "alice")
    account = Account(name="busy", address=Address("", "a@x.test"), incoming=pop3,
                      smtp=p.server_config())
    with Store.open(tmp_path / "cache.sqlite3") as store:
        outbox = Outbox(store, account, smtp_credentials=lambda: Credentials("alice", "pw"))
        entry_id = store.queues.outbox_add("busy", b"Subject: x\r\n\r\nx\r\n", "a@x.test",
                                           ["b@x.test"], "<busy@x.test>")
        delivery = await outbox.deliver(entry_id)
        assert delivery.temporary and not delivery.sent
        item = store.queues.outbox_get(entry_id)
        assert item is not None and item.state == "failed"
    assert p.ended == 0
