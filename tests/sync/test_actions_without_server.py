"""The demo, a POP3 account and a cache opened without a config act through the same
`ActionQueue` as an IMAP account: the cache changes the same way, nothing is queued for a
server, and undo puts the rows back from what the queue kept."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest

from tui_mail.demo import build_demo_cache
from tui_mail.model import (
    Account,
    Address,
    FolderRole,
    MessageSummary,
    Protocol,
    Security,
    ServerConfig,
)
from tui_mail.store.db import Store
from tui_mail.store.types import View
from tui_mail.sync.acting import ActionKind, UserActions
from tui_mail.sync.actions import ActionQueue


@pytest.fixture
def demo(tmp_path: Path) -> Store:
    return Store.open(build_demo_cache(tmp_path / "demo.sqlite3"))


def inbox(store: Store, count: int) -> list[MessageSummary]:
    """The newest `count` messages of the demo's INBOX."""
    return store.listing.page(View.role(FolderRole.INBOX), 0, count)


def user_actions(store: Store, accounts: dict[str, Account] | None = None) -> UserActions:
    return UserActions(store, accounts or {}, threading.RLock(), lambda _name: threading.Lock())


def pop3(name: str) -> Account:
    server = ServerConfig(Protocol.POP3, "127.0.0.1", 995, Security.TLS, "sam")
    smtp = replace(server, protocol=Protocol.SMTP, port=465)
    return Account(name=name, address=Address("Sam", "sam@example.com"), incoming=server,
                   smtp=smtp)


def test_a_demo_delete_moves_to_trash_queues_nothing_and_undo_brings_it_back(demo: Store):
    two = inbox(demo, 2)
    account = two[0].account
    actions = user_actions(demo)

    outcome = actions.act(ActionKind.DELETE, two)

    assert outcome.message == "Deleted 2 messages. (u: undo)"
    assert outcome.queued == []
    assert {demo.message_row(m.id).folder for m in two} == {"Trash"}  # type: ignore[union-attr]
    assert demo.queues.actions(account) == []
    message, undone = actions.undo_last()
    assert (message, sorted(undone)) == ("Undone (2 messages).", sorted(m.id for m in two))
    assert [demo.message_row(m.id) for m in two] == two


def test_a_flag_change_without_a_server_is_kept_for_undo_only(demo: Store):
    message = inbox(demo, 1)[0]
    queue = ActionQueue(demo, message.account)

    group = queue.flag([message.id], not message.flags.flagged)

    assert group is not None
    assert queue.server is False
    assert queue.before == [(message.id, "INBOX", message.uid, message.flags)]
    assert demo.message_row(message.id).flags.flagged is not message.flags.flagged  # type: ignore[union-attr]
    assert demo.queues.actions(message.account) == []


def test_a_copy_needs_a_server_and_changes_nothing_without_one(demo: Store):
    message = inbox(demo, 1)[0]

    outcome = user_actions(demo).act(ActionKind.COPY, [message], "Archive")

    assert outcome.errors == [f"{message.account}: copying needs a mail server; "
                              "this account has none"]
    assert demo.message_row(message.id) == message


def test_a_pop3_account_marks_read_in_the_cache_alone_and_deletes_into_a_trash_it_makes(
        tmp_path: Path):
    store = Store.open(build_demo_cache(tmp_path / "demo.sqlite3"))
    first, second = inbox(store, 2)
    accounts = {first.account: pop3(first.account)}
    actions = user_actions(store, accounts)

    read = actions.act(ActionKind.READ if not first.flags.seen else ActionKind.UNREAD, [first])
    deleted = actions.act(ActionKind.DELETE, [second])

    assert read.queued == deleted.queued == []
    assert store.message_row(first.id).flags.seen is not first.flags.seen  # type: ignore[union-attr]
    assert store.queues.actions(first.account) == []
    trash = store.message_row(second.id).folder  # type: ignore[union-attr]
    assert [f.role for f in store.folders(first.account) if f.name == trash] == [FolderRole.TRASH]
    actions.undo_last()
    actions.undo_last()
    assert store.message_row(first.id) == first
    assert store.message_row(second.id) == second
