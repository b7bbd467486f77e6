"""One line at the bottom: each account's state (offline, online, syncing n/m, last error) and
what waits in the outbox."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace

from textual.content import Content, Span
from textual.widgets import Static

from tui_mail.ui.widgets.text import sanitize_line


class Connection(enum.StrEnum):
    OFFLINE = "offline"
    ONLINE = "online"
    SYNCING = "syncing"


@dataclass(frozen=True)
class AccountState:
    name: str
    connection: Connection = Connection.OFFLINE
    done: int = 0
    total: int = 0
    error: str = ""
    retry_in: float | None = None  # offline: the service tries again by itself
    needs_sign_in: bool = False  # offline until the user signs in again (OAuth2)


MARKS = {Connection.OFFLINE: "○", Connection.ONLINE: "●", Connection.SYNCING: "◐"}
# "imap://mail.example.com:993 (tls): " and "offline actions kept for later: " say nothing the
# account name does not; the reason after them is what fits the line (the log has it all).
_SAID_ALREADY = re.compile(r"^(?:offline actions kept for later: )?"
                           r"(?:[a-z0-9]+://\S+ \([a-z]+\): )?")


REASON_WIDTH = 60  # characters of an error on the status line


def short_reason(error: str, width: int = REASON_WIDTH) -> str:
    """The part of an error worth the status line's room, at most `width` characters: a longer
    one is cut after a whole word and ends in "…" (cut inside a word, "port 49639" would read
    as "port 4963")."""
    reason = _SAID_ALREADY.sub("", error, count=1) or error
    if len(reason) <= width:
        return reason
    cut = reason[:width - 1]
    space = cut.rfind(" ")
    if space > width // 2:
        cut = cut[:space]
    return cut.rstrip(" ,:;(") + "…"


class StatusLine(Static):
    """Account states on the left, a short context note (e.g. the list's title) on the right."""

    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        background: $panel;
        color: $text-muted;
        padding: 0 1;
    }
    """

    def __init__(self, accounts: list[str], *, id: str | None = None) -> None:
        super().__init__(Content(""), id=id)
        self.states: dict[str, AccountState] = {name: AccountState(name) for name in accounts}
        self.note = ""
        self.outbox = (0, 0, 0)  # waiting, held, sent but not saved to Sent

    def on_mount(self) -> None:
        self._draw()

    def set_state(self, account: str, **changes: object) -> None:
        state = self.states.get(account, AccountState(account))
        self.states[account] = replace(state, **changes)  # type: ignore[arg-type]
        self._draw()

    def set_outbox(self, waiting: int, held: int, unsaved: int = 0) -> None:
        self.outbox = (waiting, held, unsaved)
        self._draw()

    def set_note(self, note: str) -> None:
        self.note = note
        self._draw()

    def render_states(self) -> Content:
        parts: list[str] = []
        spans: list[Span] = []
        offset = 0
        for state in self.states.values():
            text = f"{MARKS[state.connection]} {sanitize_line(state.name)}: {state.connection.value}"
            if state.connection is Connection.OFFLINE and state.needs_sign_in:
                text += ", sign in needed"  # retrying would fail the same way
            elif state.connection is Connection.OFFLINE and state.retry_in is not None:
                text += ", retrying"
            elif state.connection is Connection.OFFLINE and state.error:
                text += ", $ to retry"  # nothing will try by itself (a refused login)
            if state.connection is Connection.SYNCING and state.total:
                text += f" {state.done}/{state.total}"
            style = "$text-success" if state.connection is Connection.ONLINE else ""
            if state.error:
                text += f" ({short_reason(sanitize_line(state.error))})"
                style = "$text-error"
            if style:
                spans.append(Span(offset, offset + len(text), style))
            parts.append(text)
            offset += len(text) + 3
        waiting, held, unsaved = self.outbox
        if waiting or held or unsaved:
            counts = [f"{waiting} waiting" if waiting else "", f"{held} held" if held else "",
                      f"{unsaved} not saved to Sent" if unsaved else ""]
            text = "✉ outbox: " + ", ".join(c for c in counts if c)
            spans.append(Span(offset, offset + len(text), "$text-warning"))
            parts.append(text)
        return Content("   ".join(parts)).add_spans(spans)

    def _draw(self) -> None:
        states = self.render_states()
        if self.note:
            states = states.append(Content("   │ " + sanitize_line(self.note)))
        # One line, whatever it says: a layout pass would repaint every widget on screen.
        self.update(states, layout=False)
