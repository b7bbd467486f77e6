"""The message actions of the list and the viewer (U F d A s C u; | w W P ctrl+r in
`message_output`), shared by both screens.

A move or copy to a folder that does not exist yet makes it first (the picker's `create`).

A screen using `ActingScreen` provides `selected_summaries()` (what to act on) and
`after_action(removed, restored)` (re-read the cache, place the cursor). The work itself is
the mail service's, run by the app off the interface (`MessageActions.act_in_background`),
so both screens behave the same and the interface never waits on a cache write.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tui_mail.model import MessageSummary
from tui_mail.ui.screens.message_output import MessageOutput

if TYPE_CHECKING:
    from tui_mail.sync.acting import ActOutcome


def delete_question(summaries: Sequence[MessageSummary],
                    for_good: Sequence[MessageSummary]) -> str:
    """The confirmation asked before `for_good` (some or all of `summaries`) is deleted for
    good. One message is named by its subject (untrusted: the dialog shows it as plain text,
    control characters removed)."""
    from tui_mail.mail.sanitize import sanitize_line
    from tui_mail.words import plural

    if len(for_good) == 1:
        subject = sanitize_line(for_good[0].subject) or "(no subject)"
        if len(subject) > 60:
            subject = subject[:59] + "…"
        what = f"“{subject}”"
    else:
        what = plural(len(for_good))
    question = f"Delete {what} for good? This cannot be undone."
    rest = len(summaries) - len(for_good)
    if rest > 0:
        question += f" (The other {plural(rest)} will go to Trash.)"
    return question


class ActingScreen(MessageOutput):
    """Mixin for a Screen: key actions on the selected messages (and, from `MessageOutput`,
    pipe, save, append to mbox, print, mark the thread read)."""

    def selected_summaries(self) -> list[MessageSummary]:
        raise NotImplementedError

    def after_action(self, removed: set[int], restored: Sequence[int] = ()) -> None:
        """The cache changed: re-read what is shown."""
        raise NotImplementedError

    def _targets(self) -> list[MessageSummary]:
        summaries = self.selected_summaries()
        if not summaries:
            self._app.notify("No message selected.")
        return summaries

    def run_message_action(self, kind: str, summaries: Sequence[MessageSummary],
                           target: str | None = None) -> None:
        """Act in the background; the screen is re-read (and told) when it is done."""
        self._app.act_in_background(kind, summaries, target, then=self.action_done)

    def action_done(self, outcome: ActOutcome) -> None:
        for error in outcome.errors:
            self._app.notify(error, severity="error", markup=False, timeout=10)
        if outcome.message:
            self._app.notify(outcome.message, markup=False)
        if self.is_attached:
            self.after_action(outcome.removed)

    def action_toggle_read(self) -> None:
        summaries = self._targets()
        if summaries:
            unread = any(not s.flags.seen for s in summaries)
            self.run_message_action("read" if unread else "unread", summaries)

    def action_toggle_flag(self) -> None:
        summaries = self._targets()
        if summaries:
            unflagged = any(not s.flags.flagged for s in summaries)
            self.run_message_action("flag" if unflagged else "unflag", summaries)

    def action_delete(self) -> None:
        """To Trash at once (undo can take it back); a message already in Trash is deleted
        for good, which cannot be undone, so that asks first (one question for all tagged)."""
        from tui_mail.ui.widgets.compose_dialogs import ConfirmDelete

        summaries = self._targets()
        if not summaries:
            return
        for_good = self._app.deletes_for_good(summaries)
        if not for_good:
            self.run_message_action("delete", summaries)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_message_action("delete", summaries)
            else:
                self._app.notify("Nothing deleted.", markup=False)

        self._app.push_screen(ConfirmDelete(delete_question(summaries, for_good)), answered)

    def action_archive(self) -> None:
        summaries = self._targets()
        if summaries:
            self.run_message_action("archive", summaries)

    def action_move(self) -> None:
        self._pick_folder("move")

    def action_copy(self) -> None:
        self._pick_folder("copy")

    def _pick_folder(self, kind: str) -> None:
        from tui_mail.ui.screens.folder_picker import FolderPicker, NewFolder
        from tui_mail.words import plural

        summaries = self._targets()
        if not summaries:
            return
        accounts = sorted({s.account for s in summaries})
        folders = self._app.folder_choices(accounts)
        if not folders:
            self._app.notify("No folder is common to the accounts of these messages.",
                             severity="warning")
            return
        verb = "Move" if kind == "move" else "Copy"
        title = f"{verb} {plural(len(summaries))} to…"
        if len(accounts) > 1:
            title += f" (in each of {', '.join(accounts)})"

        def chosen(folder: str | NewFolder | None) -> None:
            if isinstance(folder, NewFolder):
                self._create_then(kind, summaries, accounts[0], folder.typed)
            elif folder is not None:
                self.run_message_action(kind, summaries, folder)

        # A new folder is offered for one account (its name depends on the account's server).
        self._app.push_screen(FolderPicker(title, folders, can_create=len(accounts) == 1),
                              chosen)

    def _create_then(self, kind: str, summaries: Sequence[MessageSummary], account: str,
                     typed: str) -> None:
        """Make the folder typed in the picker (queued like the move), then move or copy the
        messages into it; nothing is moved when it cannot be made."""

        def created(outcome: Any, _error: str) -> None:
            if outcome is not None:
                self.run_message_action(kind, summaries, outcome.folder)

        self._app.edit_folder(lambda service: service.create_folder(account, typed), created)

    def action_undo(self) -> None:
        def undone(message: str, restored: list[int]) -> None:
            self._app.notify(message, markup=False)
            if restored and self.is_attached:
                self.after_action(set(), restored)

        self._app.undo_in_background(undone)
