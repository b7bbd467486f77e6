"""Writing mail in the interface and sending it through the test Postfix, read back over IMAP."""

from __future__ import annotations

import os
from dataclasses import replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.support.composer import composer
from tests.support.mail_users import (
    User,
    fetch_all,
    make_user,
    wait_for,
    wait_for_subject,
    with_password_file,
)
from tests.support.messages import plain_body
from tests.support.pilot import screen_text, settle
from tui_mail.mail.draftfile import draft_from_bytes
from tui_mail.model import Account, Address, Identity
from tui_mail.store.db import Store
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.screens.composer import ComposerScreen

pytestmark = pytest.mark.servers


@pytest.fixture
def fresh_user(mail_servers):
    def make(name: str) -> User:
        login, password, address = mail_servers.new_user()
        return make_user(mail_servers, name, login, password, address)
    return make


def set_field(app: TuiMailApp, widget_id: str, value: str) -> None:
    app.screen.query_one(f"#{widget_id}", Input).value = value


async def send_and_wait(pilot, app: TuiMailApp) -> str:
    await pilot.press("ctrl+t")
    await settle(pilot)
    await app.workers.wait_for_complete()
    await settle(pilot)
    return " | ".join(n.message for n in app.notified)


async def test_a_message_written_in_the_composer_arrives_with_its_headers_and_attachment(
        mail_servers, fresh_user, make_app, tmp_path: Path) -> None:
    alice, bob, carol = fresh_user("alice"), fresh_user("bob"), fresh_user("carol")
    account = with_password_file(alice, tmp_path, signature="Alice")
    payload = os.urandom(40_000) + b"\0\r\n\x1b end"
    attached = tmp_path / "données.bin"
    attached.write_bytes(payload)
    app = make_app(accounts=(account,), store_path=tmp_path / "alice.sqlite3")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        set_field(app, "to", f"Bób Ärger <{bob.address}>")
        set_field(app, "cc", carol.address)
        set_field(app, "subject", "Réunion — Grüße 🎉")
        composer(app).body.load_text("Bonjour à tous\n" + composer(app).body.text)
        set_field(app, "attach", str(attached))
        app.screen.query_one("#attach", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        said = await send_and_wait(pilot, app)
        assert "Sent" in said, said
        assert type(app.screen).__name__ == "MailboxScreen"
        assert list(app.store.queues.outbox_list()) == []
    [got] = wait_for_subject(mail_servers, bob, "Réunion — Grüße 🎉")
    assert got["From"].addresses[0].addr_spec == alice.address
    assert got["To"].addresses[0].display_name == "Bób Ärger"
    assert got["Cc"].addresses[0].addr_spec == carol.address
    body = plain_body(got).replace("\r\n", "\n")
    assert body == "Bonjour à tous\n-- \nAlice\n"
    [part] = list(got.iter_attachments())
    assert part.get_filename() == "données.bin"
    assert part.get_payload(decode=True) == payload
    assert len(wait_for(mail_servers, carol)) == 1
    assert len(fetch_all(mail_servers, alice, "Sent")) == 1


def deliver_and_sync(mail_servers, user: User, account: Account, store_path: Path,
                     raw: bytes, *, bodies: bool = True) -> None:
    from tui_mail.sync.account_sync import sync_account

    mail_servers.deliver(user.login, raw)
    with Store.open(store_path) as store:
        assert sync_account(store, account, lambda: user.creds, folders=["INBOX"],
                            bodies=bodies, replay=False).ok


def original_for(alice: User, bob: User, carol: User, dave: User) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Dave <{dave.address}>"
    msg["To"] = f"Alice <{alice.address}>, Bob <{bob.address}>"
    msg["Cc"] = f"Carol <{carol.address}>, alias <alice.alias@example.org>"
    msg["Subject"] = "Quarterly plan"
    msg["Message-ID"] = "<plan-1@example.org>"
    msg["Date"] = "Tue, 14 May 2024 10:00:00 +0000"
    msg.set_content("Here is the plan.\n")
    return msg.as_bytes()


async def test_reply_all_leaves_out_my_own_addresses_and_reaches_everyone_else(
        mail_servers, fresh_user, make_app, tmp_path: Path) -> None:
    alice, bob, carol, dave = (fresh_user(n) for n in ("alice", "bob", "carol", "dave"))
    account = with_password_file(alice, tmp_path, identities=(
        Identity(Address("Alice alias", "alice.alias@example.org")),))
    store_path = tmp_path / "alice.sqlite3"
    deliver_and_sync(mail_servers, alice, account, store_path,
                     original_for(alice, bob, carol, dave))
    app = make_app(accounts=(account,), store_path=store_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await app.run_action("reply_all")
        await settle(pilot)
        fields = composer(app).fields()
        assert fields.to == f"Dave <{dave.address}>"
        assert fields.cc == f"Bob <{bob.address}>, Carol <{carol.address}>"
        assert fields.subject == "Re: Quarterly plan"
        assert "> Here is the plan." in fields.body
        said = await send_and_wait(pilot, app)
        assert "Sent" in said, said
    for who in (bob, carol, dave):
        [got] = wait_for_subject(mail_servers, who, "Re: Quarterly plan")
        assert got["In-Reply-To"] == "<plan-1@example.org>"


async def test_forward_as_attachment_arrives_as_a_message_rfc822_part(
        mail_servers, fresh_user, make_app, tmp_path: Path) -> None:
    alice, bob, carol, dave, erin = (fresh_user(n) for n in ("alice", "bob", "carol", "dave",
                                                              "erin"))
    account = with_password_file(alice, tmp_path)
    store_path = tmp_path / "alice.sqlite3"
    deliver_and_sync(mail_servers, alice, account, store_path,
                     original_for(alice, bob, carol, dave))
    app = make_app(accounts=(account,), store_path=store_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await app.run_action("forward_attachment")
        await settle(pilot)
        set_field(app, "to", erin.address)
        said = await send_and_wait(pilot, app)
        assert "Sent" in said, said
    [got] = wait_for_subject(mail_servers, erin, "Fwd: Quarterly plan")
    [part] = [p for p in got.walk() if p.get_content_type() == "message/rfc822"]
    inner = part.get_content()
    assert isinstance(inner, EmailMessage)
    assert inner["Message-ID"] == "<plan-1@example.org>"
    assert "Here is the plan." in plain_body(inner)


async def test_forward_inline_arrives_with_the_original_attachment_byte_for_byte(
        mail_servers, fresh_user, make_app, tmp_path: Path) -> None:
    alice, bob, carol, dave, erin = (fresh_user(n) for n in ("alice", "bob", "carol", "dave",
                                                              "erin"))
    account = with_password_file(alice, tmp_path)
    store_path = tmp_path / "alice.sqlite3"
    original = message_from_bytes(original_for(alice, bob, carol, dave), policy=policy.default)
    payload = bytes(range(256)) * 40
    original.add_attachment(payload, maintype="application", subtype="pdf",
                            filename="plan Q3.pdf")
    deliver_and_sync(mail_servers, alice, account, store_path, original.as_bytes())
    app = make_app(accounts=(account,), store_path=store_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await app.run_action("forward")
        await settle(pilot)
        assert "plan Q3.pdf" in screen_text(app)  # listed in the composer, removable
        set_field(app, "to", erin.address)
        said = await send_and_wait(pilot, app)
        assert "Sent" in said, said
    [got] = wait_for_subject(mail_servers, erin, "Fwd: Quarterly plan")
    assert "Here is the plan." in plain_body(got)
    [part] = got.iter_attachments()
    assert part.get_filename() == "plan Q3.pdf"
    assert part.get_content_type() == "application/pdf"
    assert part.get_content() == payload


async def test_a_saved_draft_keeps_one_version_on_the_server_and_goes_away_once_sent(
        mail_servers, fresh_user, make_app, tmp_path: Path) -> None:
    alice, bob = fresh_user("alice"), fresh_user("bob")
    account = with_password_file(alice, tmp_path)
    app = make_app(accounts=(account,), store_path=tmp_path / "alice.sqlite3")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await app.run_action("compose")
        await settle(pilot)
        set_field(app, "to", bob.address)
        set_field(app, "subject", "Draft first")
        await pilot.press("ctrl+s")
        await settle(pilot)
        composer(app).body.load_text("second version\n")
        await pilot.press("ctrl+s")
        await settle(pilot)
        [on_server] = fetch_all(mail_servers, alice, "Drafts")
        assert draft_from_bytes(on_server)[0].body == "second version\n"
        said = await send_and_wait(pilot, app)
        assert "Sent" in said, said
        assert app.store.queues.drafts() == []
    assert fetch_all(mail_servers, alice, "Drafts") == []
    assert len(wait_for_subject(mail_servers, bob, "Draft first")) == 1


async def test_replying_to_a_message_whose_body_is_not_cached_fetches_it_first(
        mail_servers, fresh_user, make_app, tmp_path: Path) -> None:
    alice, bob, carol, dave = (fresh_user(n) for n in ("alice", "bob", "carol", "dave"))
    account = with_password_file(alice, tmp_path)
    store_path = tmp_path / "alice.sqlite3"
    deliver_and_sync(mail_servers, alice, account, store_path,
                     original_for(alice, bob, carol, dave), bodies=False)
    app = make_app(accounts=(account,), store_path=store_path)
    app.ui_settings = replace(app.ui_settings, preview_pane="off")  # it would fetch the body
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        [summary] = app.target_summaries()
        assert app.store.raw_message(summary.id) is None
        await app.run_action("reply")
        await settle(pilot)
        await app.workers.wait_for_complete()
        await settle(pilot)
        fields = composer(app).fields()
        assert fields.to == f"Dave <{dave.address}>"
        assert "> Here is the plan." in fields.body
        assert app.store.raw_message(summary.id) is not None


def list_message_for(alice: User, ann: User, listbox: User) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Ann <{ann.address}>"
    msg["To"] = f"Dev list <{listbox.address}>"
    msg["Cc"] = f"Alice <{alice.address}>"
    msg["Subject"] = "[dev] Release plan"
    msg["Message-ID"] = "<release-1@example.org>"
    msg["Date"] = "Tue, 14 May 2024 10:00:00 +0000"
    msg["List-Id"] = "Developers <dev.lists.example.org>"
    msg["List-Post"] = f"<mailto:{listbox.address}>"
    msg.set_content("Shall we ship on Friday?\n")
    return msg.as_bytes()


async def test_reply_to_list_goes_to_the_lists_address_only(
        mail_servers, fresh_user, make_app, tmp_path: Path) -> None:
    alice, ann, listbox = (fresh_user(n) for n in ("alice", "ann", "devlist"))
    account = with_password_file(alice, tmp_path)
    store_path = tmp_path / "alice.sqlite3"
    deliver_and_sync(mail_servers, alice, account, store_path,
                     list_message_for(alice, ann, listbox))
    app = make_app(accounts=(account,), store_path=store_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("L")
        await settle(pilot)
        fields = composer(app).fields()
        assert (fields.to, fields.cc) == (listbox.address, "")
        assert fields.subject == "Re: [dev] Release plan"
        said = await send_and_wait(pilot, app)
        assert "Sent" in said, said
    [got] = wait_for_subject(mail_servers, listbox, "Re: [dev] Release plan")
    assert got["In-Reply-To"] == "<release-1@example.org>"
    assert not fetch_all(mail_servers, ann)  # the author is reached through the list


async def test_reply_to_list_on_mail_of_no_list_says_so(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("L")
        await settle(pilot)
        assert not isinstance(app.screen, ComposerScreen)
        assert any("no mailing list" in n.message for n in app.notified)
