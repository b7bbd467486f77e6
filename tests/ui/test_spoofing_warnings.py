"""Issue 17: the viewer's header block warns of spoofing and says whether the sender's domain
passed authentication at the user's own server; attachments and links are flagged."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from textual.app import App, ComposeResult

from tests.support.pilot import screen_text
from tui_mail.model import Address, Flags, MessageSummary
from tui_mail.ui.screens.picker import AttachmentPicker, LinkPicker
from tui_mail.ui.widgets.message_view import MessageView

RAW = (
    b"Received: from relay.bad.example by mx.example.net (Postfix) with ESMTPS id 1;\r\n"
    b"\tMon, 1 Jan 2024 00:00:00 +0000\r\n"
    b"Authentication-Results: mx.example.net; dkim=pass header.d=bad.example;\r\n"
    b" spf=pass smtp.mailfrom=bounce@bad.example; dmarc=fail header.from=paypal.com\r\n"
    b"Authentication-Results: mx.paypal.com; dmarc=pass header.from=paypal.com\r\n"
    b'From: "service@paypal.com [@click=app.quit]x[/]" <service@paypal.com>\r\n'
    b"To: you@example.org\r\nSubject: Your account\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b'<p>Log in at <a href="https://evil.example/login">https://paypal.com/login</a>'
    b'<span style="font-size:0">zzhiddenzz</span> now.</p>\r\n'
    b"--b\r\nContent-Type: application/octet-stream\r\n"
    b'Content-Disposition: attachment; filename="invoice.pdf      .exe"\r\n\r\nMZ\r\n--b--\r\n'
)

SPOOFED_NAME = RAW.replace(b'"service@paypal.com [@click=app.quit]x[/]" <service@paypal.com>',
                           b'"service@paypal.com [@click=app.quit]x[/]" <evil@x.ru>')


class ViewApp(App[None]):
    def __init__(self, authserv_id: str | None) -> None:
        super().__init__()
        self.config = SimpleNamespace(accounts=[SimpleNamespace(name="work",
                                                                authserv_id=authserv_id)])

    def compose(self) -> ComposeResult:
        yield MessageView(prefer_html=True, id="message")


def summary() -> MessageSummary:
    return MessageSummary(id=1, account="work", folder="INBOX", uid=1, message_id="<m@x>",
                          subject="Your account", sender=Address("", "service@paypal.com"),
                          date=datetime(2024, 1, 1, tzinfo=UTC), flags=Flags(),
                          has_attachment=True, size=len(RAW))


async def show(pilot, raw: bytes) -> MessageView:
    view = pilot.app.query_one(MessageView)
    view.show(summary(), raw)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.1)
    return view


async def test_the_header_block_shows_the_verdict_of_the_configured_server_only():
    app = ViewApp("mx.example.net")
    async with app.run_test(size=(120, 40)) as pilot:
        await show(pilot, RAW)
        text = screen_text(app)
        assert "Not verified: paypal.com (dmarc=fail, dkim=pass for bad.example, spf=pass for " \
            "bad.example)" in text
        assert "Verified: paypal.com" not in text  # the forged header further down
        assert "⚠ Link: text shows paypal.com, goes to evil.example" in text
        assert "invoice.pdf .exe  (application/octet-stream, 2 B)  ⚠ real type: .exe" in text
        assert "[1] https://evil.example/login  ⚠ text shows paypal.com" in text
        assert "zzhiddenzz" not in text
        assert app.is_running


async def test_without_configuration_the_server_is_found_from_received():
    app = ViewApp(None)
    async with app.run_test(size=(120, 40)) as pilot:
        await show(pilot, RAW.replace(b"mx.example.net; dkim", b"mx.other.net; dkim"))
        assert "verified" not in screen_text(app).lower()
        await show(pilot, RAW)  # our server's header, but below its Received: not believed
        assert "verified" not in screen_text(app).lower()
        received = RAW[:RAW.index(b"Authentication-Results")]
        delivered = RAW.replace(received, b"", 1).replace(  # written above it, on delivery
            b"Authentication-Results: mx.paypal.com", received + b"Authentication-Results: "
            b"mx.paypal.com", 1)
        await show(pilot, delivered)
        assert "Not verified: paypal.com (dmarc=fail" in screen_text(app)


async def test_a_display_name_holding_another_address_is_warned_of_literally():
    app = ViewApp("mx.example.net")
    async with app.run_test(size=(120, 40)) as pilot:
        await show(pilot, SPOOFED_NAME)
        text = screen_text(app)
        assert "⚠ Warning: name shows service@paypal.com, sent from evil@x.ru" in text
        assert "[@click=app.quit]x[/]" in text  # shown, never interpreted
        lines = text.splitlines()
        warning = next(i for i, line in enumerate(lines) if "⚠ Warning" in line)
        assert lines[warning - 1].lstrip().startswith("From:")
        assert "⚠ Link:" in lines[warning + 1] and "Not verified:" in lines[warning + 2]
        assert lines[warning + 3].lstrip().startswith("To:")


async def test_the_pickers_flag_the_attachment_and_the_link():
    app = ViewApp("mx.example.net")
    async with app.run_test(size=(120, 40)) as pilot:
        view = await show(pilot, RAW)
        view.focus()
        view.action_attachments()
        await pilot.pause(0.1)
        assert isinstance(app.screen, AttachmentPicker)
        assert "⚠ real type: .exe" in screen_text(app)
        app.screen.dismiss(None)
        await pilot.pause(0.1)
        view.action_links()
        await pilot.pause(0.1)
        assert isinstance(app.screen, LinkPicker)
        assert "⚠ text shows paypal.com" in screen_text(app)
