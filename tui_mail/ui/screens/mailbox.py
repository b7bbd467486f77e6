"""The main screen: folders | message list | preview, with search and the status line.

The folder pane shows from 100 columns (from 100 to 139 only when the preview is not beside
the list: it takes the pane's place); else `c` shows the folders. The preview goes beside the list from 100 columns (RIGHT_FROM),
else below it in a window of 36 lines or more (BELOW_FROM), else nowhere; `ui.preview_pane`
("auto", "right", "below", "off") and `v` (beside, below, off, round again) choose, and a
place that does not fit the window falls back to the other. Enter opens the message screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget

from tui_mail.config import SavedSearch
from tui_mail.errors import CacheError, TuiMailError
from tui_mail.model import Folder, FolderRole, MessageSummary
from tui_mail.store.types import ThreadOrder, View
from tui_mail.ui.cache_guard import SaysCacheErrors
from tui_mail.ui.keys import Scope, bindings
from tui_mail.ui.screens.acting import ActingScreen
from tui_mail.ui.screens.mailbox_marks import MailboxMarks
from tui_mail.ui.screens.managing_folders import ManagesFolders
from tui_mail.ui.screens.saved_searches import SavedSearches
from tui_mail.ui.screens.search_results import SearchResults
from tui_mail.ui.screens.sources import ListState, ThreadRows, ViewRows, view_for
from tui_mail.ui.widgets.folder_tree import ALL_INBOXES, FolderChoice, FolderTree
from tui_mail.ui.widgets.key_bar import KeyBar
from tui_mail.ui.widgets.message_list import EmptySource, ListRows, MessageList
from tui_mail.ui.widgets.message_view import MessageView
from tui_mail.ui.widgets.search_bar import SearchBar, SearchScope
from tui_mail.ui.widgets.status_line import StatusLine
from tui_mail.words import plural

if TYPE_CHECKING:
    from tui_mail.ui.app import TuiMailApp
    from tui_mail.ui.screens.message import MessageScreen

WIDE = 140  # the preview takes 40% of the width from here, 45% below
MEDIUM = 100  # folders and list from here; list alone below
RIGHT_FROM = 100  # columns: the preview beside the list from here
BELOW_FROM = 36  # lines: the preview below the list from here (when it is not beside it)
PREVIEW_WORDS = {"right": "beside the list", "below": "below the list", "off": "off"}
PREVIEW_DELAY = 0.08  # seconds the cursor rests before the preview loads
RETHREAD_DELAY = 0.3  # seconds without a change before a threaded list is read again
PREPARE_DELAY = 0.3  # seconds after the first paint the message screen is composed ahead


def preview_layout(choice: str, width: int, height: int) -> str:
    """Where the preview goes in a `width` x `height` window: the place `choice` names ("auto":
    beside the list first) when it fits, else the other place that fits, else "off"."""
    if choice == "off":
        return "off"
    fits = {"right": width >= RIGHT_FROM, "below": height >= BELOW_FROM}
    order = ("below", "right") if choice == "below" else ("right", "below")
    return next((place for place in order if fits[place]), "off")


class MailboxScreen(SaysCacheErrors, ActingScreen, ManagesFolders, MailboxMarks, SavedSearches,
                    SearchResults, Screen[None]):
    """Folder tree, message list, preview pane, search bar and status line."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = bindings(
        Scope.MAILBOX)
    AUTO_FOCUS = "#messages"

    DEFAULT_CSS = """
    MailboxScreen {
        layout: vertical;
        & #panes { height: 1fr; }
        & #folders { width: 26; border-right: vkey $primary-muted; }
        & #reading { width: 1fr; }
        & #list-pane { width: 1fr; }
        & #messages { height: 1fr; }
        & #preview { display: none; width: 40vw; border-left: vkey $primary-muted; }
        &.-medium #preview { width: 45vw; }
        &.-preview-right #preview { display: block; }
        &.-preview-below #reading { layout: vertical; }
        &.-preview-below #list-pane { height: 2fr; }
        &.-preview-below #preview {
            display: block; width: 1fr; height: 3fr;
            border-left: none; border-top: hkey $primary-muted;
        }
        & #search { display: none; }
        &.-searching #search { display: block; }
        &.-narrow #folders { display: none; }
        &.-narrow.-show-folders #folders { display: block; width: 1fr; }
        &.-narrow.-show-folders #reading { display: none; }
        &.-medium.-preview-right #folders { display: none; }
        &.-medium.-preview-right.-show-folders #folders { display: block; }
        &.-medium.-hide-folders #folders, &.-wide.-hide-folders #folders { display: none; }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.state = ListState()
        self.folders: dict[tuple[str, str], Folder] = {}
        self.searching = False
        self._preview_timer: Timer | None = None
        self._preview_choice = "auto"  # ui.preview_pane, then what `v` chose
        self._preview_layout = "off"  # where the preview is now: "right", "below" or "off"
        self.init_search_results()
        self.search_place: tuple[str, tuple[str | None, str | None, FolderRole | None]] = (
            "", (None, None, None))  # the query searched and where (M marks all it finds)
        self.saved_search: SavedSearch | None = None  # the saved search listed, if one is
        self._scope_before: SearchScope | None = None  # the bar's own, while a saved search's
        self._thread_serial = 0
        self._rethread_timer: Timer | None = None
        self._message_screen: MessageScreen | None = None  # kept between openings

    @property
    def tui(self) -> TuiMailApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        app = self.tui
        self.state = ListState(threaded=app.ui_settings.threaded)
        # Layout classes before the children mount: set later, they restyle every widget.
        self._preview_choice = app.ui_settings.preview_pane
        self._apply_layout(app.size.width, app.size.height)
        with Horizontal(id="panes"):
            yield FolderTree(id="folders")
            with Horizontal(id="reading"):
                with Vertical(id="list-pane"):
                    yield SearchBar(id="search")
                    yield MessageList(clock=app.clock, id="messages")
                yield MessageView(prefer_html=app.ui_settings.prefer_html, id="preview")
        yield StatusLine(app.account_names, id="status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.call_after_refresh(self.set_timer, PREPARE_DELAY, self._prepare_message_screen)
        self.reload_folders()
        # After the first paint: the demo's own address is read from its data file.
        self.call_after_refresh(
            lambda: self.message_list.set_own_addresses(self.tui.own_addresses()))
        start = self._start_choice()
        if start != self.state.choice:
            self.state = replace(self.state, choice=start)
            tree = self.query_one(FolderTree)
            node = tree.choice_node(start)
            if node is not None:
                tree.place_cursor(node)
        self.show_list(keep_id=None)

    def _start_choice(self) -> FolderChoice:
        """All inboxes when there are several; with one account, its inbox folder (the same
        mail, and a single folder is the cache's cheapest view)."""
        inboxes = [(account, name) for (account, name), folder in self.folders.items()
                   if folder.role is FolderRole.INBOX]
        if len(inboxes) == 1:
            account, name = inboxes[0]
            return FolderChoice(account, name, f"{account}: {name}")
        return self.state.choice

    # ---- layout -----------------------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        self._apply_layout(event.size.width, event.size.height)

    def _apply_layout(self, width: int, height: int) -> None:
        """Width classes and the preview's place; a preview that comes into view shows the
        selected message at once (it was not loaded while hidden)."""
        self.set_class(width >= WIDE, "-wide")
        self.set_class(MEDIUM <= width < WIDE, "-medium")
        self.set_class(width < MEDIUM, "-narrow")
        before, layout = self._preview_layout, preview_layout(self._preview_choice, width, height)
        self._preview_layout = layout
        self.set_class(layout == "right", "-preview-right")
        self.set_class(layout == "below", "-preview-below")
        if layout != "off" and before == "off" and self.is_mounted:
            self._load_preview()

    @property
    def preview_visible(self) -> bool:
        return self._preview_layout != "off"

    @property
    def message_list(self) -> MessageList:
        return self.query_one("#messages", MessageList)

    @property
    def preview(self) -> MessageView:
        return self.query_one("#preview", MessageView)

    @property
    def status(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    # ---- selection --------------------------------------------------------------------------

    def current_summary(self) -> MessageSummary | None:
        """The message under the list's cursor."""
        return self.message_list.selected

    def selected_summaries(self) -> list[MessageSummary]:
        """What an action applies to: the tagged messages, else the cursor row."""
        tagged = self.message_list.tagged
        if tagged:
            return tagged
        current = self.current_summary()
        return [current] if current is not None else []

    # ---- data -------------------------------------------------------------------------------

    def reload_folders(self) -> None:
        """Re-read folders and their counts from the cache and redraw the tree (kept as it was
        when the cache cannot be read: the app says why). An account with `only_subscribed`
        shows its subscribed folders only; elsewhere an unsubscribed folder is drawn dim."""
        store = self.tui.store
        by_account: dict[str, list[Folder]] = {}
        try:
            folders = store.folders()
        except CacheError as exc:
            self.tui.cache_trouble(exc)
            return
        accounts = self.tui.service.accounts
        for folder in folders:
            configured = accounts.get(folder.account)
            if folder.shown(configured is not None and configured.only_subscribed):
                by_account.setdefault(folder.account, []).append(folder)
        names = list(self.tui.account_names)
        names += [name for name in by_account if name not in names]
        self.folders = {(f.account, f.name): f for fs in by_account.values() for f in fs}
        choice = self.state.choice
        gone = not choice.unified and (choice.account, choice.folder) not in self.folders
        if gone:  # deleted (or renamed) on the server: the list goes to the account's inbox
            inbox = next((f for f in by_account.get(str(choice.account), [])
                          if f.role is FolderRole.INBOX), None)
            choice = FolderChoice(choice.account, inbox.name, f"{choice.account}: {inbox.name}") \
                if inbox is not None else ALL_INBOXES
        self.query_one(FolderTree).show_folders(
            [(name, by_account.get(name, [])) for name in names], choice, self.saved_searches)
        self.count_searches()
        if gone:
            self.choose(choice)

    def show_list(self, keep_id: int | None) -> None:
        """Point the list at the current state's view (folder, sort, threads).

        A threaded view needs the whole folder's order, which takes a moment at 100k messages:
        it is read by a worker while the list goes on showing what it showed (or the flat
        list), and swapped in when ready (`_threads_read`). Folding only re-filters the order
        already read."""
        view = view_for(self.state, self.folders)
        self.message_list.show_place(*self._place_for(None))
        current = self.message_list.source
        if view is not None and view.threaded and isinstance(current, ThreadRows) \
                and current.view == view:
            # Only the folds changed: an order being read again meanwhile still counts.
            self._set_source(self._thread_rows(view, current.order), keep_id, threaded=True)
            return
        self._thread_serial += 1
        if view is None:
            self._set_source(EmptySource(), keep_id, threaded=False)
            return
        if not view.threaded:
            self._set_source(ViewRows(self.tui.store, view), keep_id, threaded=False)
            return
        self._set_source(ViewRows(self.tui.store, replace(view, threaded=False)), keep_id,
                         threaded=False)
        self._read_threads(view, keep_id)

    def _set_source(self, source: object, keep_id: int | None, *, threaded: bool) -> None:
        self.message_list.clear_tags()
        self.message_list.set_source(source, keep_id=keep_id, threaded=threaded)  # type: ignore[arg-type]
        self.update_note()

    def _thread_rows(self, view: View, order: ThreadOrder) -> ThreadRows:
        return ThreadRows(self.tui.store, view, order, self.state.fold_all, self.state.toggled)

    def _read_threads(self, view: View, keep_id: int | None) -> None:
        self.status.set_note(f"{self.state.describe()} · threading…")
        self._thread_worker(self._thread_serial, view, keep_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="threads",
          description="read the threaded order")
    def _thread_worker(self, serial: int, view: View, keep_id: int | None) -> None:
        try:
            with self.tui.open_reader() as store:
                order = store.listing.thread_order(view)
        except TuiMailError as exc:
            self.app.call_from_thread(self.notify, f"Could not thread the list: {exc}",
                                      severity="error", markup=False)
            return
        self.app.call_from_thread(self._threads_read, serial, view, order, keep_id)

    def _threads_read(self, serial: int, view: View, order: ThreadOrder,
                      keep_id: int | None) -> None:
        """A threaded order arrived: show it if it is still the one wanted, keeping the cursor
        on the message it is on now (the user may have moved while it was read)."""
        if serial != self._thread_serial or self.searching:
            return
        selected = self.message_list.selected
        if selected is not None and self.message_list.row_count:
            keep_id = selected.id
        self.message_list.set_source(self._thread_rows(view, order), keep_id=keep_id,
                                     threaded=True)  # tags stay on the messages still listed
        self.update_note()

    def update_note(self) -> None:
        """The status line's note: what is listed, how many, how many tagged."""
        tagged = len(self.message_list.tagged)
        extra = f" · {tagged} tagged" if tagged else ""
        if self.searching:
            saved = self.saved_search
            named = f"Saved search \u201c{saved.name}\u201d" if saved is not None else "Search"
            self.status.set_note(f"{named}: {self._search_query}{extra}")
            return
        source = self.message_list.source
        count = plural(self.message_list.row_count)
        if isinstance(source, ThreadRows) and source.count() < len(source.order.ids):
            count = f"{plural(len(source.order.ids))}, {plural(source.count(), 'row')} shown"
        self.status.set_note(f"{self.state.describe()} · {count}{extra}")

    def folder_changed(self, account: str, folder: str, *, flags_only: bool = False) -> None:
        """The cache of a folder changed: re-read counts and, if shown, the list (and, unless
        only flags changed, the threads)."""
        self.reload_folders()
        choice = self.state.choice
        if self.searching:
            self._reread_results(place=(account, folder))
        elif choice.unified or (choice.account, choice.folder) == (account, folder):
            self.message_list.reload()
            self.update_note()
            if not flags_only:
                self.schedule_rethread()

    def schedule_rethread(self) -> None:
        """New or removed messages change the threads. A sync reports many changes in a row:
        the order is read again once they pause."""
        if not self.state.threaded or self.searching:
            return
        if self._rethread_timer is not None:
            self._rethread_timer.stop()
        self._rethread_timer = self.set_timer(RETHREAD_DELAY, self._rethread)

    def _rethread(self) -> None:
        self._rethread_timer = None
        view = view_for(self.state, self.folders)
        if view is not None and view.threaded and not self.searching:
            self._thread_serial += 1
            self._read_threads(view, None)

    @on(FolderTree.Chosen)
    def _folder_chosen(self, event: FolderTree.Chosen) -> None:
        self.choose(event.choice)
        self.remove_class("-show-folders")  # a pane shown by `c` for the choice goes again
        self.message_list.focus()

    def choose(self, choice: FolderChoice) -> None:
        if choice.search is not None:
            self.show_saved_search(SavedSearch(choice.title, choice.search))
            return
        self.close_search()
        self.state = replace(self.state, choice=choice, toggled=frozenset())
        self.show_list(keep_id=None)

    # ---- list events ------------------------------------------------------------------------

    @on(MessageList.Highlighted, "#messages")
    def _highlighted(self, event: MessageList.Highlighted) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
        # Without a preview pane, the message under the resting cursor is rendered ahead
        # all the same: Enter then draws its body in the key's first frame.
        self._preview_timer = self.set_timer(
            PREVIEW_DELAY, self._load_preview if self.preview_visible else self._render_ahead)

    def _render_ahead(self) -> None:
        from tui_mail.ui.widgets.message_view import rendered_bodies

        summary = self.message_list.selected
        mode = self.preview.default_mode
        if summary is not None and rendered_bodies(self.app).get(summary.id, mode) is None:
            self._render_ahead_worker(summary, mode)

    @work(thread=True, exclusive=True, exit_on_error=False, group="render-ahead",
          description="render the selected message ahead")
    def _render_ahead_worker(self, summary: MessageSummary, mode: str) -> None:
        """Parse and render a cached body (one not downloaded yet is left for Enter)."""
        from tui_mail.ui.widgets.message_view import (
            authserv_id_of,
            keeps_decrypted_of,
            remember_opened,
            render_shown,
        )

        try:
            with self.tui.open_reader() as store:
                raw = store.raw_message(summary.id)
            if raw is None:
                return
            shown = render_shown(summary, raw, mode,
                                 authserv_id=authserv_id_of(self.app, summary.account),
                                 keeps_decrypted=keeps_decrypted_of(self.app, summary.account))
            remember_opened(self.app, shown)
        except Exception:  # noqa: BLE001 - Enter renders it again and says what is wrong
            return
        self.app.call_from_thread(self._rendered_ahead, shown, raw)

    def _rendered_ahead(self, shown: object, raw: bytes) -> None:
        from tui_mail.ui.widgets.message_view import Shown, rendered_bodies

        if isinstance(shown, Shown):
            rendered_bodies(self.app).put(shown, raw)

    def _load_preview(self) -> None:
        summary = self.message_list.selected
        current = self.preview.summary
        if summary is None:
            self.preview.show(None, None)
        elif current is None or current.id != summary.id or current.flags != summary.flags:
            self.preview.show(summary)
            self.tui.prefetch_around(self.message_list)

    def _highlight(self, terms: Sequence[str]) -> None:
        """Mark the words searched for in the results and in the preview of one."""
        self.message_list.highlight(terms)
        self.preview.set_highlight(self.message_list.highlight_pattern)

    @on(MessageList.Opened, "#messages")
    def _opened(self, event: MessageList.Opened) -> None:
        """Open the message screen, composed once and kept (installed) between openings."""
        screen = self._message_screen
        if screen is None:
            screen = self._make_message_screen()
        else:
            screen.reopen()
        self.app.push_screen(screen)

    def _make_message_screen(self) -> MessageScreen:
        from tui_mail.ui.screens.message import MessageScreen

        screen = self._message_screen = MessageScreen(self.message_list)
        self.app.install_screen(screen, name=f"message-of-{id(self)}")
        return screen

    def _prepare_message_screen(self) -> None:
        """Compose and mount the message screen while nothing waits (a moment after the
        first paint), so that the first Enter costs what the later ones do: composing it
        then was 40-60 ms of CPU of that key. (Textual mounts a screen when it is first
        pushed; `_get_screen` is the step of `push_screen` that does it.)"""
        if self._message_screen is None and self.is_current:
            self.app._get_screen(self._make_message_screen())

    # ---- actions ----------------------------------------------------------------------------

    def _close_overlay(self) -> bool:
        """Close the search, or the folder pane shown over the list in a narrow window;
        False when neither is open."""
        if self.searching:
            self.close_search()
        elif self.has_class("-show-folders"):
            self.remove_class("-show-folders")
            self.message_list.focus()
        else:
            return False
        return True

    def action_close_search(self) -> None:
        """Escape: close the search (from the results too) or the narrow folder pane;
        otherwise let Escape through."""
        if not self._close_overlay():
            raise SkipAction()

    async def action_back_or_quit(self) -> None:
        if not self._close_overlay():
            await self.tui.action_quit()  # a draft kept, a message being sent finished

    def _panes(self) -> list[Widget]:
        panes: list[Widget] = []
        for widget in (self.query_one(FolderTree), self.message_list, self.preview):
            if widget.display and widget.parent is not None and widget.parent.display \
                    and widget.styles.display != "none" and widget.region.width > 0:
                panes.append(widget)
        return panes or [self.message_list]

    def _cycle(self, step: int) -> None:
        panes = self._panes()
        focused = self.focused
        index = next((i for i, p in enumerate(panes) if focused is p or (
            focused is not None and p in focused.ancestors)), -1)
        panes[(index + step) % len(panes)].focus()

    def action_next_pane(self) -> None:
        self._cycle(1)

    def action_previous_pane(self) -> None:
        self._cycle(-1)

    def action_toggle_folders(self) -> None:
        tree = self.query_one(FolderTree)
        if self.has_class("-narrow"):
            self.toggle_class("-show-folders")
            if self.has_class("-show-folders"):
                tree.focus()
            else:
                self.message_list.focus()
            return
        if self.has_class("-medium") and self.has_class("-preview-right"):
            # The preview took the folder pane's place: `c` shows it beside the list again.
            self.toggle_class("-show-folders")
            (tree if self.has_class("-show-folders") else self.message_list).focus()
            return
        if tree.has_focus:
            self.add_class("-hide-folders")
            self.message_list.focus()
        else:
            self.remove_class("-hide-folders")
            tree.focus()

    def action_toggle_preview(self) -> None:
        """v: the preview beside the list, below it, off, and round again. A place the window
        has no room for is skipped; where the preview is now is said, and that nothing fits
        when nothing does."""
        width, height = self.app.size
        order = ("right", "below", "off")
        start = order.index(self._preview_layout)
        nxt = next(layout for layout in (*order[start + 1:], *order[:start + 1])
                   if preview_layout(layout, width, height) == layout)
        if nxt == self._preview_layout == "off":
            self.tui.notify(f"No room for the preview in {width}x{height}: it needs "
                            f"{RIGHT_FROM} columns (beside the list) or {BELOW_FROM} lines "
                            "(below it).", title="Preview", severity="warning", timeout=4)
            return
        self._preview_choice = nxt
        self._apply_layout(width, height)
        self.tui.notify(f"Preview {PREVIEW_WORDS[nxt]}.", title="Preview", timeout=2)

    def _not_while_searching(self, what: str) -> bool:
        """Search results are listed newest first, as found: say so rather than change the
        folder's view unseen."""
        if self.searching:
            self.notify(f"{what} apply to the folder's list: close the search first (Escape).")
        return self.searching

    def action_toggle_threads(self) -> None:
        if self._not_while_searching("Threads"):
            return
        self.state = replace(self.state, threaded=not self.state.threaded)
        self._reshow()

    def action_toggle_fold(self) -> None:
        """Fold the thread under the cursor to its first message, or unfold it."""
        source = self.message_list.source
        selected = self.message_list.selected
        if self._not_while_searching("Threads"):
            return
        if not isinstance(source, ThreadRows) or selected is None:
            self._not_threaded()
            return
        key = source.thread_key(selected.id)
        if key is None:
            return
        self.state = replace(self.state, toggled=self.state.toggled ^ {key})
        self.show_list(keep_id=key)

    def action_toggle_fold_all(self) -> None:
        """Fold every thread, or unfold every thread."""
        source = self.message_list.source
        selected = self.message_list.selected
        if self._not_while_searching("Threads"):
            return
        if not isinstance(source, ThreadRows):
            self._not_threaded()
            return
        key = source.thread_key(selected.id) if selected is not None else None
        self.state = replace(self.state, fold_all=not self.state.fold_all, toggled=frozenset())
        self.show_list(keep_id=key if self.state.fold_all else
                       selected.id if selected is not None else None)

    def _not_threaded(self) -> None:
        if self.searching or not self.state.threaded:
            self.notify("Threads fold in the threaded view: press T first.")
        else:
            self.notify("The threads are still being read.")

    def action_cycle_sort(self) -> None:
        if self._not_while_searching("Sorting and threads"):
            return
        self.state = self.state.next_sort()
        self._reshow()

    def _reshow(self) -> None:
        if self.searching:
            return
        selected = self.message_list.selected
        self.show_list(keep_id=selected.id if selected else None)

    def action_toggle_tag(self) -> None:
        """Tag or untag the cursor row and move on to the next one (as mutt does)."""
        summary = self.message_list.selected
        if summary is None:
            return
        self.message_list.toggle_tag(summary)
        self.message_list.action_cursor_down()
        self.update_note()

    def _reread_results(self, removed: AbstractSet[int] = frozenset(), restored: Sequence[int] = (),
                        place: tuple[str, str] | None = None) -> None:
        """Read the search results again from the cache (flags changed, messages went or came
        back), only those of `place` (account, folder) when given; the cursor stays put."""
        message_list = self.message_list
        source = message_list.source
        if not isinstance(source, ListRows):
            return
        listed = [row for row in source.rows(0, source.count()) if row.id not in removed]
        wanted = [row.id for row in listed
                  if place is None or (row.account, row.folder) == place] + list(restored)
        fresh = self.tui.store.listing.summaries(wanted) if wanted else {}  # gone ones are left out
        reread = set(wanted)
        rows = [fresh.get(row.id) if row.id in reread else row for row in listed]
        rows += [fresh.get(i) for i in restored]
        unique = {row.id: row for row in rows if row is not None}
        selected = message_list.selected
        message_list.set_source(ListRows(list(unique.values())),
                                keep_id=selected.id if selected else None)

    def after_action(self, removed: set[int], restored: Sequence[int] = ()) -> None:
        """Re-read the cache after an action: counts, the list (cursor on the next message
        after a move or delete, on the first restored one after an undo); tags are cleared."""
        message_list = self.message_list
        message_list.clear_tags()
        self.reload_folders()
        if isinstance(message_list.source, ListRows):  # search results: re-read those rows
            self._reread_results(removed, restored)
        else:
            source = message_list.source
            if isinstance(source, ThreadRows) and removed:  # gone from the order at once
                message_list.set_source(ThreadRows(source.store, source.view,
                                                   source.order.without(removed),
                                                   self.state.fold_all, self.state.toggled),
                                        keep_id=self._kept_after(removed), threaded=True)
            else:
                message_list.reload_after_removal(removed)
            if removed or restored:
                self.schedule_rethread()
        if restored:
            message_list.select_id(restored[0])
        self.update_note()
        if self.preview_visible:
            self._load_preview()

    def _kept_after(self, removed: set[int]) -> int | None:
        """The message the cursor goes to when the selected one is removed: the next one that
        stays, else the one before (as `MessageList.reload_after_removal` does)."""
        message_list = self.message_list
        below = range(message_list.cursor, message_list.row_count)
        above = range(message_list.cursor - 1, -1, -1)  # nothing stays below: the one above
        for row in (*below, *above):
            summary = message_list.summary_at(row)
            if summary is not None and summary.id not in removed:
                return summary.id
        return None

    def action_next_unread(self) -> None:
        self.message_list.go_to_unread(forward=True)

    def action_previous_unread(self) -> None:
        self.message_list.go_to_unread(forward=False)

    # ---- search -----------------------------------------------------------------------------

    def action_search(self) -> None:
        bar = self.query_one(SearchBar)
        if bar.has_focus_within:  # a priority binding: `/` typed into the query is text
            raise SkipAction()
        self.tui.warm_reader()
        self.searching = True
        self.add_class("-searching")
        self.query_one(SearchBar).open()

    def show_saved_search(self, search: SavedSearch) -> None:
        """List what a saved search finds in every account: the search bar opens with its
        query (to refine, or to close with Escape as any search) and scope "all"."""
        bar = self.query_one(SearchBar)
        if self._scope_before is None:
            self._scope_before = bar.scope
        self.tui.warm_reader()
        self.saved_search = search
        self.searching = True
        self.add_class("-searching")
        bar.show_query(search.query, SearchScope.ALL)
        self.message_list.focus()

    def close_search(self) -> None:
        if not self.searching:
            return
        self.saved_search = None
        if self._scope_before is not None:  # the bar's scope goes back to the user's own
            bar = self.query_one(SearchBar)
            bar.clear()  # first: the scope's change then searches for nothing
            bar.scope, self._scope_before = self._scope_before, None
        self.searching = False
        self._highlight(())
        self.remove_class("-searching")
        self._search_serial += 1
        selected = self.message_list.selected
        self.show_list(keep_id=selected.id if selected else None)
        self.message_list.focus()

    @on(SearchBar.Closed)
    def _search_closed(self) -> None:
        self.close_search()

    @on(SearchBar.ToResults)
    def _to_results(self) -> None:
        self.message_list.focus()

    @on(SearchBar.QueryChanged)
    def _query_changed(self, event: SearchBar.QueryChanged) -> None:
        if not self.searching:
            return
        saved = self.saved_search
        if saved is not None and (event.query, event.scope) != (saved.query, SearchScope.ALL):
            self.saved_search = None  # refined: no longer the saved search
        self.search_for(event.query, event.scope)
