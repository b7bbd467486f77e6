"""Unsubscribing from the command palette, on the list and in the viewer: the question names
the list and the way, "n" does nothing, "y" makes the one-click POST to a real HTTPS server
(trusted through the app's injected TLS context, not by switching verification off); the
list's own links are in the `o` list."""

from __future__ import annotations

from pathlib import Path

from tests.support.https_server import https_server
from tests.support.pilot import on_first_row, said, screen_text, settle
from tui_mail.ui.screens.list_invite_dialogs import ConfirmUnsubscribe
from tui_mail.ui.screens.message import MessageScreen
from tui_mail.ui.screens.picker import LinkPicker


def list_mail(unsubscribe_url: str, *, signed: bool = True) -> bytes:
    results = (b"Authentication-Results: mx.example.net; dkim=pass header.d=lists.example.org\r\n"
               if signed else b"")
    return (
        results
        + b"Received: from out.lists.example.org by mx.example.net; Mon, 1 Jan 2024 00:00:00"
        b" +0000\r\n"
        b"DKIM-Signature: v=1; a=rsa-sha256; d=lists.example.org; s=k1;\r\n"
        b"\th=From:Subject:List-Unsubscribe:List-Unsubscribe-Post; bh=x; b=abc\r\n"
        b"From: Dev list <dev@lists.example.org>\r\nTo: sam@example.com\r\n"
        b"Subject: Weekly digest\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
        b"Message-ID: <digest-1@lists.example.org>\r\n"
        b"List-Id: Dev <dev.lists.example.org>\r\nList-Post: <mailto:dev@lists.example.org>\r\n"
        b"List-Unsubscribe: <" + unsubscribe_url.encode() + b">, "
        b"<mailto:dev-request@lists.example.org?subject=unsubscribe>\r\n"
        b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
        b"List-Archive: <https://lists.example.org/archive/dev>\r\n"
        b"List-Help: <mailto:dev-request@lists.example.org?subject=help>\r\n"
        b"\r\nThis week on the list.\r\n"
    )


async def unsubscribe_from_palette(pilot) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause(0.3)
    await pilot.press(*"unsubscribe")
    await pilot.pause(0.5)
    await pilot.press("enter")
    await settle(pilot)


async def test_no_in_the_question_sends_nothing(tmp_path: Path, app_with) -> None:
    with https_server(tmp_path) as server:
        app = app_with([list_mail(server.url("/u?t=1"))])
        app.https_context = server.client_context()
        async with app.run_test(size=(120, 40)) as pilot:
            await on_first_row(pilot)
            await unsubscribe_from_palette(pilot)
            assert isinstance(app.screen, ConfirmUnsubscribe)
            assert ("Unsubscribe from dev@lists.example.org by a one-click request to localhost?"
                    in screen_text(app))
            await pilot.press("n")
            await settle(pilot)
            assert not isinstance(app.screen, ConfirmUnsubscribe)
        assert server.requests == []


async def test_yes_in_the_viewer_posts_one_click_and_says_what_the_server_answered(
        tmp_path: Path, app_with) -> None:
    with https_server(tmp_path) as server:
        app = app_with([list_mail(server.url("/u?t=1"))])
        app.https_context = server.client_context()
        async with app.run_test(size=(120, 40)) as pilot:
            await on_first_row(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, MessageScreen)
            await unsubscribe_from_palette(pilot)
            assert isinstance(app.screen, ConfirmUnsubscribe)
            await pilot.press("y")
            await settle(pilot)
            assert "localhost answered 200 OK: the unsubscribe request was taken." in said(app)
        [request] = server.requests
        assert (request.method, request.path) == ("POST", "/u?t=1")
        assert request.content_type == "application/x-www-form-urlencoded"
        assert request.body == b"List-Unsubscribe=One-Click"


async def test_a_one_click_offer_without_a_trusted_signature_is_sent_by_mail_instead(
        tmp_path: Path, app_with) -> None:
    with https_server(tmp_path) as server:
        app = app_with([list_mail(server.url("/u?t=1"), signed=False)])
        async with app.run_test(size=(120, 40)) as pilot:
            await on_first_row(pilot)
            await unsubscribe_from_palette(pilot)
            assert ("Unsubscribe from dev@lists.example.org by sending a mail to "
                    "dev-request@lists.example.org?" in screen_text(app))
            await pilot.press("y")
            await settle(pilot)
            assert "cannot send mail" in said(app)  # this account has no server
        assert server.requests == []


async def test_a_message_of_no_list_says_there_is_no_way_to_unsubscribe(
        tmp_path: Path, app_with) -> None:
    app = app_with([b"From: a@example.org\r\nSubject: hi\r\nDate: Mon, 1 Jan 2024 00:00:00"
                    b" +0000\r\n\r\nhello\r\n"])
    async with app.run_test(size=(120, 40)) as pilot:
        await on_first_row(pilot)
        await app.run_action("unsubscribe")
        await settle(pilot)
        assert "gives no way to unsubscribe" in said(app)
        assert not isinstance(app.screen, ConfirmUnsubscribe)


async def test_the_links_list_offers_the_lists_archive_and_help_labelled(
        tmp_path: Path, app_with) -> None:
    app = app_with([list_mail("https://lists.example.org/u")])
    async with app.run_test(size=(120, 40)) as pilot:
        await on_first_row(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, LinkPicker)
        text = screen_text(app)
        assert "[1] list archive: https://lists.example.org/archive/dev" in text
        assert "[2] list help: mailto:dev-request@lists.example.org?subject=help" in text
