"""App-level folder management: create, rename, delete and (un)subscribe through the mail
service, off the interface.

`TuiMailApp` inherits `FolderRequests`. The change is the service's (`MailService.create_folder`
and its siblings): the cache at once, the server after the usual moment, or when it is back.
It writes to the cache, so it runs on the app's action thread, after the actions asked before
it (a message moved into a new folder is moved once the folder exists in the cache); the
folder pane is re-read and the user told when it is done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tui_mail.errors import TuiMailError
from tui_mail.ui.app_part import AppPart

if TYPE_CHECKING:
    from tui_mail.sync.service import FolderOutcome, MailService

FolderDone = Callable[["FolderOutcome | None", str], None]


class FolderRequests(AppPart):
    """Mixin for the App (next to `MessageActions`, whose action thread it uses)."""

    service: MailService

    def edit_folder(self, edit: Callable[[MailService], FolderOutcome],
                    then: FolderDone | None = None) -> None:
        """Run `edit(service)` on the action thread; on the interface, tell the outcome (or
        why nothing was done), re-read the folder pane, then `then(outcome, error)`."""
        app = self.as_app

        def run() -> tuple[FolderOutcome | None, str]:
            try:
                return edit(self.service), ""
            except TuiMailError as exc:  # refused by tui-mail, or the cache cannot be written
                return None, str(exc)

        def done(result: tuple[FolderOutcome | None, str]) -> None:
            outcome, error = result
            # Folder names come from servers: `TuiMailApp.notify` removes escape sequences.
            if outcome is None:
                app.notify(f"Nothing was changed: {error}", severity="error",
                           markup=False, timeout=10)
            else:
                app.notify(outcome.message, markup=False)
            mailbox = app.mailbox
            if mailbox is not None and outcome is not None:
                mailbox.folders_edited(outcome)
            if then is not None:
                then(outcome, error)

        app._in_order(run, done, lambda exc: (None, f"internal error: {exc}"))
