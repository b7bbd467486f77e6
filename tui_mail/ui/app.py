"""The Textual application: opens the cache, shows the mailbox, relays sync events.

Start-up does only what the first screen needs: open the cache, read the folder list and one
page of the list, draw. HTML rendering, search and the sync engine are imported where used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.theme import Theme

from tui_mail.config import Config, UISettings, default_state_dir
from tui_mail.launch import resume_gc
from tui_mail.model import Account, MessageSummary
from tui_mail.store.db import Store
from tui_mail.ui.compose_actions import ComposeActions
from tui_mail.ui.keys import ActionCommands, Scope, bindings, bound_actions, keymap_from_config
from tui_mail.ui.message_actions import REPLAY_LOCK, MessageActions
from tui_mail.ui.setup_actions import SetupActions
from tui_mail.ui.widgets.status_line import Connection

if TYPE_CHECKING:
    from tui_mail.remote.connection import Credentials
    from tui_mail.sync.events import SyncEvent
    from tui_mail.sync.watcher import Watcher
    from tui_mail.ui.screens.mailbox import MailboxScreen

UI_DIR = Path(__file__).parent


class SyncUpdate(Message):
    """A sync event (folder changed, progress, error) arrived on the UI thread. A `quiet` error
    shows in the status line without a notification."""

    def __init__(self, event: SyncEvent, quiet: bool = False) -> None:
        super().__init__()
        self.event = event
        self.quiet = quiet

    def can_replace(self, message: Message) -> bool:
        """A newer progress report of the same account makes a queued one obsolete."""
        from tui_mail.sync.events import SyncProgress

        return (isinstance(message, SyncUpdate) and isinstance(self.event, SyncProgress)
                and isinstance(message.event, SyncProgress)
                and message.event.account == self.event.account)


class SyncFinished(Message):
    """A sync run of an account ended (`ok`: without errors; `warned`: with warnings, which
    each run repeats, such as a POP3 server without UIDL)."""

    def __init__(self, account: Account, ok: bool, warned: bool = False) -> None:
        super().__init__()
        self.account = account
        self.ok = ok
        self.warned = warned


class ServerChanged(Message):
    """A watcher saw a folder change on the server: sync it."""

    def __init__(self, account: str, folder: str) -> None:
        super().__init__()
        self.account = account
        self.folder = folder


class TuiMailApp(ComposeActions, MessageActions, SetupActions, App[None]):
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
        self.config = config
        self._notice = notice
        self.store_path = Path(store_path)
        self.demo = demo
        self._quitting = False  # set by exit(): keys still queued are dropped
        self.clock = clock
        self.ui_settings: UISettings = config.ui if config else UISettings()
        self._themes_dir = themes_dir
        self._state_dir = state_dir or default_state_dir()
        self._store: Store | None = None
        self._readers: list[Store] = []
        self._reader_lock = threading.Lock()
        self.account_names: list[str] = [a.name for a in config.accounts] if config else []
        self.sync_on_start = sync_on_start and not demo and bool(self.account_names)
        self._syncing: set[str] = set()
        self._sync_again: dict[str, tuple[str, ...] | None] = {}
        self._watchers: dict[str, Watcher] = {}
        self._told_errors: dict[str, str] = {}  # account -> the sync error last notified
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
        if self._store is None:
            self._store = Store.open(self.store_path)
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

    def get_default_screen(self) -> Screen[object]:
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
        if self._notice:
            self.notify(self._notice, title="tui-mail", markup=False, timeout=15)
        # After the first frame: collection resumes (see tui_mail.launch), and the sync
        # engine and protocol libraries load.
        self.call_after_refresh(resume_gc)
        if self.sync_on_start:
            self.call_after_refresh(self.action_sync)
            minutes = self.ui_settings.sync_every_minutes
            if minutes > 0:
                self.set_interval(minutes * 60, self._background_sync)

    def _remember_theme(self, theme: Theme) -> None:
        from tui_mail.ui.remembered import remember_theme

        remember_theme(self._state_dir, theme.name, self._config_theme)

    def on_unmount(self) -> None:
        for watcher in self._watchers.values():
            watcher.stop(timeout=0)  # a daemon thread: it logs out within a second, or dies
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
        if isinstance(event, events.Key) and self._quitting:
            return
        await super().on_event(event)

    async def action_quit(self) -> None:
        """Quit. A message being written is kept as a local draft first (its autosave runs
        every few seconds; what was typed since then would be lost)."""
        from tui_mail.ui.screens.composer import ComposerScreen

        for screen in self.screen_stack:
            if isinstance(screen, ComposerScreen):
                screen.autosave()
        self.exit()

    def action_help(self) -> None:
        from tui_mail.ui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(bound_actions(self.screen)))

    def mark_read(self, summary: MessageSummary) -> MessageSummary:
        """Mark a message read in the cache, and through the action queue on the server (the
        replay waits a moment, as for any action, so reading several messages goes out in one
        connection)."""
        account = self.server_account(summary.account)
        if account is not None:
            from tui_mail.sync.actions import ActionQueue

            ActionQueue(self.store, account).mark_read([summary.id])
            self.schedule_replay([account])
        else:
            self.store.set_flags_local([summary.id], seen=True)
        self._refresh_after_flags(summary.account, summary.folder)
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
        """Sync every configured account (each in its own thread; the UI keeps reading the cache)."""
        if self.demo:
            self.notify("The demo account works offline; there is nothing to sync.")
            return
        if self.config is None or not self.config.accounts:
            self.notify("No accounts are configured; the cache is shown offline.")
            return
        for account in self.config.accounts:
            self.start_sync(account)

    def _background_sync(self) -> None:
        """The periodic sync (`[ui] sync_every_minutes`)."""
        if self.config is not None:
            for account in self.config.accounts:
                self.start_sync(account)

    def start_sync(self, account: Account, folders: Sequence[str] | None = None) -> None:
        """Sync an account (or some of its folders) in a worker. One run per account at a time:
        a request during a run is remembered and runs when it ends."""
        if account.name in self._syncing:
            wanted = self._sync_again.get(account.name, ())
            self._sync_again[account.name] = None if folders is None or wanted is None else (
                *wanted, *folders)
            return
        self._syncing.add(account.name)
        # Actions still inside their undo moment wait for their own replay (schedule_replay).
        self._sync_account(account, tuple(folders) if folders is not None else None,
                           replay=not self.replay_pending(account.name))

    @work(thread=True, exit_on_error=False, group="sync", description="sync an account")
    def _sync_account(self, account: Account, folders: tuple[str, ...] | None,
                      replay: bool = True) -> None:
        from tui_mail.errors import TuiMailError
        from tui_mail.sync.account_sync import sync_account
        from tui_mail.sync.events import SyncError, SyncProgress

        ok = warned = False
        if folders is None:
            self.report_sync_event(SyncProgress(account.name, "", 0, 0))
        try:
            with Store.open(self.store_path) as writer:
                result = sync_account(writer, account, _credentials(account),
                                      self.report_sync_event, folders=folders,
                                      replay=replay, replay_lock=REPLAY_LOCK)
            ok = result.ok
            warned = bool(result.warnings)
        except TuiMailError as exc:
            self.report_sync_event(SyncError(account.name, str(exc)))
        except Exception as exc:  # a defect: say so, rather than show "syncing" for ever
            self.report_sync_event(SyncError(
                account.name, f"sync stopped by an internal error: {type(exc).__name__}: {exc}"))
            raise
        finally:
            self.post_message(SyncFinished(account, ok, warned))
        if ok:
            self.report_sync_event(SyncProgress(account.name, "", 1, 1))

    def on_sync_finished(self, message: SyncFinished) -> None:
        """A run ended: start the one asked for meanwhile, and watch the inbox once online."""
        name = message.account.name
        self._syncing.discard(name)
        if message.ok and not message.warned:  # a warning told once is not told again
            self._told_errors.pop(name, None)
        if name in self._sync_again:
            self.start_sync(message.account, self._sync_again.pop(name))
        elif message.ok:
            self._watch(message.account)

    def _watch(self, account: Account) -> None:
        """Watch the account's INBOX with IMAP IDLE (its own thread and connection): new mail
        is synced as it arrives, not at the next periodic sync."""
        from tui_mail.model import Protocol

        if not self.ui_settings.idle or account.incoming.protocol is not Protocol.IMAP:
            return
        current = self._watchers.get(account.name)
        if current is not None and (current.running or current.gave_up):
            return
        from tui_mail.sync.engine import connector
        from tui_mail.sync.watcher import Watcher

        watcher = Watcher(account, connector(account, _credentials(account)),  # type: ignore[arg-type]
                          self._watcher_event, "INBOX")
        self._watchers[account.name] = watcher
        watcher.start()

    def _watcher_event(self, event: SyncEvent) -> None:
        """From a watcher's thread: a change on the server is synced; a lost connection shows
        in the status line (the watcher reconnects by itself, so no notification each time)."""
        from tui_mail.sync.events import FolderChanged

        if isinstance(event, FolderChanged):
            self.post_message(ServerChanged(event.account, event.folder))
        else:
            self.post_message(SyncUpdate(event, quiet=True))

    def on_server_changed(self, message: ServerChanged) -> None:
        account = self.configured_account(message.account)
        if account is not None:
            self.start_sync(account, [message.folder])

    # ---- sync events ------------------------------------------------------------------------

    def report_sync_event(self, event: SyncEvent) -> None:
        """The sync layer's event sink: callable from any thread, never blocks the caller
        (`post_message` is thread-safe); a burst of progress events costs one redraw each."""
        self.post_message(SyncUpdate(event))

    def on_sync_update(self, message: SyncUpdate) -> None:
        from tui_mail.sync.events import FolderChanged, SyncError, SyncProgress

        mailbox = self.mailbox
        if mailbox is None:
            return
        event = message.event
        status = mailbox.status
        if isinstance(event, FolderChanged):
            mailbox.folder_changed(event.account, event.folder)
        elif isinstance(event, SyncProgress):
            finished = event.total and event.done >= event.total
            status.set_state(event.account,
                             connection=Connection.ONLINE if finished else Connection.SYNCING,
                             done=event.done, total=event.total, error="")
        elif isinstance(event, SyncError):
            status.set_state(event.account, connection=Connection.OFFLINE, error=event.message)
            # Offline, each periodic sync fails the same way: the status line says it; a
            # notification says it once, until a sync succeeds.
            if not message.quiet and self._told_errors.get(event.account) != event.message:
                self._told_errors[event.account] = event.message
                self.notify(event.message, title=event.account, severity="error", markup=False)


def _credentials(account: Account) -> Callable[[], Credentials]:
    """Asked on each connect, so a token command runs again after a reconnect."""
    from tui_mail import secrets
    from tui_mail.remote.connection import Credentials

    def get() -> Credentials:
        server = account.incoming
        token = secrets.get_oauth2_token(account, "incoming")
        if token is not None:
            return Credentials(server.username, oauth2_token=token)
        return Credentials(server.username, password=secrets.get_password(account, "incoming"))

    return get


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
