"""The outbox (key O): queued and failed messages with the server's words; retry, edit, delete.
A message that was sent but could not be saved to the Sent folder stays here too, saying so
and why; retrying it tries only the copy (the message is never sent twice).

Subjects, recipients and error texts are untrusted (the error quotes the SMTP server): they are
shown through `sanitize_line` in plain `Content`, never parsed as markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tui_mail.errors import TuiMailError
from tui_mail.mail.headers import parse_headers
from tui_mail.store.types import OUTBOX_UNDER_WAY, OutboxItem, OutboxState
from tui_mail.ui.cache_guard import SaysCacheErrors
from tui_mail.ui.keys import Scope, bindings
from tui_mail.ui.widgets.compose_dialogs import Question
from tui_mail.ui.widgets.key_bar import KeyBar
from tui_mail.ui.widgets.text import sanitize_line

if TYPE_CHECKING:
    from tui_mail.ui.app import TuiMailApp

STATE_WORDS = {
    OutboxState.QUEUED: "queued",
    OutboxState.SENDING: "sending",
    OutboxState.COMMITTING: "sending",
    OutboxState.ACCEPTED: "sent",
    OutboxState.FAILED: "waiting",
    OutboxState.HELD: "held",
    OutboxState.UNSURE: "sent?",
}


def entry_content(entry: OutboxItem) -> Content:
    """Two or three lines for one outbox entry: state and subject, recipients, last error."""
    subject = sanitize_line(parse_headers(entry.raw).subject) or "(no subject)"
    state = STATE_WORDS.get(OutboxState(entry.state), entry.state) if entry.state in set(
        OutboxState) else sanitize_line(entry.state)
    tries = f"{entry.attempts} attempt{'s' if entry.attempts != 1 else ''}"
    head = Content.assemble((f"{state:<10}", "bold"), f" {subject[:70]}",
                            (f"  [{sanitize_line(entry.account)}, {tries}]", "$text-muted"))
    rcpts = sanitize_line(", ".join(entry.rcpts)) or "(no recipient)"
    lines = [head, Content(f"  to {rcpts[:100]}")]
    if entry.next_attempt_at is not None and entry.state == OutboxState.FAILED:
        when = entry.next_attempt_at.astimezone().strftime("%H:%M:%S")
        lines.append(Content.styled(f"  next try at {when} (r: now)", "$text-muted"))
    if entry.state == OutboxState.UNSURE:
        lines.append(Content.styled(
            "  an attempt was interrupted after the message was handed over: it may have been "
            "sent. r sends it again, d drops it.", "$text-warning"))
    elif entry.not_saved:
        # entry.not_saved: the reason is the server's words, the copy alone is retried
        reason = sanitize_line(entry.last_error or "") or "the server did not say why"
        lines.append(Content.assemble(("  sent, but not saved to Sent: ", "$text-warning"),
                                      reason[:300]))
        again = entry.next_attempt_at
        when = f"at {again.astimezone():%H:%M:%S}" if again is not None else "later"
        lines.append(Content.styled(f"  the copy is tried again {when} (r: now); the "
                                    "message is not sent again", "$text-muted"))
        return Content("\n").join(lines)
    elif entry.state == OutboxState.ACCEPTED:
        lines.append(Content.styled("  sent; its copy to the Sent folder is being saved",
                                    "$text-muted"))
    if entry.last_error:
        lines.append(Content.assemble(("  error: ", "$text-error"),
                                      sanitize_line(entry.last_error)[:300]))
    return Content("\n").join(lines)


class ConfirmOutboxDelete(Question):
    """Asks before a queued message is thrown away."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("y", "answer(True)", "Delete"),
        Binding("n,escape", "answer(False)", "Keep"),
    ]
    DEFAULT_CSS = """
    ConfirmOutboxDelete {
        align: center middle;
        & > Vertical { width: 64; height: auto; border: round $error; background: $panel;
                       padding: 0 1; }
        & Label { width: 100%; }
        & .hint { color: $text-muted; }
    }
    """
    HINT = "y: delete   n/Esc: keep it"


class OutboxScreen(SaysCacheErrors, Screen[None]):
    """Every outbox entry of the cache; the list re-reads the store after each change."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = bindings(
        Scope.OUTBOX)
    AUTO_FOCUS = "#outbox-list"

    DEFAULT_CSS = """
    OutboxScreen {
        & #outbox-title { width: 100%; padding: 0 1; background: $panel;
                          color: $text-primary; text-style: bold; }
        & #outbox-list { height: 1fr; border: none; }
        & #outbox-empty { padding: 1 2; color: $text-muted; }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._entries: list[OutboxItem] = []

    @property
    def tui(self) -> TuiMailApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Label("Outbox", id="outbox-title")
        yield OptionList(id="outbox-list")
        yield Label(Content("The outbox is empty: every message was sent."), id="outbox-empty")
        yield KeyBar()

    def on_mount(self) -> None:
        self.refresh_entries()

    @property
    def entries(self) -> list[OutboxItem]:
        return list(self._entries)

    def refresh_entries(self, keep_id: int | None = None) -> None:
        """Re-read the outbox from the cache."""
        options = self.query_one("#outbox-list", OptionList)
        previous = self.selected
        keep = keep_id if keep_id is not None else previous.id if previous else None
        self._entries = self.tui.store.queues.outbox_list()
        options.clear_options()
        options.add_options([Option(entry_content(e), id=str(e.id)) for e in self._entries])
        waiting = sum(1 for e in self._entries if e.state == OutboxState.FAILED)
        held = sum(1 for e in self._entries if e.state in (OutboxState.HELD, OutboxState.UNSURE))
        unsaved = sum(1 for e in self._entries if e.not_saved)
        title = f"Outbox · {len(self._entries)} message{'s' if len(self._entries) != 1 else ''}"
        if waiting:
            title += f" · {waiting} waiting to be tried again"
        if held:
            title += f" · {held} held for you"
        if unsaved:
            title += f" · {unsaved} sent but not saved to Sent"
        self.query_one("#outbox-title", Label).update(Content(title))
        self.query_one("#outbox-empty").display = not self._entries
        options.display = bool(self._entries)
        if self._entries:
            ids = [e.id for e in self._entries]
            options.highlighted = ids.index(keep) if keep in ids else 0

    @property
    def selected(self) -> OutboxItem | None:
        if not self.is_mounted:
            return None
        index = self.query_one("#outbox-list", OptionList).highlighted
        if index is None or not 0 <= index < len(self._entries):
            return None
        return self._entries[index]

    def action_back(self) -> None:
        self.dismiss(None)

    def outbox_changed(self) -> None:
        """The service sent, retried or held something: show the outbox as it is now."""
        if self.is_attached:
            self.refresh_entries()

    # ---- retry ------------------------------------------------------------------------------

    def action_retry(self) -> None:
        entry = self.selected
        if entry is None:
            return
        if not self.tui.service.can_send(entry.account):
            self.notify(f"{entry.account}: no outgoing server is configured; it cannot be sent.",
                        severity="warning", markup=False)
            return
        if entry.not_saved:  # it went out: only its copy to Sent is tried again
            self.notify("Saving the copy to Sent…", title="Outbox")
            self._in_background(lambda: self.tui.service.retry_outbox(entry.id))
            return
        if entry.state in OUTBOX_UNDER_WAY:
            self.notify("This message is being sent, or has been sent already.")
            return
        self.notify("Sending…", title="Outbox")
        self._in_background(lambda: self.tui.service.retry_outbox(entry.id))

    @work(thread=True, exit_on_error=False, group="outbox-change", description="outbox change")
    def _in_background(self, change: Any, then: Any = None) -> None:
        """A change of the outbox (a cache write) off the interface; `then()` after it."""
        app = self.tui
        try:
            result = change()
        except TuiMailError as exc:
            app.call_from_thread(self.notify, f"The outbox could not be changed: {exc}",
                                 severity="error", markup=False)
            return
        if then is not None:
            app.call_from_thread(then, result)
        app.call_from_thread(self.outbox_changed)

    # ---- delete -----------------------------------------------------------------------------

    def action_delete(self) -> None:
        entry = self.selected
        if entry is None:
            return
        if entry.not_saved:
            self.notify("This message has been sent; only its copy to Sent waits here "
                        "(r tries it now).", markup=False)
            return
        subject = sanitize_line(parse_headers(entry.raw).subject) or "(no subject)"

        def dropped(_result: object) -> None:
            self.notify("Deleted from the outbox; it will not be sent.", markup=False)

        def answered(yes: bool | None) -> None:
            if yes:
                self._in_background(lambda: self.tui.service.drop_outbox(entry.id), dropped)

        self.app.push_screen(ConfirmOutboxDelete(
            f"Delete “{subject[:50]}” from the outbox? It will not be sent."), answered)

    # ---- edit -------------------------------------------------------------------------------

    def action_edit(self) -> None:
        """Take the message out of the outbox into the composer (kept as a local draft first,
        so closing the composer does not lose it). A signed or encrypted message is opened
        first: it leaves the outbox only once it could be."""
        entry = self.selected
        if entry is None:
            return
        if entry.state in OUTBOX_UNDER_WAY:
            self.notify("This message is being sent, or has been sent already; it cannot be "
                        "edited now.")
            return
        app = self.tui

        def taken_out() -> str | None:
            key = app.service.outbox_to_draft(entry.id)
            app.call_from_thread(self.outbox_changed)
            return key if isinstance(key, str) else None

        app.reopen_in_composer(entry.account, entry.raw, taken_out)
