"""The message screen: headers, body modes, next/previous, mark read, links, attachments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.message import Message
from textual.worker import Worker

from tests.support.cache import cached_row
from tests.support.pilot import screen_text, settle
from tui_mail.model import Attachment
from tui_mail.store.db import Store
from tui_mail.ui.screens.message import MessageScreen
from tui_mail.ui.screens.picker import AttachmentPicker, LinkPicker, save_attachment, unique_path
from tui_mail.ui.widgets.message_list import MessageList
from tui_mail.ui.widgets.message_view import MessageView, Mode


async def open_row(pilot, row: int) -> MessageScreen:
    message_list = pilot.app.screen.query_one(MessageList)
    message_list.cursor = row
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, MessageScreen)
    return pilot.app.screen


def find_row(app, subject_part: str) -> int:
    message_list = app.screen.query_one(MessageList)
    return next(i for i in range(message_list.row_count)
                if subject_part in message_list.summary_at(i).subject)


async def test_the_message_screen_shows_headers_and_body_with_quotes(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await open_row(pilot, find_row(app, "number 03"))
        text = screen_text(app)
        for expected in ("From: Dan Diaz <dan@example.com>", "To: Sam <sam@example.com>",
                         "Subject: Message number 03 about topic 3", "this is message 3.",
                         "> quoted once", ">> quoted twice"):
            assert expected in text


async def test_opening_a_message_marks_it_read_in_the_cache(make_app, cache_path: Path):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        row = find_row(app, "number 00")
        summary = app.screen.query_one(MessageList).summary_at(row)
        assert not summary.flags.seen
        await open_row(pilot, row)
        with Store.open(cache_path, readonly=True) as reader:
            assert cached_row(reader, summary.id).flags.seen


async def test_mark_read_can_be_switched_off(make_app, cache_path: Path):
    app = make_app(mark_read_on_open=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        row = find_row(app, "number 00")
        summary = app.screen.query_one(MessageList).summary_at(row)
        await open_row(pilot, row)
        with Store.open(cache_path, readonly=True) as reader:
            assert not cached_row(reader, summary.id).flags.seen


async def test_next_and_previous_move_through_the_list_without_leaving(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        row = find_row(app, "number 05")
        screen = await open_row(pilot, row)
        await pilot.press("J")
        await settle(pilot)
        assert app.screen is screen
        assert "Message number 06" in screen_text(app)
        await pilot.press("p", "p")
        await settle(pilot)
        assert "Message number 04" in screen_text(app)
        await pilot.press("J")
        await settle(pilot)
        assert "Message number 05" in screen_text(app)
        await pilot.press("q")
        await settle(pilot)
        assert app.screen.query_one(MessageList).cursor == row


async def test_n_and_shift_n_go_to_the_next_and_previous_unread_message(make_app):
    """Messages 00, 03, 06, 09... are unread; opening one reads it."""
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = await open_row(pilot, find_row(app, "number 04"))
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen
        assert "Subject: Message number 06" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        assert "Subject: Message number 09" in screen_text(app)
        await pilot.press("N")  # 06 was read on the way
        await settle(pilot)
        assert "Subject: Message number 03" in screen_text(app)


async def test_h_shows_the_html_part_and_r_the_raw_source(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await open_row(pilot, find_row(app, "number 02"))
        view = app.screen.query_one(MessageView)
        assert "this is message 2." in screen_text(app)
        await pilot.press("h")
        await settle(pilot)
        assert view.mode == Mode.HTML
        assert "HTML" in screen_text(app) and "html part" in screen_text(app)
        await pilot.press("R")
        await settle(pilot)
        assert view.mode == Mode.RAW
        assert "Message-ID: <m2@example.com>" in screen_text(app)
        assert not view.query_one("#headers").display  # the source has its own headers
        await pilot.press("R")
        await settle(pilot)
        assert view.mode == Mode.HTML  # back to the view raw was entered from
        assert view.query_one("#headers").display
        await pilot.press("h")
        await settle(pilot)
        assert view.mode == Mode.TEXT
        assert "this is message 2." in screen_text(app)


async def test_links_are_numbered_and_offered_in_a_picker(make_app, monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url))
    app = make_app(prefer_html=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await open_row(pilot, find_row(app, "number 02"))
        assert "[1] https://example.com/2" in screen_text(app)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, LinkPicker)
        await pilot.press("enter")
        await settle(pilot)
        assert opened == ["https://example.com/2"]
        assert isinstance(app.screen, MessageScreen)


async def test_attachments_are_saved_without_overwriting(make_app, tmp_path: Path):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await open_row(pilot, find_row(app, "number 04"))
        assert "report.pdf" in screen_text(app)
        for _ in range(2):
            await pilot.press("a")
            await settle(pilot)
            assert isinstance(app.screen, AttachmentPicker)
            await pilot.press("enter")
            await settle(pilot)
        saved = sorted(p.name for p in (tmp_path / "attachments").iterdir())
        assert saved == ["report (1).pdf", "report.pdf"]
        assert (tmp_path / "attachments" / "report.pdf").read_bytes() == b"%PDF-1.4 report"


def test_unique_path_counts_up_past_existing_files(tmp_path: Path):
    (tmp_path / "a.pdf").write_bytes(b"1")
    (tmp_path / "a (1).pdf").write_bytes(b"2")
    assert unique_path(tmp_path, "a.pdf").name == "a (2).pdf"
    assert unique_path(tmp_path, "b.pdf").name == "b.pdf"


def test_a_hostile_attachment_name_is_saved_inside_the_folder(tmp_path: Path):
    from tests.support.cache import NOW, hostile_message

    raw = hostile_message(NOW)
    attachment = Attachment("../../etc/passwd", "application/pdf", 10, 0)
    path = save_attachment(raw, attachment, tmp_path / "out")
    assert path.parent == tmp_path / "out"
    assert path.read_bytes().startswith(b"%PDF")


def test_the_signature_after_the_last_dash_dash_line_is_muted_and_quotes_keep_their_colour():
    from tui_mail.ui.widgets.message_view import body_content

    text = "Hi,\n-- \nnot the end\n> quoted\n-- \nAlice\nhttps://alice.example\n"
    content = body_content(text, [0, 0, 0, 1, 0, 0, 0, 0])
    styled = {content.plain[span.start:span.end]: str(span.style) for span in content.spans}
    assert styled == {"> quoted": "$quote-1", "-- ": "$signature-foreground",
                      "Alice": "$signature-foreground",
                      "https://alice.example": "$signature-foreground",
                      "": "$signature-foreground"}


def test_a_long_quoted_line_wraps_behind_its_own_quote_marks():
    from tui_mail.ui.widgets.message_view import wrap_quoted

    long = "> > " + " ".join(f"word{i}" for i in range(30))
    lines, depths = wrap_quoted(["Hi,", long, "plain " * 30, ">short"], [0, 2, 0, 1], 40)
    quoted = [line for line, depth in zip(lines, depths, strict=True) if depth == 2]
    assert len(quoted) > 2
    assert all(line.startswith("> > word") and len(line) <= 40 for line in quoted)
    assert " ".join(line[4:] for line in quoted) == long[4:]
    assert lines[0] == "Hi," and lines[-1] == ">short"
    assert "plain " * 30 in lines  # unquoted text is the widget's to wrap


async def test_a_long_quoted_paragraph_stays_quoted_on_screen_at_any_width(make_app,
                                                                             cache_path):
    from tests.support.cache import add_message
    from tests.support.pilot import open_first

    words = " ".join(f"quoted{i:02d}" for i in range(60))
    add_message(cache_path, "Long quote", f"My answer.\n\n>> {words}\n\nBye\n")
    app = make_app()
    async with app.run_test(size=(80, 30)) as pilot:
        await open_first(pilot)

        def quote_rows() -> list[str]:
            rows = screen_text(app).splitlines()
            return [row.strip() for row in rows if "quoted" in row]

        assert len(quote_rows()) > 5
        assert all(row.startswith(">> quoted") for row in quote_rows())
        await pilot.resize_terminal(120, 30)
        await settle(pilot)
        assert 2 < len(quote_rows()) < 8
        assert all(row.startswith(">> quoted") for row in quote_rows())


def test_a_long_header_wraps_under_its_value_not_under_its_label():
    from tui_mail.ui.widgets.message_view import header_content

    cc = ", ".join(f"Person {i} <person{i}@example.com>" for i in range(6))
    lines = header_content("Cc", cc, 60).plain.split("\n")
    assert len(lines) > 2
    assert lines[0].startswith("Cc: Person 0")
    assert all(line.startswith("    ") and not line.startswith("     ") for line in lines[1:])
    assert all(len(line) <= 60 for line in lines)
    assert " ".join(line.strip() for line in lines) == f"Cc: {cc}"
    assert header_content("Subject", "short", 60).plain == "Subject: short"


def test_wide_characters_wrap_by_screen_cells_behind_their_quote_marks():
    from rich.cells import cell_len

    from tui_mail.ui.widgets.message_view import header_content, wrap_quoted

    text = "日本語の文章" * 15  # no spaces: cut by cells, two per character
    lines, depths = wrap_quoted([f"> {text}"], [1], 40)
    assert len(lines) > 4 and depths == [1] * len(lines)
    assert all(line.startswith("> ") and cell_len(line) <= 40 for line in lines)
    assert "".join(line[2:] for line in lines) == text
    header = header_content("Subject", "日本語の件名 " * 10, 50).plain.split("\n")
    assert len(header) > 2 and all(cell_len(line) <= 50 for line in header)


async def test_the_message_under_a_resting_cursor_opens_with_its_body_at_once(make_app):
    """Without a preview pane (100 columns), the message under a resting cursor is rendered
    ahead: Enter draws its body in one step, with no "Loading…" and no render worker."""
    from tui_mail.ui.screens.mailbox import PREVIEW_DELAY

    renders: list[Worker[Any]] = []

    def record_renders(message: Message) -> None:
        if isinstance(message, Worker.StateChanged) and message.worker.group == "render" \
                and message.worker not in renders:
            renders.append(message.worker)

    app = make_app()
    async with app.run_test(size=(100, 30), message_hook=record_renders) as pilot:
        await settle(pilot)
        app.screen.query_one(MessageList).cursor = find_row(app, "number 03")
        await pilot.pause(PREVIEW_DELAY + 0.2)
        await settle(pilot)
        before = len(renders)
        await pilot.press("enter")
        assert isinstance(app.screen, MessageScreen)
        assert app.screen.view.shown is not None  # drawn by the key itself
        await settle(pilot)
        assert len(renders) == before  # no render worker started for it
        text = screen_text(app)
        assert "this is message 3." in text and "Loading" not in text


async def test_a_theme_changed_while_the_message_screen_is_away_applies_when_it_opens(
        make_app):
    """The message screen is kept between openings and not restyled when nothing changed;
    a theme chosen meanwhile is applied."""
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        mailbox = app.screen
        first = await open_row(pilot, find_row(app, "number 03"))
        dark = first.view.styles.background
        await pilot.press("q")
        await settle(pilot)
        app.theme = "tui-mail-light"
        await settle(pilot)
        again = await open_row(pilot, find_row(app, "number 03"))
        assert again is first
        assert again.view.styles.background != dark
        assert again.view.styles.background == mailbox.query_one(MessageList).styles.background


async def test_the_message_screen_is_composed_ahead_and_the_first_enter_reuses_it(
        make_app, monkeypatch):
    """A moment after the first paint the message screen exists (composed while nothing
    waits), and the first Enter shows the message on it, making no other."""
    from tui_mail.ui.screens.mailbox import PREPARE_DELAY

    made: list[MessageScreen] = []
    make = MessageScreen.__init__

    def recorded(screen: MessageScreen, *args: Any, **kwargs: Any) -> None:
        made.append(screen)
        make(screen, *args, **kwargs)

    monkeypatch.setattr(MessageScreen, "__init__", recorded)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.pause(PREPARE_DELAY + 0.2)
        await settle(pilot)
        assert len(made) == 1 and made[0].is_running
        screen = await open_row(pilot, find_row(app, "number 03"))
        assert screen is made[0] and len(made) == 1
        assert "this is message 3." in screen_text(app)
