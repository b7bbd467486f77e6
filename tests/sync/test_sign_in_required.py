"""A sign-in the provider no longer accepts is its own kind of offline: the account state says
so (the interface offers to sign in again), and nothing retries it in a loop."""

from __future__ import annotations

import threading
from pathlib import Path

from tui_mail.errors import AuthError
from tui_mail.model import Account, Address, Protocol, Security, ServerConfig
from tui_mail.oauth2.tokens import SignInRequired
from tui_mail.sync.account_worker import AccountWorker, WorkerHost, WorkerSettings, temporary
from tui_mail.sync.events import ConnectionState, ErrorKind, SyncEvent


def worker(tmp_path: Path, events: list[SyncEvent]) -> AccountWorker:
    server = ServerConfig(Protocol.IMAP, "127.0.0.1", 1, Security.TLS, "zoe")
    account = Account(name="work", address=Address("Zoe", "zoe@example.test"),
                      incoming=server, smtp=None)
    host = WorkerHost(store_path=tmp_path / "cache.sqlite3", emit=events.append,
                      replay_lock=threading.Lock(), replay_held=lambda: 0.0,
                      deliver_soon=lambda: None)
    return AccountWorker(account, host, WorkerSettings(sync_every=0, idle=False))


def test_a_revoked_sign_in_is_reported_as_such_and_not_retried(tmp_path: Path) -> None:
    events: list[SyncEvent] = []
    account_worker = worker(tmp_path, events)
    # Its words end in "sign in again": no server's "try again" that passes by itself.
    error = SignInRequired("account 'work': the sign-in has expired or was revoked "
                           "(invalid_grant); sign in again, or try again later")
    assert not temporary(error)
    try:
        account_worker.connection_lost(error)
        account_worker.connection_lost(AuthError("login as 'zoe' failed"))
    finally:
        account_worker.stop()
    states = [e for e in events if isinstance(e, ConnectionState)]
    assert [(s.online, s.kind, s.retry_in) for s in states] == [
        (False, ErrorKind.SIGN_IN, None), (False, ErrorKind.OTHER, None)]


def test_a_login_the_server_could_not_check_is_retried_soon_a_refused_one_is_not() -> None:
    from tui_mail.remote.connection import auth_failed

    server = ServerConfig(Protocol.IMAP, "imap.example.test", 993, Security.TLS, "ann")
    assert temporary(auth_failed(server, "[UNAVAILABLE] Temporary authentication failure."))
    assert temporary(auth_failed(server, "-ERR [SYS/TEMP] Temporary authentication failure"))
    assert not temporary(auth_failed(server, "[AUTHENTICATIONFAILED] Authentication failed."))
    assert not temporary(auth_failed(server, "Temporary words without the code"))
