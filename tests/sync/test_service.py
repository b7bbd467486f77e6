"""The mail service against the suite's real Dovecot and Postfix: bodies on demand and in the
background, a server that goes away and comes back, the outbox sending by itself, a reply
marking its original answered. No interface: what the app and the CLI both rely on."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.utils import format_datetime, make_msgid
from pathlib import Path

import imapclient
import pytest

from tests.servers.dovecot import Dovecot
from tests.support.accounts import server_account
from tui_mail.mail.compose import compose
from tui_mail.model import (
    Account,
    Address,
    Draft,
    MessageSummary,
    Protocol,
    Security,
    ServerConfig,
)
from tui_mail.remote.connection import Credentials, ssl_context
from tui_mail.remote.imap import ImapBackend
from tui_mail.store.db import Store
from tui_mail.store.types import View
from tui_mail.sync.bodies import NeedsConfirmation, download_bodies
from tui_mail.sync.engine import SyncEngine
from tui_mail.sync.events import ConnectionState, OutboxStatus
from tui_mail.sync.proclock import lock_path
from tui_mail.sync.service import MailService, ServiceSettings

pytestmark = pytest.mark.servers

WAIT = 30.0  # seconds: the bound for what the service does in the background (not a timing)


def raw_message(subject: str, body: str = "Hello.\n", *, sender: str = "Ann <ann@example.test>",
                to: str = "me@example.test", minutes_ago: int = 0, size: int = 0,
                message_id: str | None = None) -> bytes:
    date = format_datetime(datetime.now(UTC) - timedelta(minutes=minutes_ago))
    filler = ("x" * 76 + "\r\n") * (size // 78) if size else ""
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: {message_id or make_msgid(domain='example.test')}\r\n"
            f"Date: {date}\r\n\r\n{body}{filler}").encode()


def wait_until(condition: Callable[[], object], timeout: float = WAIT, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what or condition}"
        time.sleep(0.05)


class Events:
    """What the service reported, from its threads."""

    def __init__(self) -> None:
        self.seen: list[object] = []
        self._lock = threading.Lock()

    def __call__(self, event: object) -> None:
        with self._lock:
            self.seen.append(event)

    def of(self, kind: type) -> list:
        with self._lock:
            return [e for e in self.seen if isinstance(e, kind)]


@pytest.fixture
def services() -> Iterator[list[MailService]]:
    made: list[MailService] = []
    yield made
    for service in made:
        service.stop(timeout=5)


def imap_account(server: Dovecot, login: str, address: str, ca_file: Path, **kw: object
                 ) -> Account:
    incoming = ServerConfig(Protocol.IMAP, "127.0.0.1", server.ports.imap_tls or 0, Security.TLS,
                            login, ca_file=ca_file, timeout=10.0)
    return replace(Account(name="work", address=Address("Me", address), incoming=incoming,
                           smtp=None), **kw)  # type: ignore[arg-type]


@pytest.fixture
def with_password(monkeypatch: pytest.MonkeyPatch) -> Callable[[Account, str], Account]:
    """The account's password through a command, as the README tells a user without keyring."""

    def give(account: Account, password: str) -> Account:
        command = f"printf '%s' {password}"
        incoming = replace(account.incoming, password_command=command)
        smtp = replace(account.smtp, password_command=command) if account.smtp else None
        return replace(account, incoming=incoming, smtp=smtp)

    return give


def headers_only(store: Store, account: Account, password: str) -> None:
    """The list is cached (as after a sync), no body is."""
    engine = SyncEngine(account, store, lambda: ImapBackend.open(
        account.incoming, Credentials(account.incoming.username, password=password)))
    try:
        assert engine.sync().ok
    finally:
        engine.close()


def inbox_rows(cache: Path, account: str = "work") -> dict[str, MessageSummary]:
    """The cached INBOX, read as the interface reads it, by subject."""
    with Store.open(cache, readonly=True) as store:
        folder = store.folder(account, "INBOX")
        if folder is None:
            return {}
        return {row.subject: row for row in store.listing.page(View.of(folder), 0, 1000)}


# ---- bodies ---------------------------------------------------------------------------------


def test_a_message_whose_body_is_not_cached_is_fetched_when_opened(
        dovecot, mail_servers, tmp_path: Path, services, with_password) -> None:
    user = dovecot.new_user()
    raw = raw_message("Open me", "The text of the message.\n")
    dovecot.deliver(user, raw)
    account = with_password(imap_account(dovecot, user.login, user.address,
                                         mail_servers.ca_file, download_bodies="on-open"),
                            user.password)
    cache = tmp_path / "cache.sqlite3"
    with Store.open(cache) as store:
        headers_only(store, account, user.password)
    [row] = inbox_rows(cache).values()
    with Store.open(cache, readonly=True) as store:
        assert store.raw_message(row.id) is None
    service = MailService([account], cache)
    services.append(service)
    got = service.fetch_body(row).result(timeout=WAIT)
    assert got.replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
    with Store.open(cache, readonly=True) as store:  # kept for offline reading, just after
        wait_until(lambda: store.raw_message(row.id) == got, what="the body in the cache")


def test_after_a_sync_bodies_under_the_cap_are_downloaded_and_a_larger_one_on_open(
        dovecot, mail_servers, tmp_path: Path, services, with_password) -> None:
    user = dovecot.new_user()
    small = [raw_message(f"Small {n}", minutes_ago=n) for n in range(5)]
    big = raw_message("Big one", size=60_000)
    for raw in [*small, big]:
        dovecot.deliver(user, raw)
    account = with_password(imap_account(dovecot, user.login, user.address,
                                         mail_servers.ca_file, body_size_cap=20_000),
                            user.password)
    cache = tmp_path / "cache.sqlite3"
    service = MailService([account], cache, settings=ServiceSettings(idle=False))
    services.append(service)
    service.start()
    wait_until(lambda: len(inbox_rows(cache)) == 6, what="the list")
    assert service.wait_quiet(WAIT)
    with Store.open(cache, readonly=True) as store:
        count, size = store.missing_bodies("work")
        assert count == 1 and size >= 60_000  # only the big one waits for its open
    row = inbox_rows(cache)["Big one"]
    assert len(service.fetch_body(row).result(timeout=WAIT)) >= 60_000


@pytest.mark.parametrize("policy_name, downloaded", [("on-open", 0), ("recent", 2)])
def test_the_download_policy_chooses_what_is_fetched_in_the_background(
        dovecot, mail_servers, tmp_path: Path, services, with_password, policy_name: str,
        downloaded: int) -> None:
    user = dovecot.new_user()
    dovecot.deliver(user, raw_message("Today", minutes_ago=5))
    dovecot.deliver(user, raw_message("Yesterday", minutes_ago=60 * 24))
    dovecot.deliver(user, raw_message("Last year", minutes_ago=60 * 24 * 365))
    account = with_password(imap_account(dovecot, user.login, user.address, mail_servers.ca_file,
                                         download_bodies=policy_name), user.password)
    cache = tmp_path / "cache.sqlite3"
    service = MailService([account], cache, settings=ServiceSettings(idle=False))
    services.append(service)
    service.start()
    wait_until(lambda: len(inbox_rows(cache)) == 3, what="the list")
    assert service.wait_quiet(WAIT)
    with Store.open(cache, readonly=True) as store:
        assert store.missing_bodies("work")[0] == 3 - downloaded


def test_a_message_above_body_ask_above_is_fetched_only_once_the_user_agrees(
        dovecot, mail_servers, tmp_path: Path, services, with_password) -> None:
    user = dovecot.new_user()
    dovecot.deliver(user, raw_message("Huge", size=50_000))
    account = with_password(imap_account(dovecot, user.login, user.address, mail_servers.ca_file,
                                         download_bodies="on-open", body_ask_above=10_000),
                            user.password)
    cache = tmp_path / "cache.sqlite3"
    with Store.open(cache) as store:
        headers_only(store, account, user.password)
    service = MailService([account], cache)
    services.append(service)
    row = inbox_rows(cache)["Huge"]
    with pytest.raises(NeedsConfirmation) as asked:
        service.fetch_body(row).result(timeout=WAIT)
    assert asked.value.size >= 50_000
    assert len(service.fetch_body(row, allow_large=True).result(timeout=WAIT)) >= 50_000


def test_a_body_download_waits_for_the_program_holding_the_lock_even_one_later_killed(
        dovecot, mail_servers, tmp_path: Path, with_password) -> None:
    """The lock is a live process's: held, the download leaves the bodies to it; the holder
    killed, the next download takes over at once."""
    user = dovecot.new_user()
    for n in range(4):
        dovecot.deliver(user, raw_message(f"Locked {n}", minutes_ago=n))
    account = with_password(imap_account(dovecot, user.login, user.address, mail_servers.ca_file),
                            user.password)
    cache = tmp_path / "cache.sqlite3"
    lock = lock_path(tmp_path, "bodies", "work")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from tui_mail.sync.proclock import ProcessLock; "
         f"ProcessLock({str(lock)!r}).acquire(); print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parents[2])
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with Store.open(cache) as store:
            headers_only(store, account, user.password)
            backend = ImapBackend.open(account.incoming,
                                       Credentials(user.login, password=user.password))
            try:
                busy = download_bodies(store, account, lambda: backend, tmp_path)
                assert busy.busy and busy.bodies == 0
                assert store.missing_bodies("work")[0] == 4
                holder.kill()
                holder.wait(10)
                done = download_bodies(store, account, lambda: backend, tmp_path)
            finally:
                backend.close()
            assert done.bodies == 4 and not done.busy
            assert store.missing_bodies("work")[0] == 0
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait(10)


def test_two_syncs_of_one_account_at_once_download_each_body_once(
        dovecot, mail_servers, tmp_path: Path) -> None:
    """Two `tui-mail sync --bodies` on one cache at the same time: the bodies they report
    add up to the messages, none twice."""
    user = dovecot.new_user()
    for n in range(30):
        dovecot.deliver(user, raw_message(f"Both {n}", minutes_ago=n, size=2_000))
    home = tmp_path / "home"
    config = home / "config.toml"
    config.parent.mkdir(parents=True)
    secret = home / "password"
    secret.write_text(user.password)
    config.write_text(
        f'[accounts.work]\naddress = "{user.address}"\n\n[accounts.work.incoming]\n'
        f'protocol = "imap"\nhost = "127.0.0.1"\nport = {dovecot.ports.imap_tls}\n'
        f'security = "tls"\nusername = "{user.login}"\nca_file = "{mail_servers.ca_file}"\n'
        f'password_command = "cat {secret}"\n')
    with Store.open(home / "data" / "cache.sqlite3"):
        pass  # both start on an existing cache (its creation is not what is tested)
    command = [sys.executable, "-m", "tui_mail", "--config", str(config),
               "--data-dir", str(home / "data"), "sync", "--bodies"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             cwd=Path(__file__).resolve().parents[2]) for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    counts = []
    for out, _err in outputs:
        words = out.split()
        counts.append(int(words[words.index("bodies") - 1].rstrip(",")))
    assert sum(counts) == 30, outputs


# ---- a server that goes away ------------------------------------------------------------------


def test_a_server_that_stops_answering_is_retried_and_idle_comes_back(
        own_dovecot, mail_servers, tmp_path: Path, services, with_password) -> None:
    user = own_dovecot.new_user()
    own_dovecot.deliver(user, raw_message("Before"))
    account = with_password(imap_account(own_dovecot, user.login, user.address,
                                         mail_servers.ca_file), user.password)
    cache = tmp_path / "cache.sqlite3"
    events = Events()
    service = MailService([account], cache, events)  # the defaults: a sync every 5 minutes
    services.append(service)
    service.start()
    worker = service.worker("work")
    assert worker is not None
    wait_until(lambda: worker.watcher is not None and worker.watcher.idling.is_set(),
               what="IDLE")
    own_dovecot.stop()
    try:
        wait_until(lambda: any(not e.online for e in events.of(ConnectionState)), timeout=10,
                   what="the account shown offline")
    finally:
        own_dovecot.start()
    own_dovecot.deliver(user, raw_message("After the restart"))
    wait_until(lambda: "After the restart" in inbox_rows(cache), timeout=WAIT,
               what="mail delivered after the restart")
    wait_until(lambda: events.of(ConnectionState)[-1].online, what="the account online again")
    wait_until(lambda: worker.watcher is not None and worker.watcher.idling.is_set(),
               what="IDLE again")
    own_dovecot.deliver(user, raw_message("Pushed again"))
    wait_until(lambda: "Pushed again" in inbox_rows(cache), what="mail pushed by the new IDLE")


def test_a_wrong_password_is_said_and_not_retried_in_a_loop(
        dovecot, mail_servers, tmp_path: Path, services, with_password) -> None:
    user = dovecot.new_user()
    account = with_password(imap_account(dovecot, user.login, user.address, mail_servers.ca_file),
                            "not-the-password")
    events = Events()
    service = MailService([account], tmp_path / "cache.sqlite3", events,
                          ServiceSettings(sync_every_minutes=0))
    services.append(service)
    service.start()
    wait_until(lambda: events.of(ConnectionState), what="the login's outcome")
    assert service.wait_quiet(WAIT)
    [state] = events.of(ConnectionState)
    assert not state.online and "login" in state.error and state.retry_in is None


# ---- sending ----------------------------------------------------------------------------------


def smtp_account(servers, user, tmp_path: Path, with_password) -> Account:
    return with_password(server_account(servers, "work", user.login, user.address),
                         user.password)


def composed_to(account: Account, to: str, subject: str, in_reply_to: str = ""):
    draft = Draft(identity=account.address, to=(Address("", to),), subject=subject,
                  body="Written while it mattered.\n", in_reply_to=in_reply_to)
    return compose(draft)


def received(servers, user, subject: str) -> list:
    return [m for m in fetch(servers, user, "INBOX") if str(m["Subject"]) == subject]


def own_connection(server: ServerConfig, login: str, password: str) -> imapclient.IMAPClient:
    """A connection of the test's own (another mail program), to read the server's state."""
    client = imapclient.IMAPClient(server.host, port=server.port, ssl=True,
                                   ssl_context=ssl_context(server), timeout=10)
    client.login(login, password)
    return client


def fetch(servers, user, folder: str) -> list:
    client = own_connection(
        ServerConfig(Protocol.IMAP, "127.0.0.1", servers.imap_tls_port, Security.TLS,
                     user.login, ca_file=servers.ca_file, timeout=10.0),
        user.login, user.password)
    try:
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        data = client.fetch(uids, ["FLAGS", "BODY.PEEK[]"]) if uids else {}
        out = []
        for item in data.values():
            msg = message_from_bytes(item[b"BODY[]"], policy=policy.default)
            msg.flags = item[b"FLAGS"]  # type: ignore[attr-defined]
            out.append(msg)
        return out
    finally:
        client.logout()


def outbox_states(service: MailService) -> list[str]:
    with Store.open(service.store_path, readonly=True) as store:
        return [entry.state for entry in store.queues.outbox_list()]


def test_mail_sent_while_the_smtp_server_is_down_leaves_by_itself_once_it_is_back(
        mail_servers, tmp_path: Path, services, with_password) -> None:
    me, friend = mail_servers.new_user(), mail_servers.new_user()
    account = smtp_account(mail_servers, me, tmp_path, with_password)
    events = Events()
    service = MailService([account], tmp_path / "cache.sqlite3", events,
                          ServiceSettings(sync_every_minutes=0, idle=False))
    services.append(service)
    with mail_servers.postfix_stopped():
        service.send(account, composed_to(account, friend.address, "Queued while down"))
        wait_until(lambda: any(s.waiting == 1 for s in events.of(OutboxStatus)),
                   what="the outbox saying it waits")
        wait_until(lambda: outbox_states(service) == ["failed"], what="a failed attempt")
    wait_until(lambda: received(mail_servers, friend, "Queued while down"), timeout=60,
               what="the message delivered")
    assert service.wait_quiet(WAIT)
    assert len(received(mail_servers, friend, "Queued while down")) == 1
    assert events.of(OutboxStatus)[-1] == OutboxStatus(0, 0)


@pytest.mark.parametrize("kind, flag, subject", [
    ("reply", b"\\Answered", "Re: Question"), ("forward", b"$Forwarded", "Fwd: Question")])
def test_an_answer_once_sent_marks_its_original_answered_or_forwarded_on_the_server(
        mail_servers, tmp_path: Path, services, with_password, kind: str, flag: bytes,
        subject: str) -> None:
    me, friend = mail_servers.new_user(), mail_servers.new_user()
    original_id = make_msgid(domain="example.test")
    mail_servers.deliver(me, raw_message("Question", sender=friend.address, to=me.address,
                                         message_id=original_id))
    account = smtp_account(mail_servers, me, tmp_path, with_password)
    cache = tmp_path / "cache.sqlite3"
    service = MailService([account], cache, settings=ServiceSettings(sync_every_minutes=0,
                                                                     idle=False))
    services.append(service)
    service.start()
    wait_until(lambda: "Question" in inbox_rows(cache), what="the original in the cache")
    service.send(account, composed_to(account, friend.address, subject, original_id),
                 origin=(original_id, kind))
    wait_until(lambda: received(mail_servers, friend, subject), what="the answer")
    wait_until(lambda: flag in fetch(mail_servers, me, "INBOX")[0].flags,
               what=f"the original marked {flag!r} on the server")
    row = inbox_rows(cache)["Question"]
    assert row.flags.answered if kind == "reply" else row.flags.forwarded


def test_an_unreachable_server_is_tried_again_after_2_s_then_less_often_at_least_each_minute(
        tmp_path: Path, services) -> None:
    """The README's promise, read off the service's own reports: nothing listens on the port."""
    from tests.servers.netutil import free_ports
    from tui_mail.sync.retry import CONNECTION_RETRY

    [port] = free_ports(1)
    incoming = ServerConfig(Protocol.IMAP, "127.0.0.1", port, Security.TLS, "me",
                            password_command="echo x", timeout=5.0)
    account = Account(name="work", address=Address("Me", "me@example.test"),
                      incoming=incoming, smtp=None)
    events = Events()
    service = MailService([account], tmp_path / "cache.sqlite3", events,
                          ServiceSettings(idle=False))
    services.append(service)
    service.start()
    wait_until(lambda: len(events.of(ConnectionState)) >= 3, what="three tries")
    delays = [e.retry_in for e in events.of(ConnectionState)][:3]
    assert delays == [2.0, 3.0, 5.0]
    assert all(not e.online and "refused" in e.error for e in events.of(ConnectionState))
    assert CONNECTION_RETRY[0] <= 5 and max(CONNECTION_RETRY) == 60  # within 5 s, then <= 60 s


def test_what_was_done_offline_reaches_the_server_once_it_answers_without_being_asked(
        own_dovecot, mail_servers, tmp_path: Path, services, with_password) -> None:
    user = own_dovecot.new_user()
    own_dovecot.deliver(user, raw_message("Flag me offline"))
    account = with_password(imap_account(own_dovecot, user.login, user.address,
                                         mail_servers.ca_file), user.password)
    cache = tmp_path / "cache.sqlite3"
    events = Events()
    service = MailService([account], cache, events,
                          ServiceSettings(replay_delay=0.1, sync_every_minutes=0))
    services.append(service)
    service.start()
    wait_until(lambda: "Flag me offline" in inbox_rows(cache), what="the list")
    assert service.wait_quiet(WAIT)
    own_dovecot.stop()
    try:
        row = inbox_rows(cache)["Flag me offline"]
        outcome = service.act("flag", [row])
        assert not outcome.errors
        wait_until(lambda: any(not e.online for e in events.of(ConnectionState)),
                   what="the replay finding the server gone")
        assert inbox_rows(cache)["Flag me offline"].flags.flagged  # the cache has it at once
    finally:
        own_dovecot.start()
    assert account.incoming is not None
    client = own_connection(account.incoming, user.login, user.password)
    try:
        def flagged_on_server() -> bool:
            client.select_folder("INBOX", readonly=True)  # again each time: see new flags
            return bool(client.search(["FLAGGED"]))
        wait_until(flagged_on_server, what="the flag on the server")
    finally:
        client.logout()


def test_mail_queued_by_another_program_is_sent_by_the_running_service(
        mail_servers, tmp_path: Path, services, with_password) -> None:
    """`tui-mail send --queue-only` (or a send that failed) while the app runs: the app's
    service finds it at its next look at the outbox and sends it, and says it waits."""
    from tui_mail.sync.outbox import Outbox

    me, friend = mail_servers.new_user(), mail_servers.new_user()
    account = smtp_account(mail_servers, me, tmp_path, with_password)
    cache = tmp_path / "cache.sqlite3"
    events = Events()
    service = MailService([account], cache, events, ServiceSettings(
        sync_every_minutes=0, idle=False, outbox_look=0.5))
    services.append(service)
    service.start()
    with Store.open(cache) as other_program:
        Outbox(other_program, account).queue(
            composed_to(account, friend.address, "Queued elsewhere"))
    wait_until(lambda: received(mail_servers, friend, "Queued elsewhere"),
               what="the message sent by the running service")
    assert service.wait_quiet(WAIT)
    assert outbox_states(service) == []
    assert events.of(OutboxStatus)[-1] == OutboxStatus(0, 0)


def test_a_move_the_server_refuses_puts_the_message_back_where_it_was(
        dovecot, mail_servers, tmp_path: Path, services, with_password) -> None:
    """A folder the cache knows and the server does not (deleted by another client): the
    move fails, and the message is shown in its real folder again, with its server UID, so
    that the next action on it reaches the server."""
    user = dovecot.new_user()
    dovecot.deliver(user, raw_message("Move me"))
    account = with_password(imap_account(dovecot, user.login, user.address, mail_servers.ca_file),
                            user.password)
    cache = tmp_path / "cache.sqlite3"
    events = Events()
    service = MailService([account], cache, events,
                          ServiceSettings(sync_every_minutes=0, idle=False, replay_delay=0.1))
    services.append(service)
    service.start()
    wait_until(lambda: "Move me" in inbox_rows(cache), what="the list")
    assert service.wait_quiet(WAIT)
    with Store.open(cache) as store:
        store.ensure_folder("work", "Gone")
    before = inbox_rows(cache)["Move me"]
    assert not service.act("move", [before], "Gone").errors
    assert "Move me" not in inbox_rows(cache)  # at once, as always
    wait_until(lambda: "Move me" in inbox_rows(cache), what="the message back in INBOX")
    assert inbox_rows(cache)["Move me"].uid == before.uid
    from tui_mail.sync.events import SyncError

    wait_until(lambda: any("does not exist" in e.message for e in events.of(SyncError)),
               what="the refusal said")


@pytest.mark.parametrize("policy_name, prefetched", [("all", True), ("on-open", False)])
def test_the_rows_next_to_the_cursor_are_prefetched_unless_only_opened_mail_is_wanted(
        dovecot, mail_servers, tmp_path: Path, services, with_password, policy_name: str,
        prefetched: bool) -> None:
    user = dovecot.new_user()
    dovecot.deliver(user, raw_message("Next to the cursor"))
    account = with_password(imap_account(dovecot, user.login, user.address, mail_servers.ca_file,
                                         download_bodies=policy_name), user.password)
    cache = tmp_path / "cache.sqlite3"
    with Store.open(cache) as store:
        headers_only(store, account, user.password)
    service = MailService([account], cache)
    services.append(service)
    service.prefetch(list(inbox_rows(cache).values()))
    assert service.wait_quiet(WAIT)
    with Store.open(cache, readonly=True) as store:
        wait_until(lambda: (store.missing_bodies("work")[0] == 0) == prefetched, timeout=5,
                   what="the prefetch, or its absence")
