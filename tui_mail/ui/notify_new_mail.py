"""New mail told to the user: the sync service's `MailArrived` events, gathered for a moment,
become one notification (a toast, the bell, a desktop notification, the hook).

A sync of every folder reports each folder on its own, and IDLE may bring two messages a
second apart: news arriving within `WINDOW` seconds of the first is told together ("3 new
messages in work/INBOX"), so one burst of mail rings once.

The bell and the OSC escapes go through Textual's driver, as Textual's own bell and clipboard
do: its `write` queues the text on the thread that writes the frames, so an escape lands
between two frames, never inside one. notify-send and the hook run in a thread of their own
(`new_mail.run_in_background`), with a time limit: nothing here waits on the event loop.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tui_mail.config import NotifySettings
from tui_mail.new_mail import (
    NewMail,
    Notifier,
    headline,
    hook_argv,
    merged,
    newest_lines,
    notifier_for,
    notify_send_argv,
    osc_sequence,
    run_in_background,
)

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer

    from tui_mail.sync.events import MailArrived

log = logging.getLogger(__name__)

WINDOW = 1.0  # seconds: news arriving this soon after the first is told with it


class NewMailNotifier:
    """Turns `MailArrived` events into notifications, for one app (on its event loop)."""

    def __init__(self, app: App[Any], settings: NotifySettings, *,
                 env: Mapping[str, str] | None = None, window: float = WINDOW) -> None:
        env = os.environ if env is None else env
        self._app = app
        self._settings = settings
        self._env = env
        self._desktop: Notifier | None = None  # chosen when first needed (not at start-up)
        self._tmux = bool(env.get("TMUX"))
        self._window = window
        self._pending: list[NewMail] = []
        self._timer: Timer | None = None

    def arrived(self, event: MailArrived) -> None:
        """News from the service; told once the window since the first pending news ends."""
        self._pending.append(NewMail(event.account, event.shown, event.count, event.newest))
        if self._timer is None:
            self._timer = self._app.set_timer(self._window, self._flush, name="new mail")

    def _flush(self) -> None:
        batch, self._pending, self._timer = merged(self._pending), [], None
        if batch:
            self.tell(batch)

    def tell(self, batch: list[NewMail]) -> None:
        """One notification for what arrived together (one entry per folder)."""
        app = self._app
        app.notify("\n".join([headline(batch), *newest_lines(batch)]), title="New mail",
                   markup=False)
        if self._settings.bell:
            app.bell()
        if self._desktop is None:
            self._desktop = notifier_for(self._settings.desktop, self._env)
        if self._desktop in (Notifier.OSC9, Notifier.OSC777):
            self._write(osc_sequence(self._desktop, batch, tmux=self._tmux))
        elif self._desktop is Notifier.NOTIFY_SEND:
            run_in_background(notify_send_argv(batch))
        if self._settings.command:
            for mail in batch:  # the hook's arguments name one folder
                run_in_background(hook_argv(self._settings.command, mail))

    def _write(self, sequence: str) -> None:
        driver = self._app._driver  # noqa: SLF001 - Textual's bell writes the same way
        if driver is not None:
            driver.write(sequence)
