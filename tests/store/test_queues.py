from __future__ import annotations

from datetime import UTC, datetime

from tui_mail.store import ActionState, OutboxState, Store


def test_outbox_roundtrip_keeps_bytes_and_errors(store: Store) -> None:
    item_id = store.outbox_add("work", b"raw bytes\r\n", "me@x", ["a@x", "b@y"], "<id@x>")
    item = store.outbox_get(item_id)
    assert item is not None and item.raw == b"raw bytes\r\n" and item.rcpts == ("a@x", "b@y")
    assert item.state == OutboxState.QUEUED
    retry = datetime(2030, 1, 1, tzinfo=UTC)
    store.outbox_set_state(item_id, OutboxState.FAILED, "451 try later", retry)
    failed = store.outbox_get(item_id)
    assert failed is not None
    assert (failed.state, failed.last_error, failed.attempts, failed.next_attempt_at) == (
        "failed",
        "451 try later",
        1,
        retry,
    )
    assert [i.id for i in store.outbox_list("work")] == [item_id]
    assert store.outbox_list("other") == []
    store.outbox_remove(item_id)
    assert store.outbox_get(item_id) is None


def test_action_queue_replays_in_order_and_keeps_failures(store: Store) -> None:
    a = store.enqueue_action("work", "flag", {"folder": "INBOX", "uids": [1, 2], "seen": True})
    b = store.enqueue_action("work", "move", {"folder": "INBOX", "uids": [3], "target": "Old"})
    store.enqueue_action("home", "delete", {"folder": "INBOX", "uids": [9]})
    pending = store.pending_actions("work")
    assert [(x.id, x.kind) for x in pending] == [(a, "flag"), (b, "move")]
    assert pending[0].payload == {"folder": "INBOX", "uids": [1, 2], "seen": True}
    store.action_done(a)
    store.action_failed(b, "NO [TRYCREATE] no such mailbox")
    assert store.pending_actions("work") == []
    [failed] = store.actions("work", states=[ActionState.FAILED])
    assert failed.error == "NO [TRYCREATE] no such mailbox"
    store.action_retry(b)
    assert [x.id for x in store.pending_actions("work")] == [b]


def test_pop3_uidls_and_drafts(store: Store) -> None:
    store.pop3_record("pop", "u1", None)
    store.pop3_record("pop", "u2", None)
    store.pop3_mark_deleted("pop", ["u1"])
    assert store.pop3_known_uidls("pop") == {"u1", "u2"}
    assert {u: d for u, _, d in store.pop3_fetched("pop")} == {"u1": True, "u2": False}
    store.pop3_forget("pop", ["u1"])
    assert store.pop3_known_uidls("pop") == {"u2"}
    store.save_draft("work", "k1", b"first")
    store.save_draft("work", "k1", b"second")
    assert [(d.key, d.raw) for d in store.drafts("work")] == [("k1", b"second")]
    store.delete_draft("k1")
    assert store.drafts() == []
