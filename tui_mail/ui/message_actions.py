"""App-level acting on messages: the selection, read/unread, flag, delete, archive, move,
copy, undo, the outbox screen.

`TuiMailApp` inherits `MessageActions`. The screens decide what is selected (tagged messages,
else the cursor row); `target_summaries()` asks the active screen, so the composer's reply and
forward use the same selection as delete or move.

The work is the mail service's (`tui_mail.sync.acting`, through `app.service`): the cache
changes at once, the server after a moment that leaves room for undo. It writes to the cache,
so it runs in a thread worker, and the screen is told the outcome when it is done.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

from tui_mail.errors import TuiMailError
from tui_mail.model import FolderRole, MessageSummary
from tui_mail.sync.acting import ActOutcome, deletes_for_good, special_folder
from tui_mail.ui.app_part import AppPart
from tui_mail.words import plural

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.timer import Timer

    from tui_mail.config import Config
    from tui_mail.store.db import Store
    from tui_mail.sync.service import MailService
    from tui_mail.ui.widgets.message_list import MessageList

__all__ = ["ActOutcome", "MessageActions", "plural"]

T = TypeVar("T")
PREFETCH_AHEAD = 3  # bodies fetched below the cursor (and one above) when a message is shown
PREFETCH_DELAY = 0.5  # seconds the cursor rests before its neighbours are fetched


class MessageActions(AppPart):
    """Mixin for the App: the selection of the active screen, actions, undo, the outbox."""

    screen: Screen[object]
    config: Config | None
    demo: bool

    if TYPE_CHECKING:
        @property
        def store(self) -> Store: ...

    service: MailService

    def init_message_actions(self) -> None:
        """The state of this mixin (the app's __init__ calls it)."""
        self._actions_waiting = 0  # actions and undos asked for and not yet shown done
        self._action_runner: ThreadPoolExecutor | None = None  # made at the first action
        self._ids_in_action: set[int] = set()
        self._prefetch_timer: Timer | None = None
        self._last_typed: dict[str, str] = {}

    # ---- selection --------------------------------------------------------------------------

    def target_summaries(self) -> list[MessageSummary]:
        """The messages an action applies to on the active screen: the tagged ones, else the
        one under the cursor (or shown in the viewer); empty when there is none."""
        screen: object = self.screen
        selecting = getattr(screen, "selected_summaries", None)
        if selecting is None:
            return []
        return list(selecting())

    # ---- accounts and folders ---------------------------------------------------------------

    def special_folder(self, account: str, role: FolderRole) -> str | None:
        """The folder with `role` (the config's choice first, then the cached folder's role)."""
        return special_folder(self.store, self.service.accounts, account, role)

    def folder_choices(self, accounts: Sequence[str]) -> list[str]:
        """Folder names a move or copy can target: those every account involved has (and
        shows: an account with `only_subscribed` offers its subscribed folders)."""
        names: list[str] | None = None
        for account in dict.fromkeys(accounts):
            configured = self.service.accounts.get(account)
            only = configured is not None and configured.only_subscribed
            these = [f.name for f in self.store.folders(account) if f.shown(only)]
            names = these if names is None else [n for n in names if n in these]
        return names or []

    def deletes_for_good(self, summaries: Sequence[MessageSummary]) -> list[MessageSummary]:
        """The messages a delete would remove for good (the screens ask first)."""
        return deletes_for_good(self.store, self.service.accounts, summaries)

    # ---- acting -----------------------------------------------------------------------------

    def act(self, kind: str, summaries: Sequence[MessageSummary],
            target: str | None = None, *, undoable: bool = True) -> ActOutcome:
        """Apply `kind` now, blocking (a worker thread's call; tests call it directly)."""
        try:
            return self.service.act(kind, summaries, target, undoable=undoable)
        except TuiMailError as exc:  # the cache cannot be written: nothing was changed
            return ActOutcome(errors=[f"Nothing was changed: {exc}"])

    def act_in_background(self, kind: str, summaries: Sequence[MessageSummary],
                          target: str | None = None, *, undoable: bool = True,
                          then: Callable[[ActOutcome], None]) -> None:
        """Apply `kind` off the interface; `then(outcome)` runs on the interface after.

        Actions and undos run one after the other, in the order asked (one thread), so an
        undo never overtakes the action it takes back. A message whose action is still being
        done is not acted on again: a second `d` typed before the first was done would find
        it in Trash and delete it for good without the question."""
        ids = {s.id for s in summaries}
        busy = self._acting_ids()
        if ids & busy:
            return
        busy |= ids

        def run() -> ActOutcome:
            return self.act(kind, summaries, target, undoable=undoable)

        def done(outcome: ActOutcome) -> None:
            busy.difference_update(ids)
            then(outcome)

        self._in_order(run, done, lambda exc: ActOutcome(
            errors=[f"internal error: {type(exc).__name__}: {exc}"]))

    def undo_in_background(self, then: Callable[[str, list[int]], None]) -> None:
        """Take back the newest action (see `UserActions.undo_last`), after the actions
        asked before it; `then(words, ids)` on the interface."""

        def run() -> tuple[str, list[int]]:
            try:
                return self.service.undo()
            except TuiMailError as exc:
                return f"Nothing was undone: {exc}", []

        self._in_order(run, lambda result: then(*result),
                       lambda exc: (f"Nothing was undone: internal error: {exc}", []))

    def _in_order(self, run: Callable[[], T], done: Callable[[T], None],
                  failed: Callable[[Exception], T]) -> None:
        """`run()` on the one action thread (after what was asked before), `done(result)`
        on the interface; a defect in `run` becomes `failed(error)`, not a lost thread."""
        app = self.as_app
        self._actions_waiting += 1

        def job() -> None:
            try:
                result = run()
            except Exception as exc:  # noqa: BLE001 - said through `failed`
                result = failed(exc)
            app.call_from_thread(finish, result)

        def finish(result: T) -> None:
            self._actions_waiting -= 1
            done(result)

        runner = self._action_runner
        if runner is None:
            runner = self._action_runner = ThreadPoolExecutor(1, thread_name_prefix="act")
        runner.submit(job)

    def _acting_ids(self) -> set[int]:
        return self._ids_in_action

    @property
    def actions_done(self) -> bool:
        """No action or undo is waiting, running, or still to be shown (tests wait for it)."""
        return self._actions_waiting == 0

    # ---- bodies -----------------------------------------------------------------------------

    def prefetch_around(self, message_list: MessageList) -> None:
        """Ask for the bodies next to the cursor (those below first: the usual next read), so
        that moving on shows them at once. Asked a moment later, once the cursor rests: the
        message just opened is drawn first, without them competing for the interpreter."""
        app = self.as_app
        timer = self._prefetch_timer
        if timer is not None:
            timer.stop()
        self._prefetch_timer = app.set_timer(PREFETCH_DELAY, lambda: self._prefetch(message_list))

    def _prefetch(self, message_list: MessageList) -> None:
        if not message_list.is_attached:
            return
        cursor = message_list.cursor
        wanted = (*range(cursor + 1, cursor + 1 + PREFETCH_AHEAD), cursor - 1)
        rows = [message_list.summary_at(r) for r in wanted if 0 <= r < message_list.row_count]
        self.service.prefetch([row for row in rows if row is not None])

    # ---- replay to the server ---------------------------------------------------------------

    @property
    def replay_delay(self) -> float | None:
        """Seconds actions wait (the undo moment) before they go to the server; None: only
        when `replay_now()` is called (tests)."""
        return self.service.settings.replay_delay

    @replay_delay.setter
    def replay_delay(self, seconds: float | None) -> None:
        self.service.settings.replay_delay = seconds

    def replay_now(self) -> None:
        """Send the queued actions of every account now."""
        self.service.replay_now()

    # ---- handing the terminal over ------------------------------------------------------------

    def run_in_terminal(self, argv: list[str], data: bytes) -> int:
        """Run `argv` on the real terminal with `data` on its stdin (the app is suspended
        meanwhile), then wait for Enter, as mutt does, so what it printed can be read.
        Returns its exit status. Tests replace this method: the headless driver cannot
        suspend."""
        from textual.app import SuspendNotSupported

        app = self.as_app
        try:
            with app.suspend():
                try:
                    code = subprocess.run(argv, input=data, check=False).returncode
                except OSError as exc:
                    raise TuiMailError(f"{argv[0]!r} could not be started: "
                                       f"{exc.strerror or exc}") from None
                _wait_for_enter(code)
                return code
        except SuspendNotSupported:
            raise TuiMailError("this terminal cannot hand itself over to a command") from None

    # ---- what was typed last ------------------------------------------------------------------

    def last_typed(self, kind: str) -> str:
        """What was answered last to the question `kind` ("pipe", "mbox"...) in this run."""
        return self._last_typed.get(kind, "")

    def remember_typed(self, kind: str, value: str) -> None:
        self._last_typed[kind] = value

    # ---- outbox -----------------------------------------------------------------------------

    def action_outbox(self) -> None:
        from tui_mail.ui.screens.outbox import OutboxScreen

        app = self.as_app
        if not isinstance(app.screen, OutboxScreen):
            app.push_screen(OutboxScreen())


    def action_keys(self) -> None:
        from tui_mail.ui.screens.keys import KeysScreen

        app = self.as_app
        if not isinstance(app.screen, KeysScreen):
            app.push_screen(KeysScreen())


def _wait_for_enter(code: int) -> None:
    """mutt's "Press any key": the command's output stays on screen until the user is done
    with it (read from the terminal itself, whatever stdin the app was given)."""
    status = "" if code == 0 else f" (the command exited with status {code})"
    try:
        with open("/dev/tty", "r+b", buffering=0) as tty:
            tty.write(f"\nPress Enter to return to tui-mail{status}.".encode())
            tty.readline()
    except OSError:
        pass
