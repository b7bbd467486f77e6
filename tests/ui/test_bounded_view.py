"""Issue 17 in the viewer: a body too long to show at once is cut with a note, `e` shows the
rest; a long body is laid out a slice at a time (behaviour only: timings are benchmarks')."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.app import App, ComposeResult
from textual.widgets import Static

from tui_mail.model import Address, Flags, MessageSummary
from tui_mail.ui.widgets.message_view import FIRST_PAINT_LINES, MessageView

SUMMARY = MessageSummary(id=1, account="a", folder="INBOX", uid=1, message_id="<m@x>",
                         subject="s", sender=Address("A", "a@example.org"),
                         date=datetime(2024, 1, 1, tzinfo=UTC), flags=Flags(),
                         has_attachment=False, size=0)


def raw_message(body: str, content_type: str) -> bytes:
    return ("From: a@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: {content_type}; charset=utf-8\r\n\r\n{body}").encode()


class ViewApp(App[None]):
    def compose(self) -> ComposeResult:
        yield MessageView(id="message")


async def shown_text(app: ViewApp, pilot, replacing: object = None) -> str:
    """The body on screen once the view shows a message (another than `replacing`)."""
    view = app.query_one(MessageView)
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if view.shown is not None and view.shown is not replacing:
            break
    for _ in range(2000):  # until every slice is mounted
        if view.laid_out:
            break
        await pilot.pause()
    parts = [view.query_one("#body", Static)] + list(view.query(".more").results(Static))
    return "\n".join(str(part.content) for part in parts)


async def test_html_over_the_limit_shows_a_note_and_e_renders_the_rest(monkeypatch) -> None:
    # The limits made small: this is about the note and the key (tests/mail has the sizes).
    monkeypatch.setattr("tui_mail.mail.render.HTML_LIMIT", 2_000)
    html = "<p>first words</p>" + "<p>filler paragraph</p>" * (2_000 // 22 + 10) \
        + "<p>LAST WORDS</p>"
    app = ViewApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(MessageView)
        view.focus()
        view.show(SUMMARY, raw_message(html, "text/html"))
        text = await shown_text(app, pilot)
        assert "first words" in text and "LAST WORDS" not in text
        assert "HTML part are shown. Press e to show the rest." in text
        cut = view.shown
        assert cut is not None
        message = cut.message
        await pilot.press("e")
        text = await shown_text(app, pilot, replacing=cut)
        assert "LAST WORDS" in text and "Press e" not in text
        assert view.shown is not None
        assert view.shown.message is message  # rendered again, not parsed again


async def test_a_long_body_is_laid_out_in_slices_after_its_first_screens() -> None:
    body = "\r\n".join(f"line {i}" for i in range(2000)) + "\r\n"
    app = ViewApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(MessageView)
        view.show(SUMMARY, raw_message(body, "text/plain"))
        text = await shown_text(app, pilot)
        assert str(view.query_one("#body", Static).content).count("\n") == FIRST_PAINT_LINES - 1
        assert len(view.query(".more")) > 1
        assert text.split("\n") == [f"line {i}" for i in range(2000)]
        view.show(SUMMARY, raw_message("short\r\n", "text/plain"))
        assert await shown_text(app, pilot) == "short"
        assert not view.query(".more")


def test_the_attachment_and_link_lists_under_a_body_stop_at_a_hundred_and_say_how_many_more(
        ) -> None:
    from tui_mail.model import Attachment
    from tui_mail.ui.widgets.message_view import MAX_LISTED, attachments_content, links_content

    attachments = [Attachment(f"part{i}.exe", "application/pdf", 10, i)
                   for i in range(MAX_LISTED + 50)]
    listed = attachments_content(attachments).plain.split("\n")
    assert listed[0] == f"📎 {MAX_LISTED + 50} attachments (a):"
    assert listed[MAX_LISTED].startswith(f"  {MAX_LISTED}. part{MAX_LISTED - 1}.exe")
    assert "⚠" in listed[1]  # the warnings stay on the lines shown
    assert listed[-1] == "  … and 50 more (a lists them all)"
    links = [f"https://example.org/{i}" for i in range(MAX_LISTED + 1)]
    shown = links_content(links, {links[0]: "text shows bank.example"}).plain.split("\n")
    assert shown[1] == "  [1] https://example.org/0  ⚠ text shows bank.example"
    assert shown[-1] == "  … and 1 more (o lists them all)"


async def test_a_message_of_too_many_parts_says_in_the_viewer_that_the_rest_are_not_shown(
        ) -> None:
    from tui_mail.mail.parse import MAX_PARTS

    parts = "".join(f'--P\r\nContent-Type: application/octet-stream\r\nContent-Disposition: '
                    f'attachment; filename="p{i}.bin"\r\n\r\ndata\r\n'
                    for i in range(MAX_PARTS + 5))
    raw = ('From: a@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: '
           'multipart/mixed; boundary="P"\r\n\r\n--P\r\nContent-Type: text/plain\r\n\r\n'
           f'The text.\r\n{parts}--P--\r\n').encode()
    app = ViewApp()
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.query_one(MessageView)
        view.show(SUMMARY, raw)
        await shown_text(app, pilot)
        notes = str(view.query_one("#notes", Static).content)
        assert notes.startswith("Notes on this message:")
        assert f"more than {MAX_PARTS:,} MIME parts" in notes and "not shown" in notes
        view.show(SUMMARY, raw_message("short\r\n", "text/plain"))
        await shown_text(app, pilot)
        assert not view.query_one("#notes", Static).display


async def test_a_redraw_while_a_long_body_is_laid_out_shows_each_line_once_and_keeps_the_place(
        ) -> None:
    import re

    body = "\r\n".join(f"line {i}" for i in range(3000)) + "\r\n"
    app = ViewApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(MessageView)
        view.show(SUMMARY, raw_message(body, "text/plain"))
        for _ in range(200):
            await pilot.pause()
            if view.shown is not None:
                break
        view.set_highlight(re.compile("line 7"))  # a search's marks, while slices are mounted
        text = await shown_text(app, pilot)
        assert text.split("\n") == [f"line {i}" for i in range(3000)]
        view.scroll_to(y=1500, animate=False)
        await pilot.pause()
        view.set_highlight(re.compile("line 8"))
        await shown_text(app, pilot)
        await pilot.pause()
        assert view.scroll_y == 1500
