"""New-mail events of the sync engine against the real Dovecot: what a sync reports as news
(`MailArrived`) and what it keeps quiet about."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tui_mail.sync.events import MailArrived

pytestmark = pytest.mark.servers


def mail(n: int, sender: str, subject: str, message_id: str = "") -> bytes:
    return (f"From: {sender}\r\nTo: someone@example.test\r\nSubject: {subject}\r\n"
            f"Message-ID: {message_id or f'<arrival{n}@example.test>'}\r\n"
            f"Date: Mon, 1 Jan 2024 10:{n:02d}:00 +0000\r\n\r\nbody {n}\r\n").encode()


def arrivals(h) -> list[MailArrived]:  # noqa: ANN001
    found = [e for e in h.events if isinstance(e, MailArrived)]
    h.events.clear()
    return found


def test_the_first_sync_is_silent_and_mail_delivered_after_it_is_reported(
        dovecot, make_harness, message):
    h = make_harness(dovecot)
    dovecot.deliver_many(h.user, [message(i) for i in range(30)])
    assert h.sync().ok
    assert arrivals(h) == []

    dovecot.deliver(h.user, mail(1, "Ann Smith <ann@example.test>", "Lunch on Friday?"))
    assert h.sync().ok
    assert arrivals(h) == [MailArrived("test", "INBOX", "INBOX", 1,
                                       (("Ann Smith", "Lunch on Friday?"),))]

    assert h.sync().ok  # nothing new since
    assert arrivals(h) == []


def test_several_messages_are_one_event_with_the_newest_first(dovecot, make_harness, message):
    h = make_harness(dovecot)
    dovecot.deliver(h.user, message(0))
    assert h.sync().ok
    for n in range(5):
        dovecot.deliver(h.user, mail(n, f"<p{n}@example.test>", f"Part {n}"))
    assert h.sync(["INBOX"]).ok
    (event,) = arrivals(h)
    assert event.count == 5
    assert event.newest == (("p4@example.test", "Part 4"), ("p3@example.test", "Part 3"),
                            ("p2@example.test", "Part 2"))


def test_read_mail_and_a_second_copy_of_a_cached_message_are_not_news(
        dovecot, make_harness, message):
    h = make_harness(dovecot)
    dovecot.deliver(h.user, mail(1, "Ann <ann@example.test>", "Already here",
                                 "<same@example.test>"), folder="Sent")
    assert h.sync().ok
    dovecot.deliver(h.user, mail(2, "Bob <bob@example.test>", "Read elsewhere"),
                    flags=["\\Seen"])
    dovecot.deliver(h.user, mail(3, "Ann <ann@example.test>", "Already here",
                                 "<same@example.test>"))
    assert h.sync().ok
    assert arrivals(h) == []
    assert len(h.cached_uids("INBOX")) == 2  # both cached all the same


def test_only_the_folders_that_notify_report_new_mail(dovecot, make_harness, message):
    h = make_harness(dovecot)
    for folder in ("Lists/dev", "Lists/announce", "Archive"):
        dovecot.deliver(h.user, message(0), folder=folder)
    assert h.sync().ok
    arrivals(h)

    for n, folder in enumerate(("INBOX", "Lists/dev", "Lists/announce", "Archive")):
        dovecot.deliver(h.user, mail(n, "Ann <ann@example.test>", f"To {folder}"),
                        folder=folder)
    assert h.sync().ok
    assert [e.folder for e in arrivals(h)] == ["INBOX"]  # the default: the inbox only

    h.account = replace(h.account, notify_folders=("INBOX", "Lists/*"))
    for n, folder in enumerate(("INBOX", "Lists/dev", "Lists/announce", "Archive")):
        dovecot.deliver(h.user, mail(10 + n, "Ann <ann@example.test>", f"Again {folder}"),
                        folder=folder)
    assert h.sync().ok
    assert sorted(e.folder for e in arrivals(h)) == ["INBOX", "Lists/announce", "Lists/dev"]

    h.account = replace(h.account, notify=False)
    dovecot.deliver(h.user, mail(20, "Ann <ann@example.test>", "Quiet now"))
    assert h.sync().ok
    assert arrivals(h) == []


def test_a_folder_fetched_again_after_its_uidvalidity_changed_is_silent(
        dovecot, make_harness, message):
    h = make_harness(dovecot)
    h.account = replace(h.account, notify_folders=("Work",))
    other = h.other_client()
    try:
        other.create_folder("Work")
        other.append("Work", message(1))
        assert h.sync(["Work"]).ok
        other.delete_folder("Work")
        other.create_folder("Work")
        for i in range(3):
            other.append("Work", message(10 + i))
    finally:
        other.close()
    result = h.sync(["Work"])
    assert result.ok and result.resets == 1
    assert arrivals(h) == []
