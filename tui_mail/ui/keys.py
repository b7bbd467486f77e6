"""One registry of user actions: it feeds key bindings, the command palette and the `?` help.

Each `KeyAction` has an id (the `Binding.id`, and the name used in the config's `[keys]`
table), its default keys, the Textual action it runs and the scope whose widget or screen binds
it. Widgets and screens take their `BINDINGS` from `bindings(scope)`, so a key is declared in
exactly one place; the user's `[keys]` table is applied with `App.set_keymap`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.keys import _normalize_key_list

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode
    from textual.screen import Screen


class Scope(enum.StrEnum):
    """Where a binding lives: the widget or screen whose BINDINGS hold it."""

    APP = "app"
    MAILBOX = "mailbox"  # the main screen (folders, list, preview)
    LIST = "list"  # the message list widget
    FOLDERS = "folders"  # the folder pane
    MESSAGE = "message"  # the message screen
    VIEW = "view"  # the message view (message screen body and preview pane)
    SEARCH = "search"  # the search bar
    COMPOSER = "composer"  # the composer screen
    OUTBOX = "outbox"  # the outbox screen
    KEYS = "keys"  # the key list


@dataclass(frozen=True)
class KeyAction:
    """One thing a user can do, with its default keys."""

    id: str
    keys: str  # comma-separated Textual key names
    action: str  # Textual action (without namespace), run on the binding's node
    description: str  # short, for the footer and the palette
    scope: Scope
    show: bool = True  # shown in the footer
    help: str = ""  # longer text for the palette and `?`
    key_display: str | None = None
    priority: bool = False  # checked before the focused widget (which may be a text field)
    # Palette only: one entry per account that the app's method of this name lists, with
    # `{account}` in the description naming it and the account's name passed to the action.
    per_account: str = ""


def _a(id_: str, keys: str, action: str, description: str, scope: Scope, *,
       show: bool = True, help: str = "", key_display: str | None = None,
       priority: bool = False, per_account: str = "") -> KeyAction:
    return KeyAction(id_, keys, action, description, scope, show, help or description, key_display,
                     priority, per_account)


def _message_actions(scope: Scope, prefix: str) -> tuple[KeyAction, ...]:
    """What can be done to messages: the same keys in the list and in the viewer."""
    return (
        _a(f"{prefix}.reply", "r", "app.reply", "Reply", scope, help="Reply to the sender"),
        _a(f"{prefix}.reply_all", "g", "app.reply_all", "Reply all", scope, show=False,
           help="Reply to the sender and every recipient (group reply)"),
        _a(f"{prefix}.reply_list", "L", "app.reply_list", "Reply to list", scope, show=False,
           help="Reply to the mailing list the message came through (its List-Post address)"
           " and to nobody else"),
        # No key, as in mutt and aerc (`:unsubscribe`): a thing done seldom, from the command
        # palette (ctrl+p), on the list or in the viewer. It always asks first.
        _a(f"{prefix}.unsubscribe", "", "app.unsubscribe", "Unsubscribe from the list", scope,
           show=False, help="Leave the mailing list the message came through (List-Unsubscribe:"
           " one-click, a mail, or its web page), after saying which and asking"),
        _a(f"{prefix}.answer_invite", "i", "app.answer_invite", "Answer invitation", scope,
           show=False, help="Accept, tentatively accept or decline the calendar invitation"
           " shown: the answer (an iTIP REPLY) goes to the organizer"),
        _a(f"{prefix}.forward", "f", "app.forward", "Forward", scope, show=False,
           help="Forward the message inline"),
        # E (enclose) as well as alt+f: a terminal or tmux set to send Meta as Escape, or one
        # that keeps alt for itself, never delivers alt+f.
        _a(f"{prefix}.forward_attachment", "E,alt+f", "app.forward_attachment",
           "Forward as attachment", scope, show=False,
           help="Forward the whole message as an attachment (E: enclose)"),
        _a(f"{prefix}.toggle_read", "U", "toggle_read", "Read/unread", scope, show=False,
           help="Mark the message read, or unread"),
        _a(f"{prefix}.toggle_flag", "F", "toggle_flag", "Flag", scope, show=False,
           help="Flag or unflag the message"),
        _a(f"{prefix}.delete", "d", "delete", "Delete", scope,
           help="Move the message to Trash (in Trash, delete it for good after asking)"),
        _a(f"{prefix}.archive", "A", "archive", "Archive", scope, show=False,
           help="Move the message to the account's archive folder"),
        _a(f"{prefix}.move", "s", "move", "Move", scope, show=False,
           help="Move the message to a folder chosen by name"),
        _a(f"{prefix}.copy", "C", "copy", "Copy", scope, show=False,
           help="Copy the message to a folder chosen by name"),
        _a(f"{prefix}.pipe", "vertical_line", "pipe", "Pipe", scope, show=False,
           help="Pipe the message (its raw source; tagged ones one after another) to a"
           " command typed then (run by sh, with the terminal handed over)"),
        # No key (mutt's pipe_decode is a setting): from the palette.
        _a(f"{prefix}.pipe_text", "", "pipe_text", "Pipe the text", scope, show=False,
           help="Pipe the message as the reader shows it (headers and decoded text, HTML"
           " rendered) to a command typed then"),
        _a(f"{prefix}.save_eml", "w", "save_eml", "Save .eml", scope, show=False,
           help="Save the message as an .eml file (tagged ones: a file each, in a folder)"),
        _a(f"{prefix}.append_mbox", "W", "append_mbox", "Append to mbox", scope, show=False,
           help="Append the message (or the tagged ones) to an mbox file"),
        _a(f"{prefix}.print", "P", "print_message", "Print", scope, show=False,
           help="Print the message as shown (headers and text) with ui.print_command"),
        _a(f"{prefix}.mark_thread_read", "ctrl+r", "mark_thread_read", "Thread read", scope,
           show=False, help="Mark every message of the thread (in this folder) read"),
    )


REGISTRY: tuple[KeyAction, ...] = (
    _a("app.help", "question_mark,f1", "help", "Help", Scope.APP,
       help="Show the keys in force (F1 also works where ? is typed as text)"),
    # Priority: it acts in the forms too (setup, composer), which shut the app's other keys out.
    _a("app.quit", "ctrl+q", "quit", "Quit", Scope.APP, show=False, priority=True,
       help="Quit tui-mail"),
    _a("app.sync", "dollar_sign", "sync", "Sync", Scope.APP, show=False,
       help="Sync every account now (mail is read from the cache meanwhile)"),
    _a("app.compose", "m", "compose", "Compose", Scope.APP, help="Write a new message"),
    _a("app.drafts", "D", "drafts", "Drafts", Scope.APP, show=False,
       help="Reopen a saved draft"),
    _a("app.outbox", "O", "outbox", "Outbox", Scope.APP, show=False,
       help="Show the outbox: queued and failed messages, retry or edit them"),
    _a("app.keys", "", "keys", "Keys", Scope.APP, show=False,
       help="List your OpenPGP keys and those learned by Autocrypt, with fingerprints"),
    _a("app.autocrypt_setup", "", "autocrypt_setup",
       "Send an Autocrypt Setup Message ({account})", Scope.APP, show=False,
       per_account="autocrypt_account_names",
       help="Send your secret key to yourself, encrypted with a Setup Code shown once, for"
       " your other mail program or device to take over (Autocrypt)"),
    _a("app.add_account", "", "add_account", "Add account", Scope.APP, show=False,
       help="Set up a new mail account"),
    # The title is named in tui_mail.oauth2.tokens.how_to_sign_in (the sign-in-needed error).
    _a("app.sign_in", "", "sign_in", "Sign in to {account} (OAuth2)", Scope.APP, show=False,
       per_account="oauth2_account_names",
       help="Sign in again with the account's identity provider (when the sign-in was "
       "revoked or has expired); the account then syncs"),
    _a("mailbox.quit", "q", "back_or_quit", "Quit", Scope.MAILBOX,
       help="Close the search, or quit tui-mail"),
    _a("mailbox.close_search", "escape", "close_search", "Close search", Scope.MAILBOX,
       show=False, help="Close the search (also from its results), or the folder pane"),
    # Priority: handled as it arrives, so the keys typed right after it (queued with it) find
    # the query focused; in the query itself it is skipped (a `/` in a folder name).
    _a("mailbox.search", "slash", "search", "Search", Scope.MAILBOX, priority=True,
       help="Search the cache (from:, subject:, is:unread, ...)"),
    _a("mailbox.next_pane", "tab", "next_pane", "Next pane", Scope.MAILBOX, show=False,
       help="Move focus to the next pane"),
    _a("mailbox.previous_pane", "shift+tab", "previous_pane", "Previous pane", Scope.MAILBOX,
       show=False, help="Move focus to the previous pane"),
    _a("mailbox.folders", "c", "toggle_folders", "Folders", Scope.MAILBOX,
       help="Show or hide the folder pane and go to it"),
    _a("mailbox.preview", "v", "toggle_preview", "Preview", Scope.MAILBOX, show=False,
       help="Preview beside the list, below it, or off (in turn; what fits the window)"),
    _a("mailbox.threads", "T", "toggle_threads", "Threads", Scope.MAILBOX,
       help="Toggle the threaded view"),
    _a("mailbox.fold", "z", "toggle_fold", "Fold thread", Scope.MAILBOX, show=False,
       help="Fold the thread to its first message, or unfold it (threaded view)"),
    _a("mailbox.fold_all", "Z", "toggle_fold_all", "Fold all", Scope.MAILBOX, show=False,
       help="Fold every thread, or unfold them all (threaded view)"),
    _a("mailbox.sort", "o", "cycle_sort", "Sort", Scope.MAILBOX,
       help="Sort newest first, oldest first, by sender or by subject (in turn)"),
    *_message_actions(Scope.MAILBOX, "mailbox"),
    _a("mailbox.tag", "t,space", "toggle_tag", "Tag", Scope.MAILBOX, show=False,
       help="Tag or untag the message; actions apply to all tagged messages"),
    _a("mailbox.tag_thread", "ctrl+t", "tag_thread", "Tag thread", Scope.MAILBOX, show=False,
       help="Tag the whole thread of the message (in this folder), or untag it"),
    _a("mailbox.tag_query", "asterisk", "tag_query", "Tag by query", Scope.MAILBOX,
       show=False, help="Tag every message of the folder that matches a search query"),
    _a("mailbox.mark_all_read", "M", "mark_all_read", "Mark all read", Scope.MAILBOX,
       show=False, help="Mark every message of the folder read, or all the search results"
       " (asks first)"),
    _a("mailbox.undo", "u", "undo", "Undo", Scope.MAILBOX, show=False,
       help="Undo the last action not yet sent to the server; again, the one before"),
    _a("mailbox.next_unread", "n", "next_unread", "Next unread", Scope.MAILBOX, show=False,
       help="Go to the next unread message"),
    _a("mailbox.previous_unread", "N", "previous_unread", "Previous unread", Scope.MAILBOX,
       show=False, help="Go to the previous unread message"),
    _a("list.down", "j,down", "cursor_down", "Down", Scope.LIST, show=False),
    _a("list.up", "k,up", "cursor_up", "Up", Scope.LIST, show=False),
    _a("list.top", "home", "cursor_top", "First", Scope.LIST, show=False,
       help="Go to the first message"),
    _a("list.top_chord", "g", "chord_g", "First (g g)", Scope.LIST, show=False,
       help="Press g twice to go to the first message (a lone g replies to all)",
       key_display="g g"),
    _a("list.bottom", "G,end", "cursor_bottom", "Last", Scope.LIST, show=False,
       help="Go to the last message"),
    _a("list.page_down", "pagedown,ctrl+f", "page_down", "Page down", Scope.LIST, show=False),
    _a("list.page_up", "pageup,ctrl+b", "page_up", "Page up", Scope.LIST, show=False),
    _a("list.open", "enter", "open", "Open", Scope.LIST, help="Open the selected message"),
    _a("folders.down", "j", "cursor_down", "Down", Scope.FOLDERS, show=False,
       help="Next folder (the arrow keys work too)"),
    _a("folders.up", "k", "cursor_up", "Up", Scope.FOLDERS, show=False,
       help="Previous folder (the arrow keys work too)"),
    _a("folders.top", "home", "scroll_home", "First", Scope.FOLDERS, show=False,
       help="Go to the first folder"),
    _a("folders.top_chord", "g", "chord_g", "First (g g)", Scope.FOLDERS, show=False,
       help="Press g twice to go to the first folder", key_display="g g"),
    _a("folders.bottom", "G,end", "scroll_end", "Last", Scope.FOLDERS, show=False,
       help="Go to the last folder"),
    # Folder management runs on the mailbox screen (it asks, and tells the list what changed).
    # While the folder pane has the focus these keys shadow N (previous unread), s (move) and
    # D (drafts); d there still deletes the message under the list's cursor.
    _a("folders.new", "N,a", "screen.new_folder", "New folder", Scope.FOLDERS, show=False,
       help="Create a folder (Projects/2025 makes 2025 inside Projects); offline too"),
    _a("folders.rename", "R", "screen.rename_folder", "Rename", Scope.FOLDERS, show=False,
       help="Rename the folder under the cursor (its messages and subfolders go with it)"),
    _a("folders.delete", "D,delete", "screen.delete_folder", "Delete folder", Scope.FOLDERS,
       show=False, help="Delete the folder under the cursor and its messages (asks first)"),
    _a("folders.subscribe", "s", "screen.toggle_subscribed", "Subscribe", Scope.FOLDERS,
       show=False, help="Subscribe to the folder under the cursor, or unsubscribe; on an "
       "account, choose an unsubscribed folder to subscribe to"),
    _a("message.back", "q,escape", "back", "Back", Scope.MESSAGE, help="Back to the list"),
    _a("message.next", "J", "next_message", "Next", Scope.MESSAGE,
       help="Show the next message"),
    _a("message.next_unread", "n", "next_unread", "Next unread", Scope.MESSAGE, show=False,
       help="Show the next unread message"),
    _a("message.previous_unread", "N", "previous_unread", "Previous unread", Scope.MESSAGE,
       show=False, help="Show the previous unread message"),
    _a("message.previous", "K,p", "previous_message", "Previous", Scope.MESSAGE,
       help="Show the previous message"),
    *_message_actions(Scope.MESSAGE, "message"),
    _a("message.undo", "u", "undo", "Undo", Scope.MESSAGE, show=False,
       help="Undo the last action not yet sent to the server; again, the one before"),
    _a("message.scroll_down", "j,down", "scroll_body_down", "Scroll down", Scope.VIEW,
       show=False),
    _a("message.scroll_up", "k,up", "scroll_body_up", "Scroll up", Scope.VIEW, show=False),
    _a("message.top", "home", "scroll_body_top", "Top", Scope.VIEW, show=False,
       help="Go to the top of the message"),
    _a("message.top_chord", "g", "chord_g", "Top (g g)", Scope.VIEW, show=False,
       help="Press g twice to go to the top of the message (a lone g replies to all)",
       key_display="g g"),
    _a("message.bottom", "G,end", "scroll_body_bottom", "Bottom", Scope.VIEW, show=False,
       help="Go to the end of the message"),
    _a("message.page_down", "space", "page_body_down", "Page down", Scope.VIEW, show=False,
       help="Scroll the message down one page (the list's space tags)"),
    _a("message.page_up", "b,shift+space", "page_body_up", "Page up", Scope.VIEW, show=False,
       help="Scroll the message up one page"),
    _a("message.html", "h", "toggle_html", "HTML", Scope.VIEW,
       help="Toggle the HTML rendering of the body"),
    _a("message.raw", "R", "toggle_raw", "Raw", Scope.VIEW,
       help="Toggle the raw source of the message"),
    _a("message.whole", "e", "render_whole", "Show all", Scope.VIEW, show=False,
       help="Show the rest of a body too long to show at once (HTML over 200 KB or 10,000 "
       "tags, text over 1 MB): it is cut with a note until asked"),
    _a("message.links", "o", "links", "Links", Scope.VIEW,
       help="Choose a numbered link to open in the browser"),
    _a("message.attachments", "a", "attachments", "Attachments", Scope.VIEW,
       help="Save or open an attachment"),
    _a("search.scope", "ctrl+s", "cycle_scope", "Scope", Scope.SEARCH,
       help="Search this folder, this account or everything"),
    _a("search.close", "escape", "close", "Close", Scope.SEARCH, help="Close the search"),
    # ctrl+n: the query field (a Textual Input) binds none of it, and ctrl+s is the scope.
    _a("search.save", "ctrl+n", "screen.save_search", "Save search", Scope.SEARCH, show=False,
       help="Save the query under a name in the config's [searches]: it is listed with the"
       " folders, with its unread count"),
    _a("search.results", "down,enter", "to_results", "Results", Scope.SEARCH, show=False,
       help="Move to the search results"),
    # The composer's fields take every printable key, so its own keys are control keys that
    # outrank the focused field.
    _a("composer.send", "ctrl+t", "send", "Send", Scope.COMPOSER, priority=True,
       help="Send the message"),
    _a("composer.save", "ctrl+s", "save_draft", "Save draft", Scope.COMPOSER, priority=True,
       help="Save the draft and keep writing"),
    _a("composer.postpone", "ctrl+o", "postpone", "Postpone", Scope.COMPOSER, priority=True,
       help="Save the draft and close the composer"),
    _a("composer.editor", "ctrl+g", "external_editor", "Editor", Scope.COMPOSER, priority=True,
       help="Edit the message (fields and body) in $VISUAL or $EDITOR"),
    _a("composer.attach", "ctrl+l", "attach", "Attach", Scope.COMPOSER, priority=True,
       help="Add an attachment"),
    _a("composer.sign", "f5", "toggle_sign", "Sign", Scope.COMPOSER, priority=True, show=False,
       help="Sign the message with your OpenPGP key, or not"),
    _a("composer.encrypt", "f6", "toggle_encrypt", "Encrypt", Scope.COMPOSER, priority=True,
       show=False, help="Encrypt the message to every recipient (and you), or not"),
    _a("composer.close", "escape", "close", "Close", Scope.COMPOSER,
       help="Close the composer (asks first if something would be lost)"),
    _a("outbox.back", "q,escape", "back", "Back", Scope.OUTBOX, help="Back to the mailbox"),
    _a("outbox.retry", "r", "retry", "Retry", Scope.OUTBOX,
       help="Try to send the selected message again (one sent but not saved to Sent: "
       "only its copy)"),
    _a("outbox.edit", "e", "edit", "Edit", Scope.OUTBOX,
       help="Take the selected message back into the composer"),
    _a("outbox.delete", "d", "delete", "Delete", Scope.OUTBOX,
       help="Delete the selected message from the outbox (asks first)"),
    _a("keys.back", "q,escape", "back", "Back", Scope.KEYS, help="Back to the mailbox"),
    _a("keys.import", "i", "import", "Import", Scope.KEYS,
       help="Put the selected key learned by Autocrypt in your keyring"),
)

BY_ID: dict[str, KeyAction] = {a.id: a for a in REGISTRY}


def actions(scope: Scope) -> tuple[KeyAction, ...]:
    return tuple(a for a in REGISTRY if a.scope is scope)


def key_display(app: App[object], action_id: str) -> str:
    """The key that runs `action_id` now, as the key bar shows it (the user's [keys] table
    may have changed it)."""
    keys = getattr(app, "_keymap", {}).get(action_id) or BY_ID[action_id].keys
    return app.get_key_display(Binding(keys.split(",")[0], ""))


def bindings(scope: Scope) -> list[BindingType]:
    """The `BINDINGS` of the widget or screen that owns `scope`.

    Actions without a default key (palette only) have no binding: Textual cannot bind "".
    """
    return [
        Binding(a.keys, a.action, a.description, show=a.show, id=a.id, tooltip=a.help,
                key_display=a.key_display, priority=a.priority)
        for a in actions(scope) if a.keys
    ]


def unbound_app_actions() -> tuple[KeyAction, ...]:
    """App actions reachable from the command palette only."""
    return tuple(a for a in actions(Scope.APP) if not a.keys)


def keymap_from_config(keys: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Turn the config's `[keys]` table into a Textual keymap.

    Returns the keymap and one warning per unknown action id (naming the valid ones nearby).
    """
    import difflib

    keymap: dict[str, str] = {}
    warnings: list[str] = []
    for action_id, value in keys.items():
        if action_id not in BY_ID:
            near = difflib.get_close_matches(action_id, list(BY_ID), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            warnings.append(f"[keys] {action_id!r}: no such action{hint}")
            continue
        if not BY_ID[action_id].keys:
            warnings.append(f"[keys] {action_id!r}: has no key; run it from the command palette")
            continue
        keymap[action_id] = _normalize_key_list(value)
    return keymap, warnings


@dataclass(frozen=True)
class BoundAction:
    """A registry action as it is bound right now on a screen (after the user's keymap)."""

    action: KeyAction
    keys: tuple[str, ...]  # display forms, e.g. ("j", "↓")
    node: DOMNode


def bound_actions(screen: Screen[object]) -> list[BoundAction]:
    """The registry actions the focused chain of `screen` can run, with the keys in force.

    Reads `Screen.active_bindings`, so it shows what a key press would really do.
    """
    keys: dict[str, list[str]] = {}
    nodes: dict[str, DOMNode] = {}
    for key, active in screen.active_bindings.items():
        binding_id = active.binding.id
        if binding_id is None or binding_id not in BY_ID:
            continue
        keys.setdefault(binding_id, []).append(screen.app.get_key_display(
            Binding(key, active.binding.action)))
        nodes.setdefault(binding_id, active.node)
    return [BoundAction(a, tuple(keys[a.id]), nodes[a.id]) for a in REGISTRY if a.id in keys]


class ActionCommands(Provider):
    """Command palette entries for every registry action the current screen can run now."""

    def _entries(self) -> list[tuple[str, str, Callable[[], object]]]:
        result: list[tuple[str, str, Callable[[], object]]] = []
        for bound in bound_actions(self.screen):
            title = f"{bound.action.description} ({', '.join(bound.keys)})"
            run = partial(self.app.call_later, self.app.run_action, bound.action.action,
                          bound.node)
            result.append((title, bound.action.help, run))
        result.extend(self._keyless_entries())
        for action in unbound_app_actions():
            if not hasattr(self.app, f"action_{action.action}"):
                continue
            if action.per_account:
                names: Callable[[], list[str]] = getattr(self.app, action.per_account)
                for name in names():
                    run = partial(self.app.call_later, self.app.run_action,
                                  f"{action.action}({name!r})")
                    result.append((action.description.format(account=name), action.help, run))
                continue
            run = partial(self.app.call_later, self.app.run_action, action.action)
            result.append((action.description, action.help, run))
        return result

    def _keyless_entries(self) -> list[tuple[str, str, Callable[[], object]]]:
        """Palette-only actions of a scope the current screen binds (a keyless message
        action on the list or the viewer), run on the node that binds that scope."""
        nodes: dict[Scope, DOMNode] = {}
        for bound in bound_actions(self.screen):
            nodes.setdefault(bound.action.scope, bound.node)
        result: list[tuple[str, str, Callable[[], object]]] = []
        for action in REGISTRY:
            node = nodes.get(action.scope)
            if action.keys or action.scope is Scope.APP or node is None:
                continue
            run = partial(self.app.call_later, self.app.run_action, action.action, node)
            result.append((action.description, action.help, run))
        return result

    async def discover(self) -> Hits:
        for title, help_text, callback in self._entries():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)
