"""App actions on what list mail and invitations offer: leave the list, answer the invitation.

`TuiMailApp` inherits `ListInviteActions`. Both act on the message under the cursor (or
shown in the viewer), read from its whole body (fetched when not cached, in a worker), and
ask before anything leaves: unsubscribing names the list and the way ("by a one-click request
to lists.example.org?"), answering an invitation offers accept / tentative / decline. What is
sent goes through the outbox from the account the message arrived in; the one-click POST is
the mail service's, in a worker thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work

from tui_mail.errors import TuiMailError
from tui_mail.model import Account, Address, Draft, MessageSummary
from tui_mail.ui.app_part import AppPart
from tui_mail.ui.message_bytes import Fetched, with_message_bytes

if TYPE_CHECKING:
    import ssl

    from tui_mail.mail.invite import Answer, Invite
    from tui_mail.mail.lists import MailingList, Unsubscribe
    from tui_mail.sync.service import MailService

UNSUBSCRIBE_SUBJECT = "unsubscribe"  # RFC 2369 mailto: URIs often name none


class ListInviteActions(AppPart):
    """Mixin for the App: `unsubscribe` and `answer_invite`."""

    service: MailService
    # The TLS trust a one-click unsubscribe verifies the list's server with; None: the
    # system's certificate store (tests put their own CA here).
    https_context: ssl.SSLContext | None = None

    def _target(self) -> MessageSummary | None:
        app = self.as_app
        targets = list(app.target_summaries())
        if not targets:
            app.notify("No message is selected.", severity="warning")
            return None
        return targets[0]

    # ---- leaving a mailing list -------------------------------------------------------------

    def action_unsubscribe(self) -> None:
        summary = self._target()
        if summary is not None:
            with_message_bytes(self, [summary], "Not unsubscribed", self._read_list,
                               in_thread=True, group="list-unsubscribe")

    def _read_list(self, fetched: Fetched) -> None:
        """Find the way to leave, off the interface (a worker thread's call)."""
        from tui_mail.mail.lists import list_of_message, one_click_signed
        from tui_mail.ui.widgets.message_view import authserv_id_of

        app = self.as_app
        [(summary, raw)] = fetched
        found = list_of_message(raw)
        signed = found is not None and found.one_click and one_click_signed(
            raw, authserv_id_of(app, summary.account))
        way = found.unsubscribe_way(signed=signed) if found is not None else None
        app.call_from_thread(self._ask_unsubscribe, summary, found, way)

    def _ask_unsubscribe(self, summary: MessageSummary, found: MailingList | None,
                         way: Unsubscribe | None) -> None:
        from tui_mail.ui.screens.list_invite_dialogs import ConfirmUnsubscribe

        app = self.as_app
        if found is None or way is None:
            app.notify("This message gives no way to unsubscribe (it has no List-Unsubscribe"
                       " header with a mailto:, https: or http: address).", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._unsubscribe(summary, found, way)

        app.push_screen(ConfirmUnsubscribe(found.question(way)), answered)

    def _unsubscribe(self, summary: MessageSummary, found: MailingList,
                     way: Unsubscribe) -> None:
        from tui_mail.mail.lists import UnsubscribeWay, parse_mailto

        app = self.as_app
        if way.way is UnsubscribeWay.ONE_CLICK:
            app.notify(f"Asking {way.describe().removeprefix('by a one-click request to ')}…",
                       title="Unsubscribe", markup=False)
            self._post_one_click(way.uri)
        elif way.way is UnsubscribeWay.MAIL:
            mailto = parse_mailto(way.uri)
            account = app.compose_account(summary.account)
            if mailto is None or not app.can_send(account):
                app.notify(f"The account {account.name} cannot send mail: write to "
                           f"{mailto.to if mailto else way.uri} to unsubscribe.",
                           title="Not unsubscribed", severity="warning", markup=False)
                return
            draft = Draft(identity=account.address, to=(Address("", mailto.to),),
                          subject=mailto.subject or UNSUBSCRIBE_SUBJECT,
                          body=mailto.body or UNSUBSCRIBE_SUBJECT)
            self._queue_draft(account, draft, f"Unsubscribe mail to {mailto.to} queued"
                              f" (from {account.address.email}).")
        else:
            from tui_mail.ui.screens.picker import open_in_browser

            if not open_in_browser(app, way.uri):
                app.notify(f"No web browser could be started. Unsubscribe at:\n{way.uri}",
                           title="Not unsubscribed", severity="warning", markup=False,
                           timeout=30)

    @work(thread=True, exit_on_error=False, group="list-unsubscribe")
    def _post_one_click(self, url: str) -> None:
        from urllib.parse import urlsplit

        app = self.as_app
        host = urlsplit(url).hostname or url
        try:
            answer = self.service.unsubscribe_one_click(url, self.https_context)
        except TuiMailError as exc:
            app.call_from_thread(app.notify, f"Not unsubscribed: {exc}", title="Unsubscribe",
                                 severity="error", markup=False, timeout=15)
            return
        status = f"{answer.status} {answer.reason}".strip()
        if answer.ok:
            app.call_from_thread(app.notify, f"{host} answered {status}: the unsubscribe"
                                 " request was taken.", title="Unsubscribe", markup=False)
        else:
            app.call_from_thread(app.notify, f"{host} answered {status}: the unsubscribe"
                                 " request was not taken.", title="Not unsubscribed",
                                 severity="error", markup=False, timeout=15)

    # ---- answering an invitation ------------------------------------------------------------

    def action_answer_invite(self) -> None:
        summary = self._target()
        if summary is not None:
            with_message_bytes(self, [summary], "Not answered", self._read_invite,
                               in_thread=True, group="invite-answer")

    def _read_invite(self, fetched: Fetched) -> None:
        """Read the invitation, off the interface (a worker thread's call)."""
        from tui_mail.mail.invite import invite_of_message

        app = self.as_app
        [(summary, raw)] = fetched
        app.call_from_thread(self._ask_answer, summary, raw, invite_of_message(raw))

    def _ask_answer(self, summary: MessageSummary, raw: bytes, invite: Invite | None) -> None:
        from tui_mail.ui.screens.list_invite_dialogs import AnswerInvite

        app = self.as_app
        if invite is None:
            app.notify("This message holds no calendar invitation.", severity="warning")
            return
        if invite.cancelled:
            app.notify("This event is cancelled: there is nothing to answer.")
            return
        if not invite.can_answer:
            app.notify("This calendar message is not an invitation to answer (it is a "
                       f"{invite.method.lower() or 'publication'}, or names no organizer).",
                       markup=False)
            return
        account: Account = app.compose_account(summary.account)
        mine = [identity.address for identity in account.all_identities]
        attendee = invite.attendee(a.email for a in mine)
        if attendee is None:
            addresses = ", ".join(a.email for a in mine)
            app.notify(f"None of the account's addresses ({addresses}) is among the invited:"
                       " there is no answer to give from it.", title="Not answered",
                       severity="warning", markup=False, timeout=15)
            return
        identity = next(a for a in mine if a.email.lower() == attendee.address.email.lower())
        me = Address(identity.name, attendee.address.email)  # as the invitation spells it

        def answered(answer: Answer | None) -> None:
            if answer is None:
                return
            if not app.can_send(account):
                app.notify(f"The account {account.name} cannot send mail: no answer was sent.",
                           title="Not answered", severity="warning", markup=False)
                return
            self._build_answer(account, raw, invite, me, answer)

        app.push_screen(AnswerInvite(f"Answer the invitation to {invite.summary} as "
                                     f"{me.email}?"), answered)

    @work(thread=True, exit_on_error=False, group="invite-answer")
    def _build_answer(self, account: Account, raw: bytes, invite: Invite, me: Address,
                      answer: Answer) -> None:
        from tui_mail.mail.invite import answer_draft
        from tui_mail.mail.parse import parse_message

        draft = answer_draft(parse_message(raw), invite, me, answer)
        organizer = invite.organizer.email if invite.organizer else ""
        self._queue_now(account, draft, f"{answer.word}: the answer to {organizer} is queued.")

    # ---- shared -----------------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="list-unsubscribe")
    def _queue_draft(self, account: Account, draft: Draft, said: str) -> None:
        self._queue_now(account, draft, said)

    def _queue_now(self, account: Account, draft: Draft, said: str) -> None:
        """Build the message and put it in the outbox (a worker thread's call): the service
        delivers it, and retries it while the server cannot be reached."""
        from tui_mail.mail.compose import compose

        app = self.as_app
        try:
            composed = compose(draft)
            self.service.send(account, composed, "", None)
        except TuiMailError as exc:
            app.call_from_thread(app.notify, f"Not queued: {exc}", title="Not sent",
                                 severity="error", markup=False, timeout=15)
            return
        app.call_from_thread(app.notify, said, title="Outbox", markup=False)
