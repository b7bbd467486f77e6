"""Reading on every server of the matrix: headers, bodies, folders (nested, non-ASCII,
special-use), another client's changes, a folder recreated with a new UIDVALIDITY, search."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.support.matrix import raw_message
from tui_mail.model import FolderKind, FolderRole, Protocol
from tui_mail.store.db import Store

pytestmark = pytest.mark.servers

ATTACHED = (
    b"From: Bob <bob@example.test>\r\nTo: me@example.test\r\nSubject: Report attached\r\n"
    b"Message-ID: <report@example.test>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
    b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe figures are attached.\r\n"
    b"--b1\r\nContent-Type: application/pdf; name=report.pdf\r\n"
    b"Content-Disposition: attachment; filename=report.pdf\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n"
)


def test_new_mail_is_listed_and_each_body_opens(imap_server, make_mailbox) -> None:
    box = make_mailbox(imap_server)
    with box.other() as other:
        other.deliver(raw_message("Plain hello", "Just text.\n", minutes_ago=3))
        other.deliver(raw_message("Grüße aus Köln", "Schöne Grüße, ½ € und 日本語.\n",
                                  minutes_ago=2))
        other.deliver(ATTACHED)
    assert box.sync().ok
    rows = box.rows()
    assert set(rows) == {"Plain hello", "Grüße aus Köln", "Report attached"}
    assert rows["Report attached"].has_attachment
    assert b"Just text." in box.body(rows["Plain hello"])
    assert "Schöne Grüße, ½ € und 日本語" in box.body(rows["Grüße aus Köln"]).decode()
    assert b"report.pdf" in box.body(rows["Report attached"])


def test_nested_and_non_ascii_folders_are_listed_with_their_mail(imap_server,
                                                                 make_mailbox) -> None:
    box = make_mailbox(imap_server)
    ns = imap_server.namespace
    work, year, meetings = ns.folder("Work"), ns.folder("Work", "2024"), ns.folder("Réunions")
    with box.other() as other:
        for name in (work, year, meetings):
            other.create(name)
        other.deliver(raw_message("In work"), work)
        other.deliver(raw_message("In 2024"), year)
        other.deliver(raw_message("Ordre du jour"), meetings)
    assert box.sync().ok
    folders = box.folders()
    assert {work, year, meetings} <= set(folders)
    assert folders[year].path == ns.delimiter.join(["Work", "2024"])  # nested inside the namespace
    assert folders[year].delimiter == ns.delimiter
    assert folders[meetings].path == "Réunions"
    assert set(box.rows(year)) == {"In 2024"} and set(box.rows(meetings)) == {"Ordre du jour"}


def test_each_role_goes_to_one_folder_of_the_users_own(imap_server, make_mailbox) -> None:
    box = make_mailbox(imap_server, special_folders=True)
    assert box.sync().ok
    roles: dict[FolderRole, list[str]] = {}
    for folder in box.folders().values():
        if folder.role is not FolderRole.NONE:
            roles.setdefault(folder.role, []).append(folder.name)
            assert folder.kind is FolderKind.PERSONAL
    ns = imap_server.namespace
    assert roles == {
        FolderRole.INBOX: ["INBOX"],
        FolderRole.DRAFTS: [ns.folder("Drafts")],
        FolderRole.SENT: [ns.folder("Sent")],
        FolderRole.TRASH: [ns.folder("Trash")],
        FolderRole.JUNK: [ns.folder("Junk")],
        FolderRole.ARCHIVE: [ns.folder("Archive")],
    }


def test_another_clients_reads_flags_and_expunges_are_seen(imap_server, make_mailbox) -> None:
    box = make_mailbox(imap_server)
    with box.other() as other:
        uids = [other.deliver(raw_message(s, minutes_ago=n))
                for n, s in enumerate(["Read elsewhere", "Flagged elsewhere", "Gone elsewhere"])]
    assert box.sync().ok
    assert not any(r.flags.seen for r in box.rows().values())
    with box.other() as other:
        other.set_flags("INBOX", [uids[0]], ["\\Seen"])
        other.set_flags("INBOX", [uids[1]], ["\\Flagged"])
        other.expunge("INBOX", [uids[2]])
    assert box.sync().ok
    rows = box.rows()
    assert set(rows) == {"Read elsewhere", "Flagged elsewhere"}
    assert rows["Read elsewhere"].flags.seen and not rows["Read elsewhere"].flags.flagged
    assert rows["Flagged elsewhere"].flags.flagged and not rows["Flagged elsewhere"].flags.seen


def test_a_folder_recreated_on_the_server_is_read_again_not_mixed(imap_server,
                                                                   make_mailbox) -> None:
    box = make_mailbox(imap_server)
    lists = imap_server.namespace.folder("Lists")
    with box.other() as other:
        other.create(lists)
        other.deliver(raw_message("Old list mail"), lists)
    assert box.sync().ok
    assert set(box.rows(lists)) == {"Old list mail"}
    with box.other() as other:
        other.delete(lists)
        other.create(lists)
        other.deliver(raw_message("New list mail"), lists)
    assert box.sync().ok
    assert set(box.rows(lists)) == {"New list mail"}


def test_downloaded_bodies_are_searchable(imap_server, make_mailbox) -> None:
    box = make_mailbox(imap_server)
    with box.other() as other:
        other.deliver(raw_message("Quarterly", "The zeppelin budget is approved.\n"))
        other.deliver(raw_message("Other", "Nothing to see.\n"))
    assert box.sync(bodies=True).ok
    with Store.open(box.cache, readonly=True) as store:
        hits = store.listing.search("zeppelin", account="work")
    assert [h.subject for h in hits] == ["Quarterly"]


def test_a_pop3_account_downloads_the_inbox(imap_server, make_mailbox) -> None:
    if imap_server.pop3_tls_port is None:
        pytest.skip(f"{imap_server.label} is run without POP3")
    imap = make_mailbox(imap_server)
    with imap.other() as other:
        other.deliver(raw_message("First by POP3", "Fetched whole.\n", minutes_ago=2))
        other.deliver(raw_message("Second by POP3", minutes_ago=1))
    pop3 = replace(imap.account.incoming, protocol=Protocol.POP3, port=imap_server.pop3_tls_port)
    box = make_mailbox(imap_server, user=imap.user, incoming=pop3)
    assert box.sync().ok
    rows = box.rows()
    assert set(rows) == {"First by POP3", "Second by POP3"}
    assert b"Fetched whole." in box.body(rows["First by POP3"])
    assert box.sync().ok  # nothing new: no duplicate
    assert len(box.rows()) == 2
