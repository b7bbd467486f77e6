"""The message screen: one message full size; J/K (or n/p) move along the list without leaving."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from tui_mail.model import MessageSummary
from tui_mail.ui.cache_guard import SaysCacheErrors
from tui_mail.ui.keys import Scope, bindings
from tui_mail.ui.screens.acting import ActingScreen
from tui_mail.ui.widgets.key_bar import KeyBar
from tui_mail.ui.widgets.message_list import MessageList
from tui_mail.ui.widgets.message_view import MessageView

if TYPE_CHECKING:
    from tui_mail.ui.app import TuiMailApp


class MessageScreen(SaysCacheErrors, ActingScreen, Screen[None]):
    """Reads the message under the list's cursor; moving to the next one moves that cursor."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = bindings(
        Scope.MESSAGE)
    AUTO_FOCUS = "MessageView"

    DEFAULT_CSS = """
    MessageScreen MessageView { height: 1fr; }
    """

    def __init__(self, message_list: MessageList) -> None:
        super().__init__()
        self.message_list = message_list
        self._opening = True  # the next resume shows the list's selected message
        self._styled_at = -1  # the app's CSS update count when the styles were last applied

    def reopen(self) -> None:
        """Show the list's selected message when the screen is pushed again: the mailbox keeps
        this screen between openings (composing and styling it anew cost about 40 ms of the
        key's frame), and a resume from a dialog or the composer keeps what is shown."""
        self._opening = True

    @property
    def tui(self) -> TuiMailApp:
        return self.app  # type: ignore[return-value]

    @property
    def view(self) -> MessageView:
        return self.query_one(MessageView)

    def compose(self) -> ComposeResult:
        yield MessageView(prefer_html=self.tui.ui_settings.prefer_html, ask_large=True,
                          id="message")
        yield KeyBar()

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        """Runs before Textual's own handler (which restyles every widget of a screen pushed
        again: 4 ms, and each widget then drawn anew, 15 ms more of the Enter key's frame):
        the styles are kept when nothing they depend on changed since this screen was last
        shown (the theme and the app's CSS: Textual counts its updates)."""
        if self._styled_at == self.app._css_update_count:
            event.refresh_styles = False
        self._styled_at = self.app._css_update_count
        # (Textual calls one handler a class: this one, not an `on_screen_resume` beside it.)
        if not self._opening:
            return
        self._opening = False
        self.view.reset_mode()
        self._show(self.message_list.selected)
        self.view.set_highlight(self.message_list.highlight_pattern)  # nothing drawn yet

    def _show(self, summary: MessageSummary | None) -> None:
        if summary is None:
            self.view.show(None, None)
            return
        self.view.show(summary)
        self.tui.prefetch_around(self.message_list)

    def on_message_view_loaded(self, event: MessageView.Loaded) -> None:
        """Read once its text is on screen: a message that could not be downloaded (offline)
        is not marked read, nor is one the user declined to download."""
        summary = event.shown.summary
        if self._opening or self not in self.app.screen_stack:
            return  # left before its text showed (the screen is kept for the next opening)
        if event.view is self.view and self.tui.ui_settings.mark_read_on_open \
                and not summary.flags.seen:
            self.view.summary = self.tui.mark_read(summary)

    def current_summary(self) -> MessageSummary | None:
        """The message shown."""
        return self.view.summary

    def selected_summaries(self) -> list[MessageSummary]:
        current = self.current_summary()
        return [current] if current is not None else []

    def after_action(self, removed: set[int], restored: Sequence[int] = ()) -> None:
        """After a move or delete the next message of the list is shown (back to the list
        when there is none); after a flag change or undo, the message is shown again."""
        current = self.current_summary()
        mailbox = self.tui.mailbox
        if mailbox is not None:
            mailbox.after_action(removed, restored)
        if current is not None and current.id in removed:
            if self.message_list.row_count == 0:
                self.dismiss(None)
                return
            self._show(self.message_list.selected)
            return
        target = restored[0] if restored else current.id if current else None
        summary = self.tui.store.message_row(target) if target is not None else None
        if summary is not None:
            self.view.show(summary)

    def action_back(self) -> None:
        self.dismiss(None)

    def _step(self, step: int) -> None:
        before = self.message_list.cursor
        self.message_list.cursor = max(0, min(self.message_list.row_count - 1, before + step))
        if self.message_list.cursor == before:
            self.notify("No more messages." if step > 0 else "This is the first message.")
            return
        self._show(self.message_list.selected)

    def action_next_message(self) -> None:
        self._step(1)

    def action_previous_message(self) -> None:
        self._step(-1)

    def action_next_unread(self) -> None:
        if self.message_list.go_to_unread(forward=True):
            self._show(self.message_list.selected)

    def action_previous_unread(self) -> None:
        if self.message_list.go_to_unread(forward=False):
            self._show(self.message_list.selected)
