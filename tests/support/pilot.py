"""Driving the real app through Textual's pilot: waiting until it is quiet, reading the screen.

`settle` never sleeps a fixed time: it looks at what could still change the screen (workers,
the mail service, queued actions, queued messages, timers about to fire) and returns as soon
as nothing does, or fails after a bound saying what was still busy.
"""

from __future__ import annotations

import time
from typing import Any, TypeVar

from textual.app import App
from textual.message import Message
from textual.message_pump import MessagePump
from textual.notifications import Notification, Notify
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input

from tests.support.textual_private import pending_one_shot_timers, rendered_lines
from tui_mail.model import MessageSummary
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.screens.message import MessageScreen
from tui_mail.ui.widgets.message_list import MessageList

TIMER_BOUND = 0.3
"""A one-shot timer set for at most this many seconds is waited for: the interface's debounces
(preview 0.08 s, address choices 0.2 s, rethread 0.3 s, the message screen composed ahead 0.3 s)
are part of what a key does. Longer ones are background work ahead of the user (prefetching
bodies 0.5 s, the MX lookup 0.5 s) or what a test waits for on purpose (a lone `g` 1 s, toasts,
the welcome); waiting for the prefetch would add half a second to most settles."""

QUIET_CHECKS = 2
"""Checks in a row that find nothing to do: the last message handled may have asked for more."""

POLL = 0.01
"""Seconds between checks. `pilot.pause(POLL)` first lets the screen handle what is queued;
`pilot.pause()` would instead wait for the process to look idle, which threads of the mail
service can hold up for a second."""


def _nodes(app: App[Any]) -> list[MessagePump]:
    nodes: list[MessagePump] = [app]
    for screen in app.screen_stack:
        nodes.extend(screen.walk_children(with_self=True))
    return nodes


def _service_busy(app: App[Any]) -> bool:
    service = getattr(app, "service", None)
    return service is not None and service.running and not service.is_quiet()


def busy_with(app: App[Any], timers_within: float = TIMER_BOUND) -> list[str]:
    """What still runs or is due in the app (empty when it is quiet)."""
    busy = [f"worker {worker.name or worker.description!r}"
            for worker in app.workers if not worker.is_finished]
    if _service_busy(app):
        busy.append("the mail service")
    if not getattr(app, "actions_done", True):  # acts and undos, run one after the other
        busy.append("an action or undo")
    for node in _nodes(app):
        if node.message_queue_size:
            busy.append(f"{node.message_queue_size} message(s) queued for {node!r}")
        busy.extend(f"timer {timer.name} of {node!r}"
                    for timer in pending_one_shot_timers(node, timers_within))
    return busy


async def settle(pilot: Pilot[Any], timeout: float = 30.0,
                 timers_within: float = TIMER_BOUND) -> None:
    """Wait until timers, workers, messages and the mail service's work have run."""
    app = pilot.app
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < QUIET_CHECKS:
        await pilot.pause(POLL)
        busy = busy_with(app, timers_within)
        quiet = 0 if busy else quiet + 1
        if busy and time.monotonic() > deadline:
            raise AssertionError(f"the app was not quiet after {timeout} s: {', '.join(busy)}")


async def service_quiet(pilot: Pilot[Any], timeout: float = 30.0) -> None:
    """Wait until the mail service and the queued actions have nothing running or due now
    (without waiting for the interface's own timers)."""
    app = pilot.app
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < QUIET_CHECKS:
        await pilot.pause(POLL)
        busy = _service_busy(app) or not getattr(app, "actions_done", True)
        quiet = 0 if busy else quiet + 1
        if busy and time.monotonic() > deadline:
            raise AssertionError(f"the mail service was still busy after {timeout} s")


ScreenT = TypeVar("ScreenT", bound=Screen[Any])


def screen_of(app: App[Any], kind: type[ScreenT]) -> ScreenT:
    """The app's current screen, which the test expects to be a `kind` (fails if it is not)."""
    screen = app.screen
    assert isinstance(screen, kind), f"the screen is {type(screen).__name__}, not {kind.__name__}"
    return screen


def screen_text(app: App[Any]) -> str:
    """What the terminal would show, as plain text (one line per row)."""
    return "\n".join(rendered_lines(app))


async def on_first_row(pilot: Pilot[Any]) -> MessageList:
    """The message list, settled, with its cursor on the first (newest) row."""
    await settle(pilot)
    message_list = pilot.app.screen.query_one(MessageList)
    message_list.cursor = 0
    await settle(pilot)
    return message_list


def said(app: TuiMailApp) -> str:
    """Every notification shown so far, oldest first, joined by " | "."""
    return " | ".join(n.message for n in app.notified)


class Toasts:
    """A `run_test(message_hook=...)` keeping each notification as Textual was given it, with
    what `TuiMailApp.notified` does not keep (whether its text was read as markup)."""

    def __init__(self) -> None:
        self.shown: list[Notification] = []

    def __call__(self, message: Message) -> None:
        if isinstance(message, Notify):
            self.shown.append(message.notification)


async def open_first(pilot) -> MessageScreen:
    await settle(pilot)
    message_list = pilot.app.screen.query_one(MessageList)
    message_list.cursor = 0
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, MessageScreen)
    return pilot.app.screen


async def run_until(pilot, condition, timeout: float = 20.0) -> None:
    """Let the app run until `condition()` holds (the servers are real: no fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out; the screen:\n{screen_text(pilot.app)}"
        await pilot.pause(0.1)


def notifications(app) -> list[str]:
    return [n.message for n in app.notified]


def selected(message_list: MessageList) -> MessageSummary:
    """The message under the list's cursor, which the test expects there is."""
    summary = message_list.selected
    assert summary is not None, "no message is selected"
    return summary


def subjects(message_list: MessageList) -> list[str]:
    """The subjects of the list's rows, top to bottom."""
    rows = [message_list.summary_at(i) for i in range(message_list.row_count)]
    assert None not in rows, "a row of the list has no message"
    return [row.subject for row in rows if row is not None]


async def type_query(pilot, text: str) -> None:
    await pilot.press("slash")
    await pilot.pause()
    bar_input = pilot.app.screen.query_one("#query", Input)
    bar_input.value = ""
    await pilot.press(*text)
    await settle(pilot)
