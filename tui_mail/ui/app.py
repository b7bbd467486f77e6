"""The Textual application: a shell over the cache and the mail service.

The app reads the cache through read-only connections and asks its `MailService` (headless,
in `tui_mail.sync.service`) for everything else: bodies, actions and undo, sending, drafts,
syncing. The service's events arrive here from its threads and are relayed to the screens.

Start-up does only what the first screen needs: open the cache, read the folder list and one
page of the list, draw. HTML rendering, search and the network libraries are imported where
used.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import Screen
from textual.theme import Theme

from tui_mail.config import Config, UISettings, default_state_dir
from tui_mail.gc_pause import resume_gc
from tui_mail.mail.sanitize import sanitize_line, sanitize_text
from tui_mail.model import MessageSummary
from tui_mail.store.db import Store
from tui_mail.ui.autocrypt_setup_actions import AutocryptSetupActions
from tui_mail.ui.cache_guard import SaysCacheErrors
from tui_mail.ui.compose_actions import ComposeActions
from tui_mail.ui.folder_requests import FolderRequests
from tui_mail.ui.keys import ActionCommands, Scope, bindings, bound_actions, keymap_from_config
from tui_mail.ui.list_invite_actions import ListInviteActions
from tui_mail.ui.message_actions import MessageActions
from tui_mail.ui.setup_actions import SetupActions
from tui_mail.ui.widgets.status_line import Connection

if TYPE_CHECKING:
    from tui_mail.errors import TuiMailError
    from tui_mail.sync.events import SyncEvent
    from tui_mail.ui.screens.mailbox import MailboxScreen
    from tui_mail.ui.widgets.message_list import MessageList

UI_DIR = Path(__file__).parent
QUIT_WAIT = 15.0  # seconds quitting waits for a message being sent
NOTIFIED_KEPT = 200  # notifications `TuiMailApp.notified` remembers


class Notified(NamedTuple):
    """A notification as it was shown (its text without control sequences)."""

    message: str
    title: str
    severity: str


log = logging.getLogger(__name__)


class SyncUpdate(Message):
    """An event of the mail service (folder changed, progress, connection, outbox, notice)
    arrived on the UI thread."""

    def __init__(self, event: SyncEvent) -> None:
        super().__init__()
        self.event = event

    def can_replace(self, message: Message) -> bool:
        """A newer progress report of the same account makes a queued one obsolete."""
        from tui_mail.sync.events import SyncProgress

        return (isinstance(message, SyncUpdate) and isinstance(self.event, SyncProgress)
                and isinstance(message.event, SyncProgress)
                and message.event.account == self.event.account)


class TuiMailApp(SaysCacheErrors, ComposeActions, MessageActions, FolderRequests, SetupActions,
                 ListInviteActions, AutocryptSetupActions, App[None]):
    """tui-mail's interface over the local cache."""

    TITLE = "tui-mail"
    CSS_PATH = UI_DIR / "app.tcss"
    COMMANDS = App.COMMANDS | {ActionCommands}
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = bindings(
        Scope.APP)
    # Focus is chosen by each screen's AUTO_FOCUS (the list, never an Input that eats keys).
    AUTO_FOCUS = None

    def __init__(
        self,
        config: Config | None,
        store_path: Path,
        demo: bool = False,
        *,
        clock: Callable[[], datetime] = datetime.now,
        themes_dir: Path | None = None,
        state_dir: Path | None = None,
        sync_on_start: bool = True,
        notice: str = "",
    ) -> None:
        from tui_mail.sync.service import MailService, ServiceSettings

        self.config = config
        self._notice = notice
        self.store_path = Path(store_path)
        self.demo = demo
        self._quitting = False  # set by exit(): keys still queued are dropped
        self.init_message_actions()
        self.init_compose_actions()
        self.clock = clock
        self.ui_settings: UISettings = config.ui if config else UISettings()
        self._themes_dir = themes_dir
        self._state_dir = state_dir or default_state_dir()
        self.account_names: list[str] = [a.name for a in config.accounts] if config else []
        self.sync_on_start = sync_on_start and not demo and bool(self.account_names)
        self._told_errors: dict[str, str] = {}  # account -> the error last notified
        self._offline: set[str] = set()  # accounts whose server does not answer now
        # What was said, oldest first: Textual keeps only the toasts not yet expired, privately;
        # the tests read this.
        self.notified: deque[Notified] = deque(maxlen=NOTIFIED_KEPT)
        # The service creates (and migrates) the cache before anything reads it.
        self.service = MailService(
            config.accounts if config is not None and not demo else (), self.store_path,
            self.report_sync_event,
            ServiceSettings(sync_every_minutes=self.ui_settings.sync_every_minutes,
                            idle=self.ui_settings.idle))
        from tui_mail.config import NotifySettings
        from tui_mail.ui.notify_new_mail import NewMailNotifier

        self.new_mail = NewMailNotifier(self, config.notify if config else NotifySettings())
        self._store: Store | None = None
        self._readers: list[Store] = []
        self._reader_lock = threading.Lock()
        super().__init__()
        self._load_themes()

    # ---- start-up ---------------------------------------------------------------------------

    def _load_themes(self) -> None:
        """Register the bundled and user themes and pick the configured one."""
        from tui_mail.ui import themes

        loaded, self._theme_warnings = themes.load_themes(self._themes_dir)
        for theme in loaded:
            self.register_theme(theme)
        from tui_mail.ui.remembered import remembered_theme

        self._config_theme = self.config.theme if self.config else themes.DEFAULT_THEME
        requested = (
            remembered_theme(self._state_dir, self._config_theme) or self._config_theme
        )
        name, warning = themes.choose_theme(requested, self.available_themes)
        if warning:
            self._theme_warnings.append(warning)
        self.theme = name

    def get_theme_variable_defaults(self) -> dict[str, str]:
        from tui_mail.ui.themes import theme_variable_defaults

        return theme_variable_defaults(self.current_theme)

    @property
    def store(self) -> Store:
        """The interface's read-only connection to the cache (writes go through the service)."""
        if self._store is None:
            self._store = Store.open(self.store_path, readonly=True)
        return self._store

    @contextmanager
    def open_reader(self) -> Iterator[Store]:
        """A read-only cache connection for one worker thread at a time.

        Connections are pooled: opening one per query cost more than the query itself (search
        as you type runs one per pause in typing). A connection is only ever used by one thread
        at once; SQLite in WAL mode lets readers run beside the writer.
        """
        with self._reader_lock:
            reader = self._readers.pop() if self._readers else None
        if reader is None:
            reader = Store.open(self.store_path, readonly=True)
        try:
            yield reader
        finally:
            with self._reader_lock:
                self._readers.append(reader)

    @work(thread=True, exit_on_error=False, group="reader", description="open a read connection")
    def warm_reader(self) -> None:
        """Open a read connection ahead of its use (the search bar calls this when it opens):
        opening one, on a large cache, costs more than the search that follows. The query
        compiler loads here too, off the first search's path."""
        import tui_mail.store.query  # noqa: F401

        if not self._readers:
            with self.open_reader():
                pass

    def get_default_screen(self) -> Screen[Any]:
        from tui_mail.ui.screens.mailbox import MailboxScreen

        if not self.account_names:
            self.account_names = sorted({f.account for f in self.store.folders()})
        return MailboxScreen()

    def on_mount(self) -> None:
        keymap, warnings = keymap_from_config(self.config.keys if self.config else {})
        self.set_keymap(keymap)
        for warning in [*warnings, *self._theme_warnings]:
            self.notify(warning, severity="warning", markup=False, timeout=8)
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.offer_kept_drafts()
        if self._notice:  # the demo's welcome in a line of its own, once, hiding nothing
            self.call_after_refresh(self._show_notice)
        # After the first frame: collection resumes (see tui_mail.gc_pause), and the service
        # starts syncing (the protocol libraries load in its threads).
        self.call_after_refresh(resume_gc)
        if not self.demo:  # decrypted text an account no longer allows leaves the index
            self.run_worker(self.service.forget_decrypted, thread=True, group="privacy",
                            exit_on_error=False, description="decrypted text out of the index")
        if self.sync_on_start:
            self.call_after_refresh(self.service.start)
        else:
            self.call_after_refresh(self.service.report_outbox)

    def _show_notice(self) -> None:
        from tui_mail.ui.widgets.welcome import show_welcome

        if not (self.demo and show_welcome(self.screen, self._notice)):
            self.notify(self._notice, title="tui-mail", markup=False, timeout=15)

    def _remember_theme(self, theme: Theme) -> None:
        from tui_mail.ui.remembered import remember_theme

        remember_theme(self._state_dir, theme.name, self._config_theme)

    def on_unmount(self) -> None:
        runner = self._action_runner
        if runner is not None:  # what was not started is not started any more
            runner.shutdown(wait=False, cancel_futures=True)
        self.service.stop(timeout=0)  # daemon threads: they log out within a second, or die
        with self._reader_lock:
            readers, self._readers = self._readers, []
        for reader in readers:
            reader.close()
        if self._store is not None:
            self._store.close()
            self._store = None

    # ---- actions ----------------------------------------------------------------------------

    def exit(self, *args: Any, **kwargs: Any) -> None:
        """Quit; keys typed after `q` (still queued) are dropped, not acted on while the
        screens are taken down."""
        self._quitting = True
        super().exit(*args, **kwargs)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not self._typed_for_this_screen(event):
            return
        await super().on_event(event)

    def _typed_for_this_screen(self, key: events.Key) -> bool:
        """False when `key` is not to be handled here now: dropped (quitting), kept for a
        composer on its way, or sent again to the screen that came since it was typed.

        A key passes here twice: as it comes from the terminal (then it goes down to the
        focused widget), and on its way back up, when the bindings are looked up. Typed in a
        burst after `m` or `r`, every key was on its way down to the message list before the
        binding of `m` ran; coming back, it met the composer's bindings and was lost, or the
        list's (a `d` deleted the message)."""
        if self._quitting or self.hold_key(key):
            return False
        if not key.is_forwarded:
            key.typed_on_screen = self.screen  # type: ignore[attr-defined]
            return True
        typed_on = getattr(key, "typed_on_screen", self.screen)
        stack = self.screen_stack
        if typed_on is not self.screen and typed_on in stack[:-1]:  # one came over it since
            self.post_message(events.Key(key.key, key.character))
            return False
        return True

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               **kwargs: Any) -> None:
        """Show a notification; the errors and warnings shown are also written to the log
        (the README's promise: every error the user saw, in the log). Notifications carry
        servers' words and folder names: control sequences are removed here, for all of
        them (Textual's `markup=False` keeps markup out, not escape sequences)."""
        message, title = sanitize_text(message), sanitize_line(title)
        self.notified.append(Notified(message, title, str(severity)))
        if severity in ("error", "warning"):
            log.log(logging.ERROR if severity == "error" else logging.WARNING, "shown: %s%s",
                    f"{title}: " if title else "", message)
        super().notify(message, title=title, severity=severity, **kwargs)

    async def action_quit(self) -> None:
        """Quit. A message being written is kept as a local draft first (its autosave runs
        every few seconds; what was typed since then would be lost), and a message being
        handed to the SMTP server is let finish (for a while)."""
        from tui_mail.ui.screens.composer import ComposerScreen

        composers = [screen for screen in self.screen_stack if isinstance(screen, ComposerScreen)]
        for screen in composers:
            screen.autosave(now=True)
        refused = [c.draft_refused for c in composers if c.draft_refused and c.unsaved]
        if refused and not self._quit_anyway:
            self._ask_before_quitting(refused[0])
            return
        if self.service.sending:  # a message handed over half-way would wait for next time
            self.notify("A message is being sent: quitting once it is done…", title="Outbox")
            deadline = time.monotonic() + QUIT_WAIT
            while self.service.sending and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
        self.exit()

    _quit_anyway = False

    def _ask_before_quitting(self, why: str) -> None:
        """A message whose draft could not be kept (`why`: no key of the user's to encrypt
        it to, a cache that cannot be written) would be lost by quitting: ask first."""
        from tui_mail.ui.widgets.compose_dialogs import ConfirmDiscard

        def answered(discard: bool | None) -> None:
            if discard:
                self._quit_anyway = True
                self.run_worker(self.action_quit(), group="quit")

        self.push_screen(ConfirmDiscard("Quit and lose the message being written? It is not"
                                        f" kept as a draft: {why}."), answered)

    def action_help(self) -> None:
        from tui_mail.ui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(bound_actions(self.screen)))

    def mark_read(self, summary: MessageSummary) -> MessageSummary:
        """Mark a message read because it was read: the cache and the server are told by the
        service (in a worker: the write must not hold up the interface). Not on the undo
        stack: `u` takes back what the user did (a delete), not this."""
        self.act_in_background(
            "read", [summary], undoable=False,
            then=lambda outcome: self._refresh_after_flags(summary.account, summary.folder))
        return replace(summary, flags=replace(summary.flags, seen=True))

    def _refresh_after_flags(self, account: str, folder: str) -> None:
        mailbox = self.mailbox
        if mailbox is not None:
            mailbox.folder_changed(account, folder, flags_only=True)

    @property
    def mailbox(self) -> MailboxScreen | None:
        from tui_mail.ui.screens.mailbox import MailboxScreen

        for screen in self.screen_stack:
            if isinstance(screen, MailboxScreen):
                return screen
        return None

    # ---- sync -------------------------------------------------------------------------------

    def action_sync(self) -> None:
        """Sync every configured account now (the service's threads; the UI keeps reading)."""
        if self.demo:
            self.notify("The demo account works offline; there is nothing to sync.")
            return
        if self.config is None or not self.config.accounts:
            self.notify("No accounts are configured; the cache is shown offline.")
            return
        self.service.sync_now()

    # ---- events of the service --------------------------------------------------------------

    def report_sync_event(self, event: SyncEvent) -> None:
        """The service's event sink: callable from any thread, never blocks the caller
        (`post_message` is thread-safe); a burst of progress events costs one redraw each."""
        self.post_message(SyncUpdate(event))

    def on_sync_update(self, message: SyncUpdate) -> None:
        """Relay an event of the service to the screens (news that arrives while they are
        being taken down, the app closing, is dropped)."""
        try:
            self._relay(message.event)
        except NoMatches:  # a screen half taken down: nothing to show the news on
            if not self._quitting:
                log.warning("an event found no screen to show it: %s", message.event)

    def _relay(self, event: SyncEvent) -> None:
        from tui_mail.sync.events import (
            ConnectionState,
            ErrorKind,
            FolderChanged,
            MailArrived,
            Notice,
            OutboxStatus,
            SyncError,
            SyncProgress,
        )

        if isinstance(event, MailArrived):
            if not self.demo:  # the demo's mail is made up: nothing is news
                self.new_mail.arrived(event)
            return
        if isinstance(event, Notice):
            if event.level == "error":  # the same trouble at each job (a full disk): once
                self._tell_once(f"{event.account} notice", event.message, event.account)
            else:
                self.notify(event.message, title=event.account, severity=event.level,
                            markup=False)
            return
        if isinstance(event, OutboxStatus):
            for screen in self.screen_stack:
                changed = getattr(screen, "outbox_changed", None)
                if changed is not None:
                    changed()
        mailbox = self.mailbox
        if mailbox is None or self._quitting:
            return
        status = mailbox.status
        if isinstance(event, FolderChanged):
            mailbox.folder_changed(event.account, event.folder)
        elif isinstance(event, OutboxStatus):
            status.set_outbox(event.waiting, event.held, event.unsaved)
        elif isinstance(event, SyncProgress):
            if event.phase == "bodies":
                return  # the background download is not the "syncing" the user waits for
            finished = event.total and event.done >= event.total
            status.set_state(event.account,
                             connection=Connection.ONLINE if finished else Connection.SYNCING,
                             done=event.done, total=event.total, error="", needs_sign_in=False)
        elif isinstance(event, ConnectionState):
            if event.online:
                came_back = event.account in self._offline
                self._offline.discard(event.account)
                if not event.error:
                    self._told_errors.pop(event.account, None)
                    self._told_errors.pop(f"{event.account} notice", None)
                status.set_state(event.account, connection=Connection.ONLINE, error=event.error,
                                 retry_in=None, needs_sign_in=False)
                if came_back:
                    self._retry_unavailable_bodies(event.account)
            else:
                self._offline.add(event.account)
                status.set_state(event.account, connection=Connection.OFFLINE,
                                 error=event.error, retry_in=event.retry_in,
                                 needs_sign_in=event.kind is ErrorKind.SIGN_IN)
                # The status line says it at once; a notification only when it lasts (the
                # first retry failed too) or needs the user (no retry planned).
                if event.retry_in is None or event.failures >= 2:
                    self._tell_once(event.account, event.error)
        elif isinstance(event, SyncError):
            status.set_state(event.account, error=event.message)
            # Offline, the connection's own report speaks for the errors that follow from it.
            if event.account not in self._offline:
                self._tell_once(event.account, event.message)

    def cache_trouble(self, error: TuiMailError) -> None:
        """The cache could not be read or written (damaged, full disk, removed): said once
        per distinct trouble; the interface goes on with what it can still read."""
        log.error("the cache failed under the interface: %s", error)
        self._tell_once("cache", str(error))

    def on_message_list_read_failed(self, message: MessageList.ReadFailed) -> None:
        self.cache_trouble(message.error)

    def _retry_unavailable_bodies(self, account: str) -> None:
        """A message that could not be downloaded (offline) is shown once its server answers."""
        from tui_mail.ui.widgets.message_view import MessageView

        for screen in self.screen_stack:
            for view in screen.query(MessageView):
                if view.summary is not None and view.summary.account == account:
                    view.retry_unavailable()

    def _tell_once(self, key: str, error: str, title: str = "") -> None:
        """Offline, each retry fails the same way: the status line says it; a notification
        says it once (per `key`: an account, the cache), until the account is back."""
        if error and self._told_errors.get(key) != error:
            self._told_errors[key] = error
            self.notify(error, title=title or key, severity="error", markup=False,
                        timeout=10)


def run_app(
    config: Config | None, store_path: Path, *, demo: bool = False, notice: str = ""
) -> int:
    """Run the interface until the user quits. With `demo`, `store_path` is filled with the
    demo account first if it does not exist yet. `notice` is shown once, after the first frame."""
    if demo:
        from tui_mail.demo.builder import build_demo_cache

        store_path = build_demo_cache(Path(store_path))
    from tui_mail.config import config_dir

    app = TuiMailApp(
        config, store_path, demo=demo, notice=notice, themes_dir=config_dir() / "themes"
    )
    app.run()
    return app.return_code or 0
