"""The whole bytes of messages, for what needs more than the shown text: an answer, a pipe, a
save, a print, leaving a mailing list, answering an invitation.

One way to have them: cached bytes at once, the rest fetched through the mail service (as
opening the message does), waited for in a thread worker that stops when it is cancelled. One
wording when a message cannot be had: what was not done, the message's subject, and why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future
from typing import Any

from tui_mail.errors import TuiMailError
from tui_mail.model import MessageSummary
from tui_mail.words import plural

Fetched = list[tuple[MessageSummary, bytes]]


def fetch_all(futures: Sequence[tuple[MessageSummary, Future[bytes]]]) -> tuple[Fetched, str]:
    """The bytes of every message (in a worker thread), or the reason one is missing."""
    from tui_mail.mail.sanitize import sanitize_line
    from tui_mail.ui.widgets.message_view import wait_for_body

    found: Fetched = []
    for summary, future in futures:
        try:
            found.append((summary, wait_for_body(future)))
        except TuiMailError as exc:
            subject = sanitize_line(summary.subject) or "(no subject)"
            return found, (f"“{subject[:60]}” is not downloaded yet and could not be fetched"
                           f" ({exc}): open it once its server can be reached")
    return found, ""


def with_message_bytes(app: Any, summaries: Sequence[MessageSummary], what: str,
                       then: Callable[[Fetched], None], *, in_thread: bool = False,
                       given_up: Callable[[], None] | None = None,
                       waiting: str = "", group: str = "message-bytes") -> None:
    """Have the messages' bytes, then `then(fetched)`: in the worker thread (`in_thread`: it
    writes files, runs a command or parses) or on the interface.

    `what` ("Nothing piped") opens the notice when one cannot be had. `given_up` runs on the
    interface when `then` will not (a message missing, the worker cancelled, a defect).
    `waiting` is said while the server is asked (default: "Fetching 2 messages from the
    server…"); nothing is said when every message is cached."""
    futures = [(s, app.service.fetch_body(s, allow_large=True)) for s in summaries]
    if not all(future.done() for _s, future in futures):
        app.notify(waiting or f"Fetching {plural(len(summaries))} from the server…",
                   markup=False)

    def give_up() -> None:
        if given_up is not None:
            app.call_from_thread(given_up)

    def work() -> None:
        try:
            fetched, missing = fetch_all(futures)
        except CancelledError:
            give_up()
            return
        except Exception as exc:  # noqa: BLE001 - a defect too is said, and gives up
            fetched, missing = [], f"the message could not be read ({type(exc).__name__}: {exc})"
        if missing:
            give_up()
            app.call_from_thread(app.notify, f"{what}: {missing}.", severity="error",
                                 markup=False, timeout=12)
        elif in_thread:
            then(fetched)
        else:
            app.call_from_thread(then, fetched)

    app.run_worker(work, thread=True, exit_on_error=False, group=group, description=what)
