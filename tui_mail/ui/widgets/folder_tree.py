"""The folder pane: a unified "All inboxes" view, the saved searches (`[searches]` in the
config, each with its unread count), then each account with its folders.

Special folders come first in a fixed order (Inbox, Drafts, Sent, Archive, Junk, Trash) with a
marker, the rest follow by name, nested by the server's delimiter. Folder names come from the
server: they are sanitized and drawn as literal text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tui_mail.config import SavedSearch
from tui_mail.model import Folder, FolderKind, FolderRole
from tui_mail.ui.keys import Scope, bindings
from tui_mail.ui.widgets.chord import TopChord
from tui_mail.ui.widgets.text import sanitize_line

ROLE_ORDER: dict[FolderRole, int] = {
    FolderRole.INBOX: 0,
    FolderRole.DRAFTS: 1,
    FolderRole.SENT: 2,
    FolderRole.ARCHIVE: 3,
    FolderRole.JUNK: 4,
    FolderRole.TRASH: 5,
    FolderRole.NONE: 6,
}
ROLE_ICONS: dict[FolderRole, str] = {
    FolderRole.INBOX: "▣",
    FolderRole.DRAFTS: "✎",
    FolderRole.SENT: "➤",
    FolderRole.ARCHIVE: "▤",
    FolderRole.JUNK: "⚠",
    FolderRole.TRASH: "✗",
    FolderRole.NONE: "▫",
}
SEARCH_ICON = "⌕"


@dataclass(frozen=True)
class FolderChoice:
    """What the list should show: one folder, every account's inbox (`account` None), or the
    results of a saved search (`search`, its query; `title` is its name)."""

    account: str | None
    folder: str | None
    title: str
    search: str | None = None

    @property
    def unified(self) -> bool:
        return self.account is None and self.search is None


ALL_INBOXES = FolderChoice(None, None, "All inboxes")


NodeKey = tuple[str, str | None, str | None]
"""("account", name, None), ("group", account, kind), ("heading", account, name),
("folder", account, folder name), ("searches", None, None) or ("search", name, None)."""
SEARCHES_KEY: NodeKey = ("searches", None, None)

GROUP_TITLES: dict[FolderKind, str] = {
    FolderKind.OTHER_USERS: "Other users",
    FolderKind.SHARED: "Shared folders",
}


def _parent_of(folder: Folder, by_name: dict[str, Folder]) -> str | None:
    """The folder `folder` is drawn under: the one named by its path minus the last part, in
    the same namespace; None (top level) for a role folder or when that folder is not listed."""
    if folder.role is not FolderRole.NONE or not folder.delimiter:
        return None
    path = folder.path
    if folder.delimiter not in path:
        return None
    parent = folder.name[: len(folder.name) - len(path)] + path.rsplit(folder.delimiter, 1)[0]
    return parent if parent in by_name else None


def sort_folders(folders: Iterable[Folder]) -> list[Folder]:
    """Special folders in the usual order, then the rest by name (case-insensitive)."""
    return sorted(folders, key=lambda f: (ROLE_ORDER[f.role], f.name.casefold()))


def folder_label(name: str, role: FolderRole, unread: int, count_style: Style | str = "bold",
                 *, dim: bool = False) -> Text:
    """A folder's line: its role's mark, its name (bold with unread mail), the unread count;
    all `dim` for a folder the user is not subscribed to."""
    label = Text(no_wrap=True, end="")
    label.append(f"{ROLE_ICONS[role]} ", style="dim" if role is FolderRole.NONE else "")
    label.append(sanitize_line(name), style="bold" if unread else "")
    if unread:
        label.append(f" {unread}", style=count_style)
    if dim:
        label.stylize("dim")
    return label


def search_label(name: str, unread: int | None, count_style: Style | str = "bold") -> Text:
    """A saved search's line: its mark, its name (bold with unread mail), the unread count
    (none until it has been counted)."""
    label = Text(no_wrap=True, end="")
    label.append(f"{SEARCH_ICON} ", style="dim")
    label.append(sanitize_line(name), style="bold" if unread else "")
    if unread:
        label.append(f" {unread}", style=count_style)
    return label


class FolderTree(Tree[FolderChoice]):
    """Accounts and folders; posts `FolderTree.Chosen` when a folder is selected."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = bindings(
        Scope.FOLDERS)

    COMPONENT_CLASSES: ClassVar[set[str]] = {"folder-tree--count"}

    DEFAULT_CSS = """
    FolderTree {
        background: $surface;
        padding: 0 1 0 0;
        & > .folder-tree--count { color: $text-accent; text-style: bold; }
    }
    """

    class Chosen(Message):
        def __init__(self, choice: FolderChoice) -> None:
            super().__init__()
            self.choice = choice

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(Text("Mail"), id=id, classes=classes)
        self.show_root = False
        self.guide_depth = 2
        self.auto_expand = False  # Enter opens a folder; it does not fold its subfolders away
        self._folder_nodes: dict[tuple[str | None, str | None], TreeNode[FolderChoice]] = {}
        # Nodes that are not folders (accounts, "Other users", an owner's name), by a key that
        # survives a rebuild: where the cursor was, and what the user folded or unfolded.
        self._headings: dict[NodeKey, TreeNode[FolderChoice]] = {}
        self._expanded: dict[NodeKey, bool] = {}
        self._shown: tuple[Sequence[tuple[str, Sequence[Folder]]], FolderChoice | None] | None = None
        self._searches: Sequence[SavedSearch] = ()
        self._search_nodes: dict[str, TreeNode[FolderChoice]] = {}
        self._search_counts: dict[str, int | None] = {}  # name -> unread, as last counted
        self._count_style: Style | None = None
        self._chord = TopChord(self, "folders.top_chord", self.action_scroll_home)

    def on_key(self, event: events.Key) -> None:
        self._chord.key_pressed(event.key)

    def action_chord_g(self) -> None:
        """`g g` goes to the first folder (a lone `g` does nothing here)."""
        self._chord.press()

    def process_label(self, label: str | Text) -> Text:
        # Never parse a string label as markup: folder names come from servers.
        text = Text(sanitize_line(label), no_wrap=True) if isinstance(label, str) else label
        return text

    def show_folders(self, accounts: Sequence[tuple[str, Sequence[Folder]]],
                     selected: FolderChoice | None = None,
                     searches: Sequence[SavedSearch] | None = None) -> None:
        """Rebuild the tree from `(account name, folders)` pairs, and the saved `searches`
        (None: those shown before) with the counts last given to `show_search_counts`. The
        cursor stays on the node it was on (counts change while the user browses the tree);
        on a first build it goes to `selected`."""
        self._shown = (accounts, selected)
        if searches is not None:
            self._searches = tuple(searches)
        was_on = self._cursor_key()
        self._remember_folding()
        count_style = self.get_component_rich_style("folder-tree--count", partial=True)
        self._count_style = count_style
        self.clear()
        self._folder_nodes.clear()
        self._search_nodes.clear()
        self._headings.clear()
        inbox_unread = sum(f.unread for _, folders in accounts for f in folders
                           if f.role is FolderRole.INBOX)
        all_node = self.root.add_leaf(
            folder_label(ALL_INBOXES.title, FolderRole.INBOX, inbox_unread, count_style),
            ALL_INBOXES)
        self._folder_nodes[(None, None)] = all_node
        self._add_searches(count_style)
        for account, folders in accounts:
            account_label = Text(sanitize_line(account), style="bold", no_wrap=True)
            account_node = self._heading(self.root, ("account", account, None), account_label,
                                         True)
            self._add_folders(account_node, account, sort_folders(folders), count_style)
        target: TreeNode[FolderChoice] | None = None
        if was_on is not None and was_on[0] == "folder":
            target = self._folder_nodes.get((was_on[1], was_on[2]))
        elif was_on is not None and was_on[0] == "search":
            target = self._search_nodes.get(str(was_on[1]))
        elif was_on is not None:
            target = self._headings.get(was_on)
        if target is None and selected is not None:
            target = self._folder_nodes.get((selected.account, selected.folder))
        self.place_cursor(target or all_node)

    def place_cursor(self, node: TreeNode[FolderChoice]) -> None:
        """Move the cursor to `node`, also right after the tree was rebuilt: a new node has no
        line until the tree is laid out, which setting `cursor_line` does."""
        self.cursor_line = 0
        self.move_cursor(node)

    def _cursor_key(self) -> NodeKey | None:
        node = self.cursor_node
        if node is None or node is self.root:
            return None
        if node.data is None:
            return next((key for key, heading in self._headings.items() if heading is node),
                        None)
        if node.data.search is not None:
            return ("search", node.data.title, None)
        return ("folder", node.data.account, node.data.folder)

    def _remember_folding(self) -> None:
        """What is folded now, to be drawn so again after a rebuild (a sync redraws the tree
        after each batch: an unfolded "Other users" must stay open)."""
        for key, node in self._headings.items():
            self._expanded[key] = node.is_expanded
        for (account, name), node in self._folder_nodes.items():
            if node.allow_expand:
                self._expanded[("folder", account, name)] = node.is_expanded

    def _heading(self, under: TreeNode[FolderChoice], key: NodeKey, label: Text,
                 expand: bool, *, force: bool = False) -> TreeNode[FolderChoice]:
        """A node that is not a folder; unfolded as the user left it (`expand` the first
        time), and always when `force` (it holds the folder being shown)."""
        node = under.add(label, expand=force or self._expanded.get(key, expand))
        self._headings[key] = node
        return node

    def _add_searches(self, count_style: Style) -> None:
        """The "Searches" heading and a line per saved search, in the config's order."""
        if not self._searches:
            return
        heading = self._heading(self.root, SEARCHES_KEY,
                                Text("Searches", style="bold", no_wrap=True), True)
        for search in self._searches:
            choice = FolderChoice(None, None, search.name, search=search.query)
            self._search_nodes[search.name] = heading.add_leaf(
                search_label(search.name, self._search_counts.get(search.name), count_style),
                choice)

    def show_search_counts(self, counts: dict[str, int | None]) -> None:
        """The saved searches' unread counts, counted in a worker (`None`: not known): their
        lines are redrawn in place, the tree is not rebuilt."""
        self._search_counts = dict(counts)
        style = self._count_style or "bold"
        for name, node in self._search_nodes.items():
            node.set_label(search_label(name, counts.get(name), style))

    def notify_style_update(self) -> None:
        """The theme changed: the counts' colour is baked into the labels, so draw them again."""
        super().notify_style_update()
        if self._shown is not None and self.is_mounted:
            # The component's own style is updated after this call: compare once it is.
            self.call_after_refresh(self._restyle_counts)

    def _restyle_counts(self) -> None:
        if self._shown is None or not self.is_mounted:
            return
        style = self.get_component_rich_style("folder-tree--count", partial=True)
        if style != self._count_style:  # also called on focus changes: only a new colour counts
            self.show_folders(*self._shown)

    def _add_folders(self, account_node: TreeNode[FolderChoice], account: str,
                     folders: Sequence[Folder], count_style: Style) -> None:
        """Add `folders` (already in display order) under the account: the user's own, nested
        by the server's delimiter inside their namespace ("INBOX.Work.2024" under "Work" on
        Courier), then other users' and shared folders in groups of their own, folded."""
        own = [f for f in folders if f.kind is FolderKind.PERSONAL]
        self._add_nested(account_node, account, own, count_style)
        selected = self._shown[1] if self._shown is not None else None
        for kind, title in GROUP_TITLES.items():
            members = [f for f in folders if f.kind is kind]
            if not members:
                continue
            holds_selection = selected is not None and selected.account == account and \
                any(f.name == selected.folder for f in members)
            group = self._heading(account_node, ("group", account, str(kind)),
                                  Text(title, style="italic", no_wrap=True), False,
                                  force=holds_selection)
            self._add_nested(group, account, members, count_style)

    def _add_nested(self, under: TreeNode[FolderChoice], account: str,
                    folders: Sequence[Folder], count_style: Style) -> None:
        """Nest `folders` by path. Outside the user's own namespace a level the server does not
        list (bob's INBOX, when bob shared only his Trash) is drawn as a plain heading, so
        "Other users" shows bob > Trash, not "bob.Trash"."""
        by_name = {f.name: f for f in folders}
        headings: dict[str, tuple[str, str | None]] = {}  # name -> (label, parent), not folders
        parents: dict[str, str | None] = {}
        for folder in folders:
            if folder.kind is FolderKind.PERSONAL or not folder.delimiter:
                parents[folder.name] = _parent_of(folder, by_name)
                continue
            parts = folder.path.split(folder.delimiter)
            names = [folder.prefix + folder.delimiter.join(parts[:depth])
                     for depth in range(1, len(parts) + 1)]
            for depth, name in enumerate(names[:-1]):
                if name not in by_name:
                    headings[name] = (parts[depth], names[depth - 1] if depth else None)
            parents[folder.name] = names[-2] if len(names) > 1 else None
        children: dict[str | None, list[Folder | str]] = {}
        for name, (_label, parent) in headings.items():
            children.setdefault(parent, []).append(name)
        for folder in folders:
            children.setdefault(parents[folder.name], []).append(folder)

        def add(node: TreeNode[FolderChoice], parent: str | None) -> None:
            for entry in children.get(parent, []):
                if isinstance(entry, str):  # a heading
                    child = self._heading(node, ("heading", account, entry),
                                          Text(sanitize_line(headings[entry][0]),
                                               style="italic", no_wrap=True), True)
                    add(child, entry)
                    continue
                folder = entry
                shown = folder.display_name if parent or folder.role is not FolderRole.NONE \
                    else folder.path
                label = folder_label(shown, folder.role, folder.unread, count_style,
                                     dim=not folder.subscribed)
                choice = FolderChoice(account, folder.name, f"{account}: {folder.path}")
                if folder.name in children:
                    child = node.add(label, choice, expand=self._expanded.get(
                        ("folder", account, folder.name), True))
                    add(child, folder.name)
                else:
                    child = node.add_leaf(label, choice)
                self._folder_nodes[(account, folder.name)] = child

        add(under, None)

    def heading_account(self, node: TreeNode[FolderChoice]) -> str | None:
        """The account whose line `node` is; None for any other node ("Searches" too)."""
        key = next((key for key, heading in self._headings.items() if heading is node), None)
        return key[1] if key is not None and key[0] == "account" else None

    def choice_node(self, choice: FolderChoice) -> TreeNode[FolderChoice] | None:
        if choice.search is not None:
            return self._search_nodes.get(choice.title)
        return self._folder_nodes.get((choice.account, choice.folder))

    def on_tree_node_selected(self, event: Tree.NodeSelected[FolderChoice]) -> None:
        """Enter on a folder shows it; on an account or a group ("Other users") it folds or
        unfolds it (Textual's own expanding is off: it would fold a folder's subfolders away
        each time the folder is opened)."""
        event.stop()
        if event.node.data is not None:
            self.post_message(self.Chosen(event.node.data))
        elif event.node.allow_expand:
            event.node.toggle()
