"""App actions for writing mail: compose, reply, reply-all, forward, drafts.

`TuiMailApp` inherits `ComposeActions`; the methods use the app's `config`, `store`,
`demo`, `account_names` and `service`. The work that outlives the composer screen (delivery,
saving to the server's Drafts folder, marking the original answered) is the mail service's.
"""

from __future__ import annotations

import subprocess
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from textual import events, work
from textual.app import SuspendNotSupported

from tui_mail.errors import TuiMailError
from tui_mail.model import Account, Address, Draft, MessageSummary, Protocol, Security, ServerConfig
from tui_mail.ui.app_part import AppPart
from tui_mail.ui.message_bytes import with_message_bytes

if TYPE_CHECKING:
    from tui_mail.address_book import AddressBook
    from tui_mail.config import Config
    from tui_mail.mail.autocrypt import Peer
    from tui_mail.mail.compose import Composed
    from tui_mail.mail.draftfile import DraftFields
    from tui_mail.store.db import Store
    from tui_mail.store.types import StoredDraft
    from tui_mail.sync.service import MailService

Answer = Literal["reply", "reply_all", "reply_list", "forward", "forward_attachment"]


def fields_of(draft: Draft, account: Account) -> DraftFields:
    """A Draft (from reply/forward) as the composer's typed fields."""

    from tui_mail.mail.draftfile import DraftFields

    def joined(addresses: tuple[Address, ...]) -> str:
        return ", ".join(str(a) for a in addresses)

    return DraftFields(
        account=account.name, sender=str(draft.identity), to=joined(draft.to),
        cc=joined(draft.cc), bcc=joined(draft.bcc), subject=draft.subject, body=draft.body,
        attachments=draft.attachments, in_reply_to=draft.in_reply_to,
        references=draft.references, attached_messages=draft.attached_messages,
        attached_files=draft.attached_files,
    )


def offline_account(name: str, demo: bool) -> Account:
    """An account for the demo (or a cache opened without a config): it cannot send."""
    address = Address("", f"me@{name}.invalid")
    if demo:
        import tui_mail.demo

        data = tomllib.loads((Path(tui_mail.demo.__file__).parent / "data.toml").read_text())
        address = Address(data["me"]["name"], data["me"]["email"])
    nowhere = ServerConfig(Protocol.IMAP, "", 0, Security.NONE, "")
    return Account(name=name, address=address, incoming=nowhere, smtp=None)


class ComposeActions(AppPart):
    """Mixin for TuiMailApp: the writing half of the interface."""

    config: Config | None
    demo: bool
    store_path: Path
    account_names: list[str]

    if TYPE_CHECKING:
        @property
        def store(self) -> Store: ...

    service: MailService
    # Seconds between two autosaves of an open composer (tests make it short).
    autosave_seconds: float = 5.0

    # ---- accounts ---------------------------------------------------------------------------

    def compose_accounts(self) -> list[Account]:
        """Accounts the From field offers: the config's, else one offline account per cache."""
        if self.config is not None and self.config.accounts:
            return list(self.config.accounts)
        names = self.account_names or ["local"]
        return [offline_account(name, self.demo) for name in names]

    def own_addresses(self) -> frozenset[str]:
        """Every address one sends as (lower case): a list shows the recipient of those."""
        return frozenset(identity.address.email.lower() for account in self.compose_accounts()
                         for identity in account.all_identities if identity.address.email)

    def compose_account(self, name: str | None) -> Account:
        accounts = self.compose_accounts()
        return next((a for a in accounts if a.name == name), accounts[0])

    def can_send(self, account: Account) -> bool:
        return not self.demo and self.service.can_send(account.name)

    def init_compose_actions(self) -> None:
        """The state of this mixin (the app's __init__ calls it)."""
        # Composer Message-ID -> (Message-ID of the message it answers, "reply"|"forward").
        self._origins: dict[str, tuple[str, str]] = {}
        self._address_book: AddressBook | None = None  # made at the first lookup
        # The keys typed since `r` (or another answer) while the message is read and the
        # composer built; None when no composer is on its way.
        self._held_keys: list[events.Key] | None = None

    # ---- opening the composer ---------------------------------------------------------------

    @staticmethod
    def new_message_id(account: Account) -> str:
        from email.utils import make_msgid

        return make_msgid(domain=account.address.email.rpartition("@")[2] or "localhost")

    def open_composer(self, account: Account, fields: DraftFields, *, message_id: str = "",
                      reopened: bool = False) -> None:
        from tui_mail.ui.screens.composer import ComposerScreen

        app = self.as_app
        app.push_screen(ComposerScreen(
            self.compose_accounts(), fields, message_id or self.new_message_id(account),
            lookup=self.lookup_addresses, contacts=self.address_book,
            add_signature=not reopened, reopened=reopened,
            autosave_seconds=self.autosave_seconds,
        ))

    @property
    def address_book(self) -> AddressBook:
        """The config's address books (vCards read once, at the first lookup, then kept)."""
        book = self._address_book
        if book is None:
            from tui_mail.address_book import AddressBook

            config = self.config
            book = self._address_book = AddressBook(
                config.address_book_command if config else "",
                config.address_book_vcards if config else ())
        return book

    def lookup_addresses(self, prefix: str, limit: int) -> list[Address]:
        """Addresses seen in the cache; called from a worker thread (a pooled reader)."""
        app = self.as_app
        with app.open_reader() as reader:
            return list(reader.listing.addresses(prefix, limit))

    def autocrypt_peers(self, account: str, addresses: Sequence[str]) -> dict[str, Peer]:
        """What the account's mail from each address said of their key (Autocrypt), by
        lower-cased address, for those it said anything; from a worker thread."""
        with self.as_app.open_reader() as reader:
            return reader.autocrypt_peers_of(account, addresses)

    def _current_account_name(self) -> str | None:
        targets = self._targets()
        if targets:
            return targets[0].account
        mailbox = getattr(self, "mailbox", None)
        folder = getattr(mailbox, "folder", None) if mailbox is not None else None
        return getattr(folder, "account", None)

    def action_compose(self) -> None:
        account = self.compose_account(self._current_account_name())
        self.open_composer(account, fields_of(Draft(identity=account.address), account))

    # ---- answering --------------------------------------------------------------------------

    def _targets(self) -> list[MessageSummary]:
        """The messages to act on (tagged, else under the cursor), from `MessageActions`."""
        app = self.as_app
        return list(app.target_summaries())

    def action_reply(self) -> None:
        self._answer("reply")

    def action_reply_all(self) -> None:
        self._answer("reply_all")

    def action_reply_list(self) -> None:
        self._answer("reply_list")

    def action_forward(self) -> None:
        self._answer("forward")

    def action_forward_attachment(self) -> None:
        self._answer("forward_attachment")

    def _answer(self, kind: Answer) -> None:
        app = self.as_app
        targets = self._targets()
        if not targets:
            app.notify("No message is selected.", severity="warning")
            return
        if self._held_keys is not None:
            return  # a composer is on its way already
        summary = targets[0]
        self._held_keys = []
        from tui_mail.ui.widgets.message_view import rendered_bodies

        # A signed or encrypted message is answered as it was read: decrypted (the view's
        # plaintext when it was opened, else decrypted now), so the reply quotes its text.
        shown = rendered_bodies(app).get(summary.id, "text")

        def opened(fetched: list[tuple[MessageSummary, bytes]]) -> None:
            from tui_mail.ui.answering import as_read

            raw, signed, encrypted = as_read(fetched[0][1], shown)
            app.call_from_thread(self._answer_if_still_wanted, kind, summary, raw,
                                 signed, encrypted)

        # Kept keys wait for a composer: with none coming (the message cannot be had, or a
        # defect), they are given back, else every key but Escape would be swallowed.
        with_message_bytes(self, [summary], "Not answered", opened, in_thread=True,
                           given_up=self._drop_held_keys, group="compose-fetch",
                           waiting="Fetching the message from the server… (Escape: never mind)")

    # ---- keys typed while the composer is on its way -----------------------------------------

    def hold_key(self, event: events.Key) -> bool:
        """Keep a key typed while a composer is on its way, for the composer (typed at once
        after `r`, "Hi d..." went to the message list, and its `d` deleted the message).
        Escape gives up on the answer; ctrl+q still quits. True when the key was kept."""
        held = self._held_keys
        if held is None or event.key == "ctrl+q":
            return False
        app = self.as_app
        if event.key == "escape" and not self._composer_shown():
            self._held_keys = None
            app.notify("Not answered: the message was still being read.", markup=False)
            return True
        held.append(event)
        return True

    def _composer_shown(self) -> bool:
        from tui_mail.ui.screens.composer import ComposerScreen

        app = self.as_app
        return isinstance(app.screen, ComposerScreen)

    def composer_ready(self) -> None:
        """The composer has its fields and its focus: the keys kept for it go to it now, in
        the order typed (the composer's on_mount calls this)."""
        held, self._held_keys = self._held_keys, None
        app = self.as_app
        for event in held or ():
            app.post_message(events.Key(event.key, event.character))

    def _drop_held_keys(self) -> None:
        """No composer came: the keys typed meanwhile must not act on the list."""
        held, self._held_keys = self._held_keys, None
        if held:
            app = self.as_app
            app.notify(f"{len(held)} key(s) typed meanwhile were not used: no composer opened.",
                       severity="warning", markup=False)

    def _answer_if_still_wanted(self, kind: Answer, summary: MessageSummary, raw: bytes,
                                signed: bool = False, encrypted: bool = False) -> None:
        if self._held_keys is None:
            return  # Escape gave up on it while it was read
        self.answer_with(kind, summary, raw, signed=signed, encrypted=encrypted)

    def answer_with(self, kind: Answer, summary: MessageSummary, raw: bytes, *,
                    signed: bool = False, encrypted: bool = False) -> None:
        """Open the composer on a reply or forward of the message `raw` (as read: decrypted;
        `signed`, `encrypted`: what it came as); the keys typed since the answer was asked
        for go to it."""
        opened = False
        try:
            opened = self._open_answer(kind, summary, raw, signed, encrypted)
        finally:
            if not opened:  # else the composer takes them once it is there
                self._drop_held_keys()

    def _open_answer(self, kind: Answer, summary: MessageSummary, raw: bytes,
                     signed: bool = False, encrypted: bool = False) -> bool:
        from tui_mail.mail.parse import parse_message
        from tui_mail.mail.reply import forward_as_attachment, forward_inline, reply, reply_to_list

        original = parse_message(raw)
        account = self.compose_account(summary.account)
        if kind == "reply_list":
            to_list = reply_to_list(original, account)
            if to_list is None:
                app = self.as_app
                app.notify("This message came through no mailing list that takes posts (it"
                           " has no List-Post address): r replies to the sender.",
                           severity="warning")
                return False
            draft = to_list
        elif kind == "forward":
            draft = forward_inline(original, account, raw)
        elif kind == "forward_attachment":
            draft = forward_as_attachment(original, raw, account)
        else:
            draft = reply(original, account, reply_all=kind == "reply_all")
        message_id = self.new_message_id(account)
        if original.message_id:  # sent, the original is marked answered or forwarded
            self._origins[message_id] = (
                original.message_id, "forward" if kind.startswith("forward") else "reply")
        fields = replace(fields_of(draft, account), answers_signed=signed,
                         answers_encrypted=encrypted)
        self.open_composer(account, fields, message_id=message_id)
        return True

    # ---- drafts -----------------------------------------------------------------------------

    def save_draft_locally(self, account: Account, message_id: str,
                           draft: Callable[[], bytes], *, wait: bool = False,
                           then: Callable[[str], None] | None = None) -> None:
        """The autosave: the cache only, the draft's bytes built by `draft()` (encrypting
        may refuse). Off the interface (with the actions, in order), but at once with `wait`
        (quitting). A draft that cannot be kept is said (by `then(why)`, given "" when it was
        kept), not fatal."""
        app = self.as_app

        def save() -> str:
            try:
                self.service.save_draft_locally(account.name, message_id, draft())
            except TuiMailError as exc:
                return str(exc)
            return ""

        def said(error: str) -> None:
            if then is not None:
                then(error)
            elif error:
                app.notify(f"The draft could not be saved: {error}", title="Draft",
                           severity="error", markup=False)

        if wait:
            said(save())
        else:
            app._in_order(save, said, str)

    def forget_draft(self, message_id: str) -> None:
        """Drop a draft the user discarded (locally now, from the server after)."""
        app = self.as_app

        def forget() -> str:
            try:
                self.service.forget_draft(message_id)
            except TuiMailError as exc:
                return f"The draft could not be removed: {exc}"
            return ""

        def said(error: str) -> None:
            if error:
                app.notify(error, severity="error", markup=False)

        app._in_order(forget, said, lambda exc: str(exc))

    def save_draft(self, account: Account, message_id: str, draft: Callable[[], bytes], *,
                   then: Callable[[str], None] | None = None) -> None:
        """Save locally at once, then to the server's Drafts folder (the service's work); the
        bytes are built by `draft()` off the interface. `then(why)` follows ("" : kept)."""
        app = self.as_app

        def save() -> tuple[bool, str]:
            try:
                raw = draft()
                return not self.demo and self.service.save_draft(account, message_id, raw), ""
            except TuiMailError as exc:
                return False, str(exc)

        def said(result: tuple[bool, str]) -> None:
            to_server, error = result
            if error:
                app.notify(f"The draft could not be saved: {error}", title="Draft",
                           severity="error", markup=False)
            elif not to_server:
                app.notify("Draft saved locally (D reopens it).", title="Draft")
            if then is not None:
                then(error)

        app._in_order(save, said, lambda exc: (False, str(exc)))

    def local_drafts(self) -> list[StoredDraft]:
        names = {a.name for a in self.compose_accounts()}
        return [d for d in self.store.queues.drafts() if d.account in names]

    def action_drafts(self) -> None:
        from tui_mail.mail.draftfile import draft_headers
        from tui_mail.mail.protected import Encrypted, protection_of
        from tui_mail.ui.widgets.compose_dialogs import DraftPicker, draft_line

        app = self.as_app
        drafts = self.local_drafts()
        if not drafts:
            app.notify("There are no unsent drafts.")
            return

        def chosen(index: int | None) -> None:
            if index is not None:
                self._reopen_draft(drafts[index])

        app.push_screen(DraftPicker([draft_line(draft_headers(d.raw), d.updated_at,
                                                encrypted=isinstance(protection_of(d.raw),
                                                                     Encrypted))
                                     for d in drafts]), chosen)

    def _reopen_draft(self, draft: StoredDraft) -> None:
        self.reopen_in_composer(draft.account, draft.raw, lambda: draft.key)

    @work(thread=True, exit_on_error=False, group="compose-drafts", description="open a draft")
    def reopen_in_composer(self, account: str, raw: bytes, key: Callable[[], str | None],
                           passphrase: str | None = None) -> None:
        """A draft (or an outbox message) back in the composer: parsed whole (attachments
        included) off the interface, and decrypted first when it was kept encrypted (asking
        the key's passphrase if it needs one). `key()` gives the draft's key once it could be
        read (taking an outbox message out of the outbox); None stops there."""
        from tui_mail.crypto.outgoing import unsealed
        from tui_mail.crypto.sealing import PassphraseNeeded
        from tui_mail.mail.draftfile import draft_from_bytes

        app = self.as_app
        try:
            opened = unsealed(raw, passphrase)
        except PassphraseNeeded as exc:
            app.call_from_thread(self._ask_draft_passphrase, account, raw, key, exc.key_hint)
            return
        except TuiMailError as exc:
            app.call_from_thread(app.notify, f"It cannot be reopened: {exc}",
                                 title="Draft", severity="error", markup=False)
            return
        fields, _message_id = draft_from_bytes(opened.raw)
        fields = replace(fields, account=fields.account or account)
        if opened.encrypted and fields.encrypt is None and not fields.answers_encrypted:
            fields = replace(fields, encrypt=True)  # kept encrypted: it goes on so
        if opened.signed and fields.sign is None:
            fields = replace(fields, sign=True)
        try:
            draft_key = key()
        except TuiMailError as exc:
            app.call_from_thread(app.notify, f"It cannot be reopened: {exc}",
                                 title="Draft", severity="error", markup=False)
            return
        if draft_key is None:
            return
        app.call_from_thread(
            lambda: self.open_composer(self.compose_account(fields.account), fields,
                                       message_id=draft_key, reopened=True))

    def _ask_draft_passphrase(self, account: str, raw: bytes, key: Callable[[], str | None],
                              key_hint: str) -> None:
        from tui_mail.ui.screens.ask_text import AskText

        def answered(passphrase: str | None) -> None:
            if passphrase is not None:
                self.reopen_in_composer(account, raw, key, passphrase)

        self.as_app.push_screen(AskText(f"The draft is encrypted: passphrase for {key_hint}",
                                        secret=True, hint="Enter: open it · Esc: leave it"),
                                answered)

    def offer_kept_drafts(self) -> None:
        """Offer the drafts a crash or a closed terminal left behind (the app's on_mount)."""
        count = len(self.local_drafts())
        if count:
            app = self.as_app
            app.notify(f"{count} unsent draft(s) kept from before: press D to reopen.",
                       title="Drafts", timeout=10)

    # ---- sending ----------------------------------------------------------------------------

    def send_composed(self, account: Account, composed: Composed, message_id: str) -> None:
        """Queue in the outbox (durable before the composer closes... in a worker), forget the
        local draft; the service delivers it, retries it and marks the original answered."""
        app = self.as_app
        app.notify("Sending…", title="Outbox")
        self._queue_message(account, composed, message_id, self._origins.pop(message_id, None))

    @work(thread=True, exit_on_error=False, group="compose-send", description="queue a message")
    def _queue_message(self, account: Account, composed: Composed, message_id: str,
                       origin: tuple[str, str] | None) -> None:
        app = self.as_app
        try:
            self.service.send(account, composed, message_id, origin)
        except TuiMailError as exc:
            app.call_from_thread(app.notify, f"Not queued: {exc}", title="Not sent",
                                 severity="error", markup=False, timeout=15)

    # ---- the external editor ----------------------------------------------------------------

    def run_external_editor(self, argv: list[str]) -> int:
        """Run the editor on the real terminal (the app is suspended meanwhile)."""
        app = self.as_app
        try:
            with app.suspend():
                return subprocess.run(argv, check=False).returncode
        except FileNotFoundError:
            raise TuiMailError(f"{argv[0]!r} was not found") from None
        except SuspendNotSupported:
            raise TuiMailError("this terminal cannot hand itself over to an editor") from None
