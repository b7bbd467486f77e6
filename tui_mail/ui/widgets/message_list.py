"""The message list: a Line-API scroll view over rows read from the cache a page at a time.

Like Toolong's LogLines, the widget never holds all rows: `virtual_size` is the row count,
`render_line` reads the visible rows from a small LRU cache of pages, and a missing page is
read from its `RowSource` (one keyset/position query of the cache). At 100k messages the first
paint costs the same as at 100.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import ClassVar, Protocol

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from tui_mail.errors import CacheError, TuiMailError
from tui_mail.model import MessageSummary
from tui_mail.ui.keys import Scope, bindings
from tui_mail.ui.widgets.chord import TopChord
from tui_mail.ui.widgets.scrollbar import use_strip_scrollbar
from tui_mail.ui.widgets.text import format_date, sanitize_line

PAGE_SIZE = 100
MAX_PAGES = 24  # pages kept; a screen needs at most two
PLACE_MIN_LIST_WIDTH = 64  # narrower, the "where" column would leave the subject too little
REFIND_WINDOW = 1000  # rows scanned either side of the old position to re-find a message


class RowSource(Protocol):
    """Rows of one list (a folder, a unified view, search results) by position."""

    def count(self) -> int: ...

    def rows(self, start: int, limit: int) -> Sequence[MessageSummary | None]:
        """Rows [start, start + limit); None for a row that cannot be shown (drawn blank)."""
        ...

    def position(self, message_id: int) -> int | None:
        """The row of a message, or None when the source cannot tell cheaply."""
        ...


class EmptySource:
    """A list with no rows (before a folder is chosen)."""

    def count(self) -> int:
        return 0

    def rows(self, start: int, limit: int) -> Sequence[MessageSummary]:
        return []

    def position(self, message_id: int) -> int | None:
        return None


class ListRows(RowSource):
    """Rows already in memory (search results)."""

    def __init__(self, rows: Sequence[MessageSummary]) -> None:
        self._rows = list(rows)
        self._index = {row.id: i for i, row in enumerate(self._rows)}

    def count(self) -> int:
        return len(self._rows)

    def rows(self, start: int, limit: int) -> Sequence[MessageSummary]:
        return self._rows[start:start + limit]

    def position(self, message_id: int) -> int | None:
        return self._index.get(message_id)


def markers(summary: MessageSummary) -> str:
    """Four one-cell columns: unread (a folded thread: any of it), flagged, attachment,
    replied/forwarded."""
    flags = summary.flags
    return (
        ("●" if not flags.seen or summary.folded_unread else " ")
        + ("⚑" if flags.flagged else " ")
        + ("+" if summary.has_attachment else " ")
        + ("↩" if flags.answered else "→" if flags.forwarded else " ")
    )


# The components a row's columns are drawn in (over the row's style; see `_palette`).
COLUMN_COMPONENTS = ("message-list--markers", "message-list--tag", "message-list--date",
                     "message-list--sender", "message-list--match", "message-list--place",
                     "message-list--thread")


class Place(enum.Enum):
    """What the "where" column shows: nothing in one folder's list; the account, the folder
    or both where the rows come from several (All inboxes, a search wider than the folder)."""

    NONE = enum.auto()
    ACCOUNT = enum.auto()
    FOLDER = enum.auto()
    BOTH = enum.auto()

    def label(self, summary: MessageSummary) -> str:
        return self.text(summary.account, summary.folder)

    def text(self, account: str, folder: str) -> str:
        if self is Place.ACCOUNT:
            return account
        if self is Place.FOLDER:
            return folder
        return f"{account}:{folder}"


class MessageList(ScrollView, can_focus=True):
    """A virtual list of message summaries with a cursor."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = bindings(
        Scope.LIST)

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "message-list--cursor",
        "message-list--cursor-blurred",
        "message-list--read",
        "message-list--unread",
        "message-list--flagged",
        "message-list--markers",
        "message-list--date",
        "message-list--sender",
        "message-list--deleted",
        "message-list--tag",
        "message-list--tagged",
        "message-list--thread",
        "message-list--match",
        "message-list--place",
    }

    DEFAULT_CSS = """
    MessageList {
        background: $surface;
        scrollbar-gutter: stable;
        overflow-x: hidden;
        & > .message-list--cursor { background: $block-cursor-background; color: $block-cursor-foreground; text-style: $block-cursor-text-style; }
        & > .message-list--cursor-blurred { background: $block-cursor-blurred-background; color: $block-cursor-blurred-foreground; text-style: $block-cursor-blurred-text-style; }
        & > .message-list--read { color: $text-muted; }
        & > .message-list--unread { text-style: bold; }
        & > .message-list--flagged { color: $warning; }
        & > .message-list--markers { color: $accent; }
        & > .message-list--date { color: $text-muted; }
        & > .message-list--sender { color: $text; }
        & > .message-list--deleted { text-style: strike; color: $text-disabled; }
        & > .message-list--tag { color: $text-accent; text-style: bold; }
        & > .message-list--tagged { background: $accent-muted; }
        & > .message-list--thread { color: $text-disabled; }
        & > .message-list--match { background: $accent-muted; }
        & > .message-list--place { color: $text-secondary; }
    }
    """

    cursor: reactive[int] = reactive(0, always_update=False, init=False)

    class Highlighted(Message):
        """The cursor moved to a message (or to none: `summary` is None)."""

        def __init__(self, message_list: MessageList, summary: MessageSummary | None) -> None:
            super().__init__()
            self.message_list = message_list
            self.summary = summary

        @property
        def control(self) -> MessageList:
            return self.message_list

    class ReadFailed(Message):
        """The cache could not be read (damaged, removed): the rows are shown empty."""

        def __init__(self, error: TuiMailError) -> None:
            super().__init__()
            self.error = error

    class Opened(Message):
        """The user asked to open a message (Enter or double click)."""

        def __init__(self, message_list: MessageList, summary: MessageSummary) -> None:
            super().__init__()
            self.message_list = message_list
            self.summary = summary

        @property
        def control(self) -> MessageList:
            return self.message_list

    def __init__(self, *, clock: Callable[[], datetime] = datetime.now, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._source: RowSource = EmptySource()
        self._count = 0
        self._pages: LRUCache[int, Sequence[MessageSummary | None]] = LRUCache(MAX_PAGES)
        self._strips: LRUCache[tuple[int, int, bool, bool, int], Strip] = LRUCache(256)
        self._styles: dict[tuple[str, bool], Style] = {}
        self._palettes: dict[tuple[bool, ...], dict[str | None, Style]] = {}
        self._clock = clock
        self._now = clock()
        self._chord = TopChord(self, "list.top_chord", lambda: self._move(0),
                               lambda: "mailbox.reply_all")
        self.threaded = False
        self._tags: dict[int, MessageSummary] = {}
        self._highlight: re.Pattern[str] | None = None
        self._place = Place.NONE
        self._own: frozenset[str] = frozenset()
        self._place_width = 0
        self._warm_pending = False  # a _warm_end is scheduled

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        """Drawn straight into strips (see widgets.scrollbar): a jump redraws it."""
        return use_strip_scrollbar(self)

    # ---- data -------------------------------------------------------------------------------

    @property
    def source(self) -> RowSource:
        return self._source

    @property
    def row_count(self) -> int:
        return self._count

    def set_source(self, source: RowSource, *, keep_id: int | None = None, threaded: bool = False,
                   keep_drawn: bool = False) -> None:
        """Show another list; keep the cursor on `keep_id` if it is in it, else go to the top.
        `keep_drawn`: the rows drawn are still right (the same summaries: a search's second
        step, which lists more after the same first rows), so they are not drawn anew."""
        self._source = source
        self.threaded = threaded
        self._reload(keep_id, keep_drawn=keep_drawn)

    def reload(self) -> None:
        """Re-read the source (rows were added, removed or changed) keeping the selected message."""
        current = self.summary_at(self.cursor) if self._count else None
        self._reload(current.id if current else None, old_position=self.cursor)

    def reload_after_removal(self, removed: set[int]) -> None:
        """Re-read the source after messages left it (moved, deleted): the cursor stays on the
        selected message if it is still there, else goes to the next one that stayed."""
        current = self.summary_at(self.cursor) if self._count else None
        if current is None or current.id not in removed:
            self.reload()
            return
        keep: int | None = None
        row = self.cursor + 1
        while row < self._count and keep is None:
            candidate = self.summary_at(row)
            if candidate is not None and candidate.id not in removed:
                keep = candidate.id
            row += 1
        # Nothing left below: stay at the same height, clamped to the new end.
        self._reload(keep, old_position=self.cursor, clamp=keep is None)

    def _reload(self, keep_id: int | None, old_position: int = 0, clamp: bool = False,
                keep_drawn: bool = False) -> None:
        self._pages.clear()
        if not keep_drawn:
            self._strips.clear()
        self._now = self._clock()
        try:
            self._count = self._source.count()
        except CacheError as exc:  # the list is shown empty; the app says why
            self._count = 0
            self.post_message(self.ReadFailed(exc))
        self.virtual_size = Size(self.size.width, self._count)
        position = self._find(keep_id, old_position) if keep_id is not None else None
        target = position if position is not None else min(old_position, max(self._count - 1, 0))
        if keep_id is None and not clamp:
            target = 0
        self.set_reactive(MessageList.cursor, target)
        self._scroll_cursor_visible(center=True)
        self.refresh()
        self.post_message(self.Highlighted(self, self.summary_at(target)))
        self._warm_end_later()

    def _find(self, message_id: int, near: int) -> int | None:
        try:
            position = self._source.position(message_id)
        except CacheError as exc:
            self.post_message(self.ReadFailed(exc))
            return None
        if position is not None:
            return position
        first = max(0, near - REFIND_WINDOW) // PAGE_SIZE
        last = min(self._count, near + REFIND_WINDOW) // PAGE_SIZE
        for number in range(first, last + 1):
            for i, row in enumerate(self._page(number)):
                if row is not None and row.id == message_id:
                    return number * PAGE_SIZE + i
        return None

    def _page(self, number: int) -> Sequence[MessageSummary | None]:
        page = self._pages.get(number)
        if page is None:
            try:
                page = self._source.rows(number * PAGE_SIZE, PAGE_SIZE)
            except CacheError as exc:  # blank rows, not tried again until the list reloads
                page = [None] * PAGE_SIZE
                self.post_message(self.ReadFailed(exc))
            self._pages[number] = page
        return page

    def summary_at(self, row: int) -> MessageSummary | None:
        if not 0 <= row < self._count:
            return None
        page = self._page(row // PAGE_SIZE)
        index = row % PAGE_SIZE
        return page[index] if index < len(page) else None

    @property
    def selected(self) -> MessageSummary | None:
        return self.summary_at(self.cursor)

    def select_id(self, message_id: int) -> bool:
        """Move the cursor to a message if it is in the list."""
        position = self._find(message_id, self.cursor)
        if position is None:
            return False
        self.cursor = position
        return True

    @property
    def highlight_pattern(self) -> re.Pattern[str] | None:
        """The words searched for, as the list marks them (the viewer marks them too)."""
        return self._highlight

    def highlight(self, terms: Sequence[str]) -> None:
        """Mark these words (search terms) where the sender or subject shows them."""
        self._highlight = re.compile(
            "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)),
            re.IGNORECASE) if terms else None
        self._strips.clear()
        self.refresh()

    def set_own_addresses(self, addresses: frozenset[str]) -> None:
        """Rows sent from these addresses show "To: recipient" where the sender would be (as
        mutt's %F does): in Sent, Drafts and one's own replies in a thread."""
        if addresses != self._own:
            self._own = addresses
            self._strips.clear()
            self.refresh()
            self._warm_end_later()

    def show_place(self, place: Place, longest: int = 0) -> None:
        """Show (or hide) the column saying where each row lives, as wide as the `longest`
        label it can hold (up to a seventh of the list, 20 cells); kept across sources."""
        if (place, longest) != (self._place, self._place_width):
            self._place, self._place_width = place, longest
            self._strips.clear()
            self.refresh()
            self._warm_end_later()

    # ---- tags -------------------------------------------------------------------------------

    @property
    def tagged(self) -> list[MessageSummary]:
        """The tagged messages, in the order they were tagged."""
        return list(self._tags.values())

    def toggle_tag(self, summary: MessageSummary) -> bool:
        """Tag or untag a message; True when it is tagged now."""
        if self._tags.pop(summary.id, None) is None:
            self._tags[summary.id] = summary
        self._strips.clear()
        self.refresh()
        return summary.id in self._tags

    def clear_tags(self) -> None:
        if self._tags:
            self._tags.clear()
            self._strips.clear()
            self.refresh()

    def go_to_unread(self, forward: bool) -> bool:
        """Move the cursor to the next (or previous) unread message; False when there is
        none, and the user is told so."""
        row = self.find_unread(forward)
        if row is None:
            self.notify("No more unread messages." if forward else "No unread message above.")
            return False
        self.cursor = row
        return True

    def find_unread(self, forward: bool) -> int | None:
        """The next (or previous) unread row from the cursor, reading pages as needed."""
        step = 1 if forward else -1
        row = self.cursor + step
        while 0 <= row < self._count:
            summary = self.summary_at(row)
            if summary is not None and (not summary.flags.seen or summary.folded_unread):
                return row
            row += step
        return None

    # ---- drawing ----------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._styles.clear()
        self._palettes.clear()
        self._warm_end_later()

    def on_resize(self, event: events.Resize) -> None:
        self._strips.clear()
        self.virtual_size = Size(event.size.width, self._count)
        self._warm_end_later()

    def render_lines(self, crop: Region) -> list[Strip]:
        """The rows of `crop` from the row cache, without Textual's line cache in between
        (it re-styled each row anew on every scroll: 2.8 ms of the 4 a jump's 38 rows cost).
        The list has no border, padding, tint or opacity for it to apply; the app's line
        filters are applied here (a Strip keeps what a filter made of it)."""
        filters = self.get_line_filters()
        background = self.background_colors[1]
        top, width = self.scroll_offset.y, self.scrollable_content_region.width
        cursor, focus, full = self.cursor, self.has_focus, self.size.width
        strips = []
        for y in crop.line_range:
            summary = self.summary_at(top + y)
            strip = Strip.blank(full, self._style("")) if summary is None else \
                self._row_strip(summary, width, top + y == cursor, focus, full)
            for line_filter in filters:
                strip = strip.apply_filter(line_filter, background)
            strips.append(strip)
        if crop.column_span != (0, self.size.width):
            strips = [strip.crop(crop.x, crop.right) for strip in strips]
        return strips

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        summary = self.summary_at(row)
        if summary is None:
            return Strip.blank(width, self._style(""))
        return self._row_strip(summary, width, row == self.cursor, self.has_focus, width)

    def _row_strip(self, summary: MessageSummary, width: int, is_cursor: bool,
                   focus: bool, full: int) -> Strip:
        """A row `width` cells wide, padded to `full` (the widget's width: the scroll bar's
        gutter is drawn over the end), from the row cache."""
        key = (-summary.id - 1 if summary.id in self._tags else summary.id, width, is_cursor,
               focus, full)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(summary, width, is_cursor)
            if full > width:
                strip = strip.extend_cell_length(full, self._style(""))
            self._strips[key] = strip
        return strip

    def _warm_end_later(self) -> None:
        """Once the frame being prepared is drawn, draw (off screen, into the row cache) the
        screen that a jump to the end shows: `G` then paints rows already drawn, with their
        page already read. About 3 ms, spent while nothing waits."""
        if not self._warm_pending:
            self._warm_pending = True
            self.call_after_refresh(self._warm_end)

    def _warm_end(self) -> None:
        self._warm_pending = False
        height, width = self.size.height, self.scrollable_content_region.width
        if not self._count or not height or not width or not self.is_mounted \
                or isinstance(self._source, ListRows):  # search results: typed over at once
            return
        focus, full = self.has_focus, self.size.width
        last = self._count - 1
        for row in range(max(0, self._count - height), self._count):
            summary = self.summary_at(row)
            if summary is not None:
                self._row_strip(summary, width, row == last, focus, full)

    def _style(self, name: str) -> Style:
        """The widget's style (name "") or a component's, cached until the styles change:
        Textual computes either by walking the CSS and the ancestors, which cost more than the
        rest of a row."""
        key = (name, self.has_focus)
        style = self._styles.get(key)
        if style is None:
            style = self.get_component_rich_style(name) if name else self.rich_style
            self._styles[key] = style
        return style

    def _palette(self, summary: MessageSummary, is_cursor: bool) -> dict[str | None, Style]:
        """The style of each column of a row (None: the row's own), cached by what decides
        them (flags, tag, cursor, focus) until the styles change: summing Rich styles and
        reading the focus (a reactive) for each column cost more than the rest of a row,
        and a jump to the end of a list draws every row anew."""
        flags = summary.flags
        focus = self.has_focus
        unread = not flags.seen or bool(summary.folded_unread)
        key = (flags.deleted, flags.flagged, unread, summary.id in self._tags, is_cursor, focus)
        palette = self._palettes.get(key)
        if palette is not None:
            return palette
        row = self._style("")
        if flags.deleted:
            row += self._style("message-list--deleted")
        elif flags.flagged:
            row += self._style("message-list--flagged")
        row += self._style("message-list--unread" if unread else "message-list--read")
        if key[3]:
            row += self._style("message-list--tagged")
        cursor = None
        if is_cursor:
            cursor = self._style("message-list--cursor" if focus
                                 else "message-list--cursor-blurred")
        palette = {}
        for component in (None, *COLUMN_COMPONENTS):
            style = row + self._style(component) if component else row
            palette[component] = style + cursor if cursor is not None else style
        self._palettes[key] = palette
        return palette

    def _render_row(self, summary: MessageSummary, width: int, is_cursor: bool) -> Strip:
        """One row as segments: the row's style under each column's, the cursor's over all."""
        styled = self._palette(summary, is_cursor).__getitem__

        sender_width = min(24, max(14, width // 4))  # the subject takes the rest
        tagged = summary.id in self._tags
        date = format_date(summary.date, self._now)
        indent = "  " * min(summary.depth, 10) if self.threaded else ""
        if indent:
            indent = indent[:-2] + "└ "
        if summary.folded:
            indent += f"▸{summary.folded + 1} "
        columns = [
            (markers(summary), styled("message-list--markers")),
            ("* ", styled("message-list--tag")) if tagged else ("  ", styled(None)),
            (f"{date:<10.10} ", styled("message-list--date")),
            *self._marked(_fit(sanitize_line(self._who(summary)), sender_width) + " ",
                          styled("message-list--sender"), styled("message-list--match")),
            *self._place_column(summary, width, styled),
            (indent, styled("message-list--thread")),
            *self._marked(sanitize_line(summary.subject), styled(None),
                          styled("message-list--match")),
        ]
        return Strip(_cut(columns, width, styled(None)), width)

    def _who(self, summary: MessageSummary) -> str:
        if summary.to_text and summary.sender.email.lower() in self._own:
            return f"To: {summary.first_recipient}"
        return summary.sender.display()

    def _place_column(self, summary: MessageSummary, list_width: int,
                      styled: Callable[[str | None], Style]) -> list[tuple[str, Style]]:
        if self._place is Place.NONE or self._place_width < 1 \
                or list_width < PLACE_MIN_LIST_WIDTH:
            return []
        width = min(self._place_width, list_width // 7, 20)
        label = _fit_tail(sanitize_line(self._place.label(summary)), width)
        return [(label + " ", styled("message-list--place"))]

    def _marked(self, text: str, style: Style, match: Style) -> list[tuple[str, Style]]:
        """`text` in pieces, the highlighted words in `match` over `style`."""
        if self._highlight is None:
            return [(text, style)]
        pieces: list[tuple[str, Style]] = []
        at = 0
        for found in self._highlight.finditer(text):
            if found.start() == found.end():
                continue
            if found.start() > at:
                pieces.append((text[at:found.start()], style))
            pieces.append((found.group(), style + match))
            at = found.end()
        if at < len(text):
            pieces.append((text[at:], style))
        return pieces or [(text, style)]

    # ---- cursor -----------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self._refresh_row(old)
        self._refresh_row(new)
        self._scroll_cursor_visible()
        self.post_message(self.Highlighted(self, self.summary_at(new)))

    def _refresh_row(self, row: int) -> None:
        y = row - self.scroll_offset.y
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _scroll_cursor_visible(self, center: bool = False) -> None:
        if self._count:
            self.scroll_to_region(Region(0, self.cursor, 1, 1), animate=False, center=center,
                                  force=True, immediate=True)

    def on_focus(self) -> None:
        self._refresh_row(self.cursor)

    def on_blur(self) -> None:
        self._refresh_row(self.cursor)

    def _move(self, row: int) -> None:
        self._chord.cancel()
        if self._count:
            self.cursor = max(0, min(self._count - 1, row))

    def action_cursor_down(self) -> None:
        self._move(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self._move(self.cursor - 1)

    def action_cursor_top(self) -> None:
        self._move(0)

    def action_cursor_bottom(self) -> None:
        self._move(self._count - 1)

    def action_page_down(self) -> None:
        self._move(self.cursor + max(1, self.size.height - 1))

    def action_page_up(self) -> None:
        self._move(self.cursor - max(1, self.size.height - 1))

    def on_key(self, event: events.Key) -> None:
        self._chord.key_pressed(event.key)

    def action_chord_g(self) -> None:
        """`g g` goes to the first message; a lone `g` is a group reply, as in mutt."""
        self._chord.press()

    def action_open(self) -> None:
        summary = self.selected
        if summary is not None:
            self.post_message(self.Opened(self, summary))

    def on_click(self, event: events.Click) -> None:
        row = event.y + self.scroll_offset.y
        if 0 <= row < self._count:
            self._move(row)
            if event.chain >= 2:
                self.action_open()


def _cut(columns: list[tuple[str, Style]], width: int, pad: Style) -> list[Segment]:
    """Segments of `columns` exactly `width` cells wide: cut with an ellipsis where they run
    over, padded with `pad` where they fall short. (One Strip per row: Textual's Strip carries
    its own caches, and crop/extend/simplify would build three.)"""
    from rich.cells import cell_len, set_cell_size

    segments: list[Segment] = []
    room = width
    for text, style in columns:
        cells = cell_len(text)
        if cells > room:
            if room > 0:
                segments.append(Segment(set_cell_size(text, room - 1) + "…", style))
            return segments
        segments.append(Segment(text, style))
        room -= cells
    if room:
        last = segments[-1] if segments else None
        if last is not None and last.style == pad:
            segments[-1] = Segment(last.text + " " * room, pad)
        else:
            segments.append(Segment(" " * room, pad))
    return segments


def _fit_tail(value: str, width: int) -> str:
    """Pad or cut `value` to `width` cells, keeping its end ("…python-dev"): of a folder's
    path the last name says most."""
    from rich.cells import cell_len, set_cell_size

    if cell_len(value) > width:
        return "…" + set_cell_size(value[::-1], width - 1)[::-1]
    return set_cell_size(value, width)


def _fit(value: str, width: int) -> str:
    """Pad or cut `value` to `width` cells (cut with an ellipsis)."""
    from rich.cells import cell_len, set_cell_size

    if cell_len(value) > width:
        return set_cell_size(value, width - 1) + "…"
    return set_cell_size(value, width)


__all__ = ["MessageList", "RowSource", "ListRows", "EmptySource", "Place", "markers"]
