from __future__ import annotations

from datetime import UTC, datetime

from tui_mail.store import ActionState, OutboxState, Store


def test_outbox_roundtrip_keeps_bytes_and_errors(store: Store) -> None:
    item_id = store.queues.outbox_add("work", b"raw bytes\r\n", "me@x", ["a@x", "b@y"], "<id@x>")
    item = store.queues.outbox_get(item_id)
    assert item is not None and item.raw == b"raw bytes\r\n" and item.rcpts == ("a@x", "b@y")
    assert item.state == OutboxState.QUEUED
    retry = datetime(2030, 1, 1, tzinfo=UTC)
    store.queues.outbox_set_state(item_id, OutboxState.FAILED, "451 try later", retry)
    failed = store.queues.outbox_get(item_id)
    assert failed is not None
    assert (failed.state, failed.last_error, failed.attempts, failed.next_attempt_at) == (
        "failed",
        "451 try later",
        1,
        retry,
    )
    assert [i.id for i in store.queues.outbox_list("work")] == [item_id]
    assert store.queues.outbox_list("other") == []
    store.queues.outbox_remove(item_id)
    assert store.queues.outbox_get(item_id) is None


def test_action_queue_replays_in_order_and_keeps_failures(store: Store) -> None:
    a = store.queues.enqueue_action("work", "flag", {"folder": "INBOX", "uids": [1, 2], "seen": True})
    b = store.queues.enqueue_action("work", "move", {"folder": "INBOX", "uids": [3], "target": "Old"})
    store.queues.enqueue_action("home", "delete", {"folder": "INBOX", "uids": [9]})
    pending = store.queues.pending_actions("work")
    assert [(x.id, x.kind) for x in pending] == [(a, "flag"), (b, "move")]
    assert pending[0].payload == {"folder": "INBOX", "uids": [1, 2], "seen": True}
    store.queues.action_done(a)
    store.queues.action_failed(b, "NO [TRYCREATE] no such mailbox")
    assert store.queues.pending_actions("work") == []
    [failed] = store.queues.actions("work", states=[ActionState.FAILED])
    assert failed.error == "NO [TRYCREATE] no such mailbox"
    store.queues.action_retry(b)
    assert [x.id for x in store.queues.pending_actions("work")] == [b]


def test_pop3_uidls_and_drafts(store: Store) -> None:
    store.queues.pop3_record("pop", "u1", None)
    store.queues.pop3_record("pop", "u2", None)
    store.queues.pop3_mark_deleted("pop", ["u1"])
    assert store.queues.pop3_known_uidls("pop") == {"u1", "u2"}
    assert {u: d for u, _, d in store.queues.pop3_fetched("pop")} == {"u1": True, "u2": False}
    store.queues.pop3_forget("pop", ["u1"])
    assert store.queues.pop3_known_uidls("pop") == {"u2"}
    store.queues.save_draft("work", "k1", b"first")
    store.queues.save_draft("work", "k1", b"second")
    assert [(d.key, d.raw) for d in store.queues.drafts("work")] == [("k1", b"second")]
    store.queues.delete_draft("k1")
    assert store.queues.drafts() == []
