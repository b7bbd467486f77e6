"""Namespaces on every server and Cyrus configuration: the client reads NAMESPACE, makes Sent
and Drafts inside the user's own namespace when the account has none, and never takes another
user's or a shared folder for one of the user's own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers.imapserver import OtherClient
from tests.support.matrix import WAIT, Mailbox, raw_message, wait_until
from tui_mail.mail.compose import compose
from tui_mail.model import Address, Draft, FolderKind, FolderRole
from tui_mail.remote.backend import Namespace
from tui_mail.remote.connection import Credentials
from tui_mail.remote.imap import ImapBackend
from tui_mail.sync.service import MailService, ServiceSettings

pytestmark = pytest.mark.servers

CYRUS = ("cyrus", "cyrus-slash", "cyrus-altns", "cyrus-altns-slash")


def test_the_users_namespace_is_read_from_the_server(namespace_server, make_mailbox) -> None:
    box = make_mailbox(namespace_server)
    backend = ImapBackend.open(box.account.incoming,
                               Credentials(box.user.login, password=box.user.password))
    try:
        expected = namespace_server.namespace
        assert backend.namespaces.own == Namespace(expected.prefix, expected.delimiter)
        assert backend.namespaces.folder_name("Work", "2024") == expected.folder("Work", "2024")
    finally:
        backend.close()


@pytest.fixture
def background(make_mailbox) -> Iterator[list[MailService]]:
    made: list[MailService] = []
    yield made
    for service in made:
        service.stop(timeout=5)


def _running(box: Mailbox, services: list[MailService]) -> MailService:
    """The mail service as the app runs it (no timer, no IDLE: only what the test asks)."""
    service = MailService([box.account], box.cache,
                          settings=ServiceSettings(sync_every_minutes=0, idle=False))
    services.append(service)
    service.start()
    assert service.wait_quiet(WAIT)
    return service


def _role_of(box: Mailbox, folder: str) -> FolderRole | None:
    cached = box.folders().get(folder)
    return cached.role if cached is not None else None


def _subjects_in(box: Mailbox, folder: str) -> list[str]:
    with box.other() as other:
        return other.subjects(folder) if folder in other.folders() else []


def test_sent_and_drafts_are_made_inside_the_users_namespace(namespace_server, make_mailbox,
                                                             background) -> None:
    box = make_mailbox(namespace_server, special_folders=False)
    service = _running(box, background)
    recipient = box.account.address.email  # the sender's own Postfix mailbox
    draft = Draft(identity=box.account.address, to=(Address("", recipient),),
                  subject="Minutes of Monday", body="Attached are the minutes.\n")
    service.send(box.account, compose(draft))
    ns = namespace_server.namespace
    wait_until(lambda: _subjects_in(box, ns.folder("Sent")) == ["Minutes of Monday"],
               what=f"the copy in {ns.folder('Sent')}")
    # No timer runs: the new folder reaches the tree, with its role, because it was made.
    wait_until(lambda: _role_of(box, ns.folder("Sent")) is FolderRole.SENT,
               what="the new Sent folder in the cache with its role")
    unfinished = compose(Draft(identity=box.account.address, to=(Address("", recipient),),
                               subject="Half a thought", body="To be continued\n"))
    assert service.save_draft(box.account, "half-thought", unfinished.raw)
    wait_until(lambda: _subjects_in(box, ns.folder("Drafts")) == ["Half a thought"],
               what=f"the draft in {ns.folder('Drafts')}")
    wait_until(lambda: _role_of(box, ns.folder("Drafts")) is FolderRole.DRAFTS,
               what="the new Drafts folder in the cache with its role")
    with box.other() as other:
        top_level = [name for name in other.folders() if name in ("Sent", "Drafts")]
    assert ns.prefix == "" or top_level == []  # nothing made outside the namespace


@pytest.mark.parametrize("label", CYRUS)
def test_other_users_and_shared_folders_are_listed_apart_and_never_take_a_role(
        label: str, imap_servers, make_mailbox) -> None:
    server = imap_servers(label)
    box = make_mailbox(server, special_folders=True)
    owner = server.new_user(special_folders=True)
    theirs = [server.share_folder(owner, name, box.user) for name in ("Trash", "Sent", "INBOX")]
    shared = [server.create_shared_folder(f"{name}-{box.user.login}", box.user)
              for name in ("Trash", "Archive")]
    with box.other() as other:
        other.deliver(raw_message("Unwanted"))
    assert box.sync().ok
    folders = box.folders()
    roles = [(f.role, f.name) for f in folders.values() if f.role is not FolderRole.NONE]
    assert sorted(r for r, _ in roles) == sorted(
        [FolderRole.INBOX, FolderRole.SENT, FolderRole.DRAFTS, FolderRole.TRASH,
         FolderRole.JUNK, FolderRole.ARCHIVE])  # each once
    assert all(folders[name].kind is FolderKind.PERSONAL for _, name in roles)
    assert {folders[name].kind for name in theirs} == {FolderKind.OTHER_USERS}
    assert {folders[name].kind for name in shared} == {FolderKind.SHARED}
    box.act("delete", ["Unwanted"])
    result = box.sync()
    assert result.ok, result.errors
    with box.other() as other:
        assert other.subjects(server.namespace.folder("Trash")) == ["Unwanted"]
    with OtherClient(server, owner) as other:
        assert other.subjects(server.namespace.folder("Trash")) == []
