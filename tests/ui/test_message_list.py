"""The message list reads only the pages it draws, at any size; and its column formats."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult

from tui_mail.model import Address, Flags, MessageSummary
from tui_mail.ui.widgets.message_list import PAGE_SIZE, MessageList, markers
from tui_mail.ui.widgets.text import format_date

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)


def summary(i: int) -> MessageSummary:
    return MessageSummary(
        id=10_000_000 - i, account="a", folder="INBOX", uid=i, message_id=f"<{i}@x>",
        subject=f"Subject {i}", sender=Address(f"Sender {i}", f"s{i}@example.com"),
        date=NOW - timedelta(minutes=i), flags=Flags(seen=i % 2 == 0), has_attachment=False,
        size=100,
    )


class CountingRows:
    """100,000 rows made on demand; records which were asked for."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.requested: list[tuple[int, int]] = []

    def count(self) -> int:
        return self.total

    def rows(self, start: int, limit: int) -> Sequence[MessageSummary]:
        self.requested.append((start, limit))
        return [summary(i) for i in range(start, min(start + limit, self.total))]

    def position(self, message_id: int) -> int | None:
        return None


class ListApp(App[None]):
    def __init__(self, source: CountingRows) -> None:
        super().__init__()
        self.source = source

    def compose(self) -> ComposeResult:
        yield MessageList(clock=lambda: NOW)

    def on_mount(self) -> None:
        self.query_one(MessageList).set_source(self.source)


async def test_a_100k_list_reads_only_the_pages_around_the_viewport():
    source = CountingRows(100_000)
    app = ListApp(source)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        message_list = app.query_one(MessageList)
        assert message_list.virtual_size.height == 100_000
        assert source.requested[0] == (0, PAGE_SIZE)  # the first paint: the first page
        # then, after it, the last page: the rows a jump to the end shows are drawn ahead
        assert set(source.requested) <= {(0, PAGE_SIZE), (100_000 - PAGE_SIZE, PAGE_SIZE)}
        await pilot.pause()
        read_before = list(source.requested)
        await pilot.press("G")
        await pilot.pause()
        assert message_list.cursor == 99_999
        assert source.requested == read_before  # the end was read (and drawn) ahead
        rows_read = sum(limit for _, limit in source.requested)
        assert rows_read <= 3 * PAGE_SIZE
        assert "Subject 99999" in "".join(
            segment.text for y in range(30) for segment in message_list.render_line(y))


async def test_reload_re_finds_the_selected_message_after_rows_are_added():
    source = CountingRows(1_000)
    app = ListApp(source)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        message_list = app.query_one(MessageList)
        message_list.cursor = 250
        chosen = message_list.selected.id

        class Shifted(CountingRows):
            def rows(self, start: int, limit: int) -> Sequence[MessageSummary]:
                return [summary(i - 7) for i in range(start, min(start + limit, self.total))]

        message_list.set_source(Shifted(1_007), keep_id=chosen)
        await pilot.pause()
        assert message_list.selected.id == chosen
        assert message_list.cursor == 257


def test_dates_show_time_today_weekday_this_week_and_iso_otherwise():
    assert format_date(NOW - timedelta(hours=3), NOW) == "09:00"
    assert format_date(NOW - timedelta(days=2), NOW) == "Mon"
    assert format_date(NOW - timedelta(days=30), NOW) == "2024-04-15"


def test_markers_show_unread_flagged_attachment_and_replied():
    base = summary(1)
    assert markers(base) == "●   "
    from dataclasses import replace

    marked = replace(base, flags=Flags(seen=True, flagged=True, answered=True),
                     has_attachment=True)
    assert markers(marked) == " ⚑+↩"
