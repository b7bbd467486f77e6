"""The folder pane draws each server's namespaces as a user thinks of them: their own folders at
the top level whatever the prefix ("INBOX." on Courier), other users' and shared folders in
folded groups of their own."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets.tree import TreeNode

from tui_mail.model import Folder, FolderKind, FolderRole
from tui_mail.ui.widgets.folder_tree import FolderChoice, FolderTree


class TreeApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.chosen: list[str | None] = []

    def compose(self) -> ComposeResult:
        yield FolderTree()

    def on_folder_tree_chosen(self, message: FolderTree.Chosen) -> None:
        self.chosen.append(message.choice.folder)


def outline(node: TreeNode[FolderChoice], depth: int = 0) -> list[str]:
    """The tree as indented labels, folded groups marked with "+"."""
    lines: list[str] = []
    for child in node.children:
        fold = "+" if child.children and not child.is_expanded else ""
        lines.append("  " * depth + fold + str(child.label))
        lines.extend(outline(child, depth + 1))
    return lines


def courier(name: str, role: FolderRole = FolderRole.NONE) -> Folder:
    prefix = "" if name == "INBOX" else "INBOX."
    return Folder("work", name, role, ".", prefix=prefix)


async def test_a_courier_tree_shows_the_users_folders_at_the_top_not_under_inbox() -> None:
    folders = [courier("INBOX", FolderRole.INBOX), courier("INBOX.Sent", FolderRole.SENT),
               courier("INBOX.Work"), courier("INBOX.Work.2024"), courier("INBOX.Réunions")]
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(FolderTree)
        tree.show_folders([("work", folders)])
        await pilot.pause()
        assert outline(tree.root) == [
            "▣ All inboxes",
            "work",
            "  ▣ INBOX",
            "  ➤ Sent",
            "  ▫ Réunions",
            "  ▫ Work",
            "    ▫ 2024",
        ]


async def test_other_users_and_shared_folders_are_folded_groups_never_roles() -> None:
    def cyrus(name: str, kind: FolderKind = FolderKind.PERSONAL, prefix: str = "",
              role: FolderRole = FolderRole.NONE) -> Folder:
        return Folder("work", name, role, "/", kind=kind, prefix=prefix)

    folders = [
        cyrus("INBOX", role=FolderRole.INBOX),
        cyrus("Trash", role=FolderRole.TRASH),
        cyrus("Other Users/bob", FolderKind.OTHER_USERS, "Other Users/"),
        cyrus("Other Users/bob/Trash", FolderKind.OTHER_USERS, "Other Users/"),
        cyrus("Shared Folders/Sent", FolderKind.SHARED, "Shared Folders/"),
    ]
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(FolderTree)
        tree.show_folders([("work", folders)])
        await pilot.pause()
        assert outline(tree.root) == [
            "▣ All inboxes",
            "work",
            "  ▣ INBOX",
            "  ✗ Trash",
            "  +Other users",
            "    ▫ bob",
            "      ▫ Trash",
            "  +Shared folders",
            "    ▫ Sent",
        ]
        # The group holding the folder being shown opens by itself.
        tree.show_folders([("work", folders)],
                          FolderChoice("work", "Shared Folders/Sent", "work: Sent"))
        await pilot.pause()
        assert "  Shared folders" in outline(tree.root)


async def test_another_users_folders_sit_under_their_name_even_when_their_inbox_is_not_shared(
        ) -> None:
    def other(name: str) -> Folder:
        return Folder("work", name, FolderRole.NONE, ".", kind=FolderKind.OTHER_USERS,
                      prefix="user.")

    folders = [Folder("work", "INBOX", FolderRole.INBOX, "."), other("user.bob.Trash"),
               other("user.bob.Projects"), other("user.bob.Projects.2025")]
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(FolderTree)
        tree.show_folders([("work", folders)])
        await pilot.pause()
        assert outline(tree.root) == [
            "▣ All inboxes",
            "work",
            "  ▣ INBOX",
            "  +Other users",
            "    bob",
            "      ▫ Projects",
            "        ▫ 2025",
            "      ▫ Trash",
        ]


async def test_enter_unfolds_a_group_and_opens_a_folder_without_folding_its_subfolders() -> None:
    folders = [courier("INBOX", FolderRole.INBOX), courier("INBOX.Work"),
               courier("INBOX.Work.2024"),
               Folder("work", "#shared.news", FolderRole.NONE, ".", kind=FolderKind.SHARED,
                      prefix="#shared.")]
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(FolderTree)
        tree.show_folders([("work", folders)])
        await pilot.pause()
        tree.focus()
        tree.move_cursor(tree.choice_node(FolderChoice("work", "INBOX.Work", "")))
        await pilot.press("enter")
        await pilot.pause()
        assert app.chosen == ["INBOX.Work"]
        assert "    ▫ 2024" in outline(tree.root)  # still unfolded
        group = next(n for n in tree.root.children[1].children if str(n.label) ==
                     "Shared folders")
        tree.move_cursor(group)
        await pilot.press("enter")
        await pilot.pause()
        assert group.is_expanded and "    ▫ news" in outline(tree.root)


async def test_an_unfolded_group_and_the_cursor_on_it_survive_a_redraw() -> None:
    """A sync redraws the tree after every batch: what the user unfolded stays unfolded,
    what they folded stays folded, and the cursor stays where it was."""
    folders = [courier("INBOX", FolderRole.INBOX), courier("INBOX.Work"),
               courier("INBOX.Work.2024"),
               Folder("work", "#shared.news", FolderRole.NONE, ".", kind=FolderKind.SHARED,
                      prefix="#shared.")]
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(FolderTree)
        tree.show_folders([("work", folders)])
        await pilot.pause()
        group = next(n for n in tree.root.children[1].children
                     if str(n.label) == "Shared folders")
        group.expand()
        work = tree.choice_node(FolderChoice("work", "INBOX.Work", ""))
        assert work is not None
        work.collapse()
        await pilot.pause()
        tree.move_cursor(group)
        await pilot.pause()
        assert tree.cursor_node is group
        tree.show_folders([("work", folders)])  # new counts: the tree is built again
        await pilot.pause()
        assert "  Shared folders" in outline(tree.root)  # unfolded: no "+"
        assert "  +▫ Work" in outline(tree.root)  # folded by the user, folded still
        assert tree.cursor_node is not None and str(tree.cursor_node.label) == "Shared folders"
