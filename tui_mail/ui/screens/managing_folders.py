"""The folder pane's own keys on the main screen: new folder (N, a), rename (R), delete (D,
Delete: asks with the cached count) and subscribe or unsubscribe (s).

The folder acted on is the one under the folder pane's cursor; a new folder goes into that
folder's account. The change itself is the mail service's (`FolderRequests.edit_folder`);
here the screen asks, checks what tui-mail refuses before asking (INBOX and the role folders,
other users' folders, a folder with subfolders), and follows the list to a renamed folder.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from textual.widgets.tree import TreeNode

from tui_mail.errors import CacheError
from tui_mail.model import Folder
from tui_mail.ui.app_part import ScreenPart
from tui_mail.ui.widgets.folder_tree import FolderChoice, FolderTree

if TYPE_CHECKING:
    from tui_mail.sync.service import FolderOutcome
    from tui_mail.ui.screens.sources import ListState


class ManagesFolders(ScreenPart):
    """Mixin for `MailboxScreen` (which provides `folders`, `state`, `choose` and
    `reload_folders`)."""

    folders: dict[tuple[str, str], Folder]
    state: ListState

    if TYPE_CHECKING:  # MailboxScreen's
        def reload_folders(self) -> None: ...

        def show_list(self, keep_id: int | None) -> None: ...

    # ---- what the cursor is on ----------------------------------------------------------

    def _cursor(self) -> tuple[str | None, Folder | None]:
        """The account and the folder under the folder pane's cursor (on an account's line,
        or a group of it: the account and no folder)."""
        tree: FolderTree = self.query_one(FolderTree)
        node: TreeNode[FolderChoice] | None = tree.cursor_node
        if node is not None and node.data is not None:
            choice = node.data
            if choice.account is None or choice.folder is None:
                return self._only_account(), None
            return choice.account, self.folders.get((choice.account, choice.folder))
        while node is not None and node.parent is not None and node.parent is not tree.root:
            node = node.parent
        if node is not None and node.parent is tree.root:
            return tree.heading_account(node), None  # "Searches" is no account
        return self._only_account(), None

    def _only_account(self) -> str | None:
        accounts = {account for account, _name in self.folders}
        return accounts.pop() if len(accounts) == 1 else None

    def _folder_or_say(self) -> Folder | None:
        _account, folder = self._cursor()
        if folder is None:
            self._app.notify("Put the folder pane's cursor on a folder first.")
        return folder

    # ---- the keys -----------------------------------------------------------------------

    def action_new_folder(self) -> None:
        from tui_mail.ui.screens.folder_dialogs import FolderNameDialog

        account, _folder = self._cursor()
        if account is None:
            self._app.notify("Put the folder pane's cursor on an account or one of its folders "
                             "first: the new folder goes there.")
            return

        def named(typed: str | None) -> None:
            if typed:
                self._app.edit_folder(lambda service: service.create_folder(account, typed))

        self._app.push_screen(FolderNameDialog(f"New folder in {account}"), named)

    def action_rename_folder(self) -> None:
        from tui_mail.ui.screens.folder_dialogs import FolderNameDialog, typed_path

        folder = self._folder_or_say()
        if folder is None or self._refused(folder, "renamed"):
            return

        def named(typed: str | None) -> None:
            if typed:
                self._app.edit_folder(
                    lambda service: service.rename_folder(folder.account, folder.name, typed))

        self._app.push_screen(FolderNameDialog(f"Rename {folder.name} to", typed_path(folder),
                                               verb="rename"), named)

    def action_delete_folder(self) -> None:
        from tui_mail.ui.screens.folder_dialogs import delete_question
        from tui_mail.ui.widgets.compose_dialogs import ConfirmDelete

        folder = self._folder_or_say()
        if folder is None or self._refused(folder, "deleted"):
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._app.edit_folder(
                    lambda service: service.delete_folder(folder.account, folder.name))
            else:
                self._app.notify("Nothing deleted.")

        self._app.push_screen(ConfirmDelete(delete_question(folder), "Delete folder"), answered)

    def action_toggle_subscribed(self) -> None:
        account, folder = self._cursor()
        if folder is not None:
            self._app.edit_folder(lambda service: service.subscribe_folder(
                folder.account, folder.name, not folder.subscribed))
        elif account is not None:
            self._pick_subscription(account)
        else:
            self._app.notify("Put the folder pane's cursor on a folder or an account first.")

    def _pick_subscription(self, account: str) -> None:
        """On an account's line: choose one of its unsubscribed folders to subscribe to (the
        way back for a folder hidden by `only_subscribed`)."""
        from tui_mail.ui.screens.folder_picker import FolderPicker

        try:
            unsubscribed = [f.name for f in self._app.store.folders(account) if not f.subscribed]
        except CacheError as exc:
            self._app.cache_trouble(exc)
            return
        if not unsubscribed:
            self._app.notify(f"{account}: every folder is subscribed.")
            return

        def chosen(name: object) -> None:
            if isinstance(name, str):
                self._app.edit_folder(
                    lambda service: service.subscribe_folder(account, name, True))

        self._app.push_screen(FolderPicker(f"Subscribe to a folder of {account}…",
                                           unsubscribed), chosen)

    def _refused(self, folder: Folder, done: str) -> bool:
        """Say why, when tui-mail will not rename or delete this folder."""
        from tui_mail.sync.service import folder_refusal

        inside = sum(1 for (account, name) in self.folders if account == folder.account
                     and folder.delimiter and name.startswith(folder.name + folder.delimiter))
        why = folder_refusal(folder, done, inside)
        if why is not None:
            self._app.notify(why, severity="warning", markup=False, timeout=8)
        return why is not None

    # ---- after a change ------------------------------------------------------------------

    def folders_edited(self, outcome: FolderOutcome) -> None:
        """A folder was made, renamed, deleted or (un)subscribed: the pane is read again, and
        a list showing a folder that was renamed follows it (one deleted goes to its inbox:
        `reload_folders`)."""
        state = self.state
        choice = state.choice
        new = outcome.renamed.get(choice.folder or "") \
            if choice.account and choice.account == outcome.account else None
        if new is not None:
            self.state = replace(state, choice=FolderChoice(
                choice.account, new, f"{choice.account}: {new}"), toggled=frozenset())
        self.reload_folders()
        if new is not None:
            self.show_list(keep_id=None)
