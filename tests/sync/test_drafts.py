"""Drafts are kept locally and in the server's Drafts folder, one version at a time."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.support.mail_users import imap_client
from tests.support.messages import plain_body
from tui_mail.mail.compose import compose
from tui_mail.model import Address, Draft
from tui_mail.store import Store
from tui_mail.sync.drafts import Drafts

pytestmark = pytest.mark.servers


def drafts_folder(servers, user) -> list[tuple[bytes, tuple[bytes, ...]]]:
    """(the message, its flags) of each message in the user's Drafts."""
    client = imap_client(servers, user)
    try:
        client.select_folder("Drafts", readonly=True)
        uids = client.search("ALL")
        fetched = client.fetch(uids, ["BODY.PEEK[]", "FLAGS"])
        return [(fetched[u][b"BODY[]"], fetched[u][b"FLAGS"]) for u in uids]
    finally:
        client.logout()


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "cache.sqlite3") as s:
        yield s


def test_saving_twice_leaves_one_version_on_the_server_and_locally(mail_servers, fresh, store) -> None:
    alice = fresh("alice")
    drafts = Drafts(store, alice.account, lambda: alice.creds)
    first = compose(Draft(identity=alice.account.address, to=(Address("Bob", "bob@example.test"),),
                          subject="Plans", body="first version"))
    assert drafts.save(first.message_id, first.raw) == "Drafts"
    second = compose(Draft(identity=alice.account.address, to=(Address("Bob", "bob@example.test"),),
                           subject="Plans", body="second version"), message_id=first.message_id)
    drafts.save(second.message_id, second.raw)

    on_server = drafts_folder(mail_servers, alice)
    assert len(on_server) == 1
    raw, flags = on_server[0]
    body = plain_body(message_from_bytes(raw, policy=policy.default))
    assert "second version" in body
    assert b"\\Draft" in flags
    (local,) = drafts.local()
    assert b"second version" in local.raw

    drafts.discard(first.message_id)
    assert drafts_folder(mail_servers, alice) == []
    assert drafts.local() == []


def test_autosave_writes_only_the_cache(fresh, store, mail_servers) -> None:
    alice = fresh("alice")
    drafts = Drafts(store, alice.account, lambda: alice.creds)
    drafts.save_local("<d1@example.test>", b"Subject: x\r\n\r\nbody\r\n")
    assert [d.key for d in drafts.local()] == ["<d1@example.test>"]
    assert drafts_folder(mail_servers, alice) == []
