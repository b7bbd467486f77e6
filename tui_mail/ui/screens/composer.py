"""The composer: From, To/Cc/Bcc, Subject, the body with the signature, attachments.

What the user types is saved to the local drafts table every few seconds (only when it
changed), under one Message-ID for the life of the draft, so a crash loses nothing. Sending,
saving to the server and the external editor are asked of the app (`ComposeActions`), which
outlives this screen.
"""

from __future__ import annotations

import logging
import os
import shlex
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from email.parser import BytesHeaderParser
from email.policy import default
from email.utils import getaddresses
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from tui_mail.address_book import unique_addresses
from tui_mail.attachments import read_attachments
from tui_mail.crypto.outgoing import (
    Encrypt,
    SecurityChoice,
    sealed_draft,
    secured,
)
from tui_mail.errors import TuiMailError
from tui_mail.mail.compose import (
    Composed,
    compose,
    guess_content_type,
    parse_address,
    parse_address_list,
    with_signature,
)
from tui_mail.mail.draftfile import DraftFields, draft_to_bytes
from tui_mail.mail.editor_text import EditedText, editor_text, read_editor_text
from tui_mail.mail.sanitize import sanitize_line, sanitize_text
from tui_mail.model import (
    Account,
    Address,
    AttachedFile,
    AutocryptMode,
    CryptoKind,
    Draft,
    Identity,
)
from tui_mail.ui.cache_guard import SaysCacheErrors
from tui_mail.ui.keys import Scope, bindings
from tui_mail.ui.screens.form import FormScreen, help_bindings
from tui_mail.ui.widgets.compose_dialogs import ConfirmDiscard
from tui_mail.ui.widgets.compose_fields import (
    AddressChoices,
    AddressInput,
    AddressLookup,
    AddressSuggester,
    PathSuggester,
    last_item,
    with_choice,
)
from tui_mail.ui.widgets.key_bar import KeyBar
from tui_mail.ui.widgets.text import format_size

if TYPE_CHECKING:
    from tui_mail.address_book import AddressBook
    from tui_mail.mail.autocrypt import Recommendation
    from tui_mail.ui.compose_actions import ComposeActions

log = logging.getLogger(__name__)

AUTOSAVE_SECONDS = 5.0
CHOICES_DELAY = 0.2  # seconds typing rests before the address choices are looked up
MOST_CHOICES = 8
ADDRESS_FIELDS = ("to", "cc", "bcc")


@dataclass(frozen=True)
class Sender:
    """One choice of the From field: an identity of an account."""

    account: Account
    identity: Identity

    @property
    def label(self) -> str:
        return f"{self.identity.address}  ({self.account.name})"


def senders(accounts: Sequence[Account]) -> list[Sender]:
    return [Sender(a, i) for a in accounts for i in a.all_identities]


def _signature_block(signature: str) -> str:
    return with_signature("", signature)


@dataclass(frozen=True)
class ForwardedMessage:
    """A whole message attached as message/rfc822 (forward as attachment): its bytes, and
    the subject it is shown by."""

    raw: bytes

    @property
    def label(self) -> str:
        try:
            subject = str(BytesHeaderParser(policy=default).parsebytes(self.raw)["subject"] or "")
        except (ValueError, TypeError, IndexError):  # a hostile header: shown without it
            subject = ""
        return f"message: {subject.strip() or '(no subject)'}"


Attachment = Path | AttachedFile | ForwardedMessage


class AttachmentList(OptionList):
    """What is attached, with sizes: files by path (read when the message is sent), files
    carried by their contents (from a forwarded message or a reopened draft) and whole
    messages forwarded as attachments. Delete removes the highlighted one."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("delete,backspace,d", "remove", "Remove attachment"),
    ]

    def __init__(self) -> None:
        super().__init__(id="attachments")
        self.items: list[Attachment] = []

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(item for item in self.items if isinstance(item, Path))

    @property
    def files(self) -> tuple[AttachedFile, ...]:
        return tuple(item for item in self.items if isinstance(item, AttachedFile))

    @property
    def messages(self) -> tuple[bytes, ...]:
        return tuple(item.raw for item in self.items if isinstance(item, ForwardedMessage))

    def add(self, item: Attachment) -> None:
        if isinstance(item, Path):
            name, size = item.name, _size(item)
        elif isinstance(item, ForwardedMessage):
            name, size = item.label, len(item.raw)
        else:
            name, size = item.filename, len(item.data)
        self.items.append(item)
        self.add_option(Option(Content(f"📎 {sanitize_line(name)}  ({format_size(size)})")))
        self.highlighted = len(self.items) - 1
        self.display = True

    def action_remove(self) -> None:
        index = self.highlighted
        if index is None or index >= len(self.items):
            return
        del self.items[index]
        self.remove_option_at_index(index)
        self.display = bool(self.items)


class ComposerScreen(SaysCacheErrors, FormScreen[None]):
    """Write, send, save or postpone one message."""

    DEFAULT_CSS = """
    ComposerScreen {
        layout: vertical;
        & #headers { height: auto; padding: 0 1; }
        & .field { height: 1; }
        & .field > Label { width: 9; color: $text-muted; }
        & .field > Input, & .field > Select { width: 1fr; }
        & #body { height: 1fr; border: none; padding: 0 1; }
        & #attachments { height: auto; max-height: 5; border: none; padding: 0 1; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [*bindings(Scope.COMPOSER), *help_bindings()]
    AUTO_FOCUS = None

    def __init__(
        self,
        accounts: Sequence[Account],
        fields: DraftFields,
        message_id: str,
        *,
        lookup: AddressLookup,
        contacts: AddressBook | None = None,
        add_signature: bool = True,
        reopened: bool = False,
        autosave_seconds: float = AUTOSAVE_SECONDS,
    ) -> None:
        super().__init__()
        self._senders = senders(accounts)
        self._sender_index = self._initial_sender(fields)
        sender = self._senders[self._sender_index]
        # Quoted text and headers come from someone else's message: no escapes, no controls.
        fields = replace(fields, body=sanitize_text(fields.body), to=sanitize_line(fields.to),
                         cc=sanitize_line(fields.cc), bcc=sanitize_line(fields.bcc),
                         subject=sanitize_line(fields.subject))
        body = fields.body
        if add_signature:
            body = with_signature(body, sender.identity.signature)
        self.security = SecurityChoice.initial(sender.account, fields)
        self._initial = replace(fields, account=sender.account.name, body=body,
                                sender=str(sender.identity.address), sign=self.security.sign,
                                encrypt=self.security.encrypt_field)
        self.message_id = message_id
        self._lookup = lookup
        self._contacts = contacts
        self._choices_timer: Timer | None = None
        self._recommend_timer: Timer | None = None
        self._problems_said: set[str] = set()
        self._reopened = reopened
        self._autosave_seconds = autosave_seconds
        self._autosaved: DraftFields | None = None
        self._saved: DraftFields | None = self._initial if reopened else None
        self._sending = False
        self._draft_refused = ""  # why its last draft could not be kept ("": it was)

    # ---- layout -----------------------------------------------------------------------------

    def _initial_sender(self, fields: DraftFields) -> int:
        wanted = fields.sender.casefold()
        for i, s in enumerate(self._senders):
            if s.account.name == fields.account and s.identity.address.email.casefold() in wanted:
                return i
        for i, s in enumerate(self._senders):
            if s.account.name == fields.account:
                return i
        return 0

    def compose(self) -> ComposeResult:
        f = self._initial
        suggester = AddressSuggester(self._lookup)
        with Vertical(id="headers"):
            with Horizontal(classes="field"):
                yield Label("From")
                yield Select([(Content(s.label), i) for i, s in enumerate(self._senders)],
                             value=self._sender_index, allow_blank=False, compact=True,
                             id="from")
            for name, value in (("To", f.to), ("Cc", f.cc), ("Bcc", f.bcc)):
                with Horizontal(classes="field"):
                    yield Label(name)
                    yield AddressInput(value, suggester=suggester, compact=True,
                                       id=name.lower(),
                                       placeholder="name or address; → completes, ↓ chooses")
            with Horizontal(classes="field"):
                yield Label("Subject")
                yield Input(f.subject, compact=True, id="subject")
            with Horizontal(classes="field"):
                yield Label("Attach")
                yield Input(compact=True, suggester=PathSuggester(), id="attach",
                            placeholder="path of a file; → completes, Enter adds")
            with Horizontal(classes="field"):
                yield Label("Security")
                yield Static(self._security_line(), id="security")
        yield AddressChoices()
        attachments = AttachmentList()
        attachments.display = False
        yield attachments
        yield TextArea(f.body, soft_wrap=True, show_line_numbers=False, id="body")
        yield KeyBar()

    def on_mount(self) -> None:
        attachments = self.query_one(AttachmentList)
        for raw in self._initial.attached_messages:
            attachments.add(ForwardedMessage(raw))
        for path in self._initial.attachments:
            attachments.add(path)
        for carried in self._initial.attached_files:
            attachments.add(carried)
        self.query_one("#to" if not self._initial.to else "#body").focus()
        self.set_interval(self._autosave_seconds, self.autosave)
        self._recommend()
        self.tui.composer_ready()  # the keys typed since `m` or `r`, kept for this screen

    # ---- what was typed ---------------------------------------------------------------------

    @property
    def sender(self) -> Sender:
        value = self.query_one("#from", Select).value
        return self._senders[value if isinstance(value, int) else self._sender_index]

    @property
    def body(self) -> TextArea:
        return self.query_one("#body", TextArea)

    def fields(self) -> DraftFields:
        """The draft as typed right now."""
        sender = self.sender

        def text(name: str) -> str:
            return self.query_one(f"#{name}", Input).value

        return replace(
            self._initial, account=sender.account.name, sender=str(sender.identity.address),
            to=text("to"), cc=text("cc"), bcc=text("bcc"), subject=text("subject"),
            body=self.body.text, attachments=self.query_one(AttachmentList).paths,
            attached_files=self.query_one(AttachmentList).files,
            attached_messages=self.query_one(AttachmentList).messages,
            sign=self.security.sign, encrypt=self.security.encrypt_field,
        )

    def draft(self) -> Draft:
        """The draft, validated (raises ComposeError naming a bad address)."""
        f = self.fields()
        return Draft(
            identity=parse_address(f.sender), to=parse_address_list(f.to),
            cc=parse_address_list(f.cc), bcc=parse_address_list(f.bcc), subject=f.subject,
            body=f.body, attachments=f.attachments, in_reply_to=f.in_reply_to,
            references=f.references, attached_messages=f.attached_messages,
            attached_files=f.attached_files,
        )

    def draft_bytes(self, fields: DraftFields) -> Callable[[], bytes]:
        """How to build the draft's bytes (off the interface: encrypting runs gpg): in clear,
        or encrypted to the user's own key when `drafts_encrypted`."""
        message_id = self.message_id
        if not self.drafts_encrypted:
            return lambda: draft_to_bytes(fields, message_id)
        own = self.sender.identity.address.email
        kind = self.sender.account.crypto
        return lambda: sealed_draft(draft_to_bytes(fields, message_id), own, kind)

    def on_select_changed(self, event: Select.Changed) -> None:
        """A new identity brings its own signature in place of the previous one."""
        if not isinstance(event.value, int) or event.value == self._sender_index:
            return
        old = _signature_block(self._senders[self._sender_index].identity.signature)
        new = _signature_block(self._senders[event.value].identity.signature)
        self._sender_index = event.value
        self._recommend_soon()
        text = self.body.text
        if old and text.endswith(old):
            self.body.load_text(text[: -len(old)] + new)
        elif not old and new:
            self.body.load_text(with_signature(text, self._senders[event.value].identity.signature))

    # ---- Autocrypt ---------------------------------------------------------------------------

    def _recommend_soon(self) -> None:
        if self._recommend_timer is not None:
            self._recommend_timer.stop()
        self._recommend_timer = self.set_timer(CHOICES_DELAY, self._recommend)

    def _recommend(self) -> None:
        """Ask the cache what Autocrypt recommends for the recipients as typed now."""
        account = self.sender.account
        if account.autocrypt is AutocryptMode.OFF or account.crypto is not CryptoKind.OPENPGP:
            if self.security.recommendation is not None:
                self.security = self.security.recommending(None)
                self._show_security()
            return
        self._recommend_worker(account, self._recipients_to_recommend_for())

    def _recipients_to_recommend_for(self) -> list[str]:
        """The recipients typed (lower-cased), the user's own addresses left out: a copy to
        oneself is encrypted to one's own key anyway."""
        fields = self.fields()
        own = self.tui.own_addresses()
        return [address.lower() for _, address in getaddresses(
            [fields.to, fields.cc, fields.bcc]) if "@" in address and address.lower() not in own]

    @work(thread=True, exclusive=True, exit_on_error=False, group="autocrypt",
          description="Autocrypt recommendation")
    def _recommend_worker(self, account: Account, recipients: list[str]) -> None:
        from tui_mail.crypto.outgoing import usable_peers
        from tui_mail.mail.autocrypt import recommend_all

        peers = usable_peers(self.tui.autocrypt_peers(account.name, recipients))
        recommendation = recommend_all(
            [peers.get(address) for address in dict.fromkeys(recipients)],
            own_mutual=account.autocrypt is AutocryptMode.MUTUAL,
            reply_to_encrypted=self._initial.answers_encrypted)
        self.app.call_from_thread(self._recommended, account, recipients, recommendation)

    def _recommended(self, account: Account, recipients: list[str],
                     recommendation: Recommendation) -> None:
        if self.sender.account is not account:
            return  # the From changed since: its own recommendation follows
        if recipients != self._recipients_to_recommend_for():
            return  # the recipients changed since: a newer recommendation follows
        self.security = self.security.recommending(recommendation)
        self._show_security()

    # ---- address choices ---------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in ("to", "cc", "bcc"):
            self._recommend_soon()
        if not isinstance(event.input, AddressInput) or not event.input.has_focus:
            return
        if self._choices_timer is not None:
            self._choices_timer.stop()
        field, value = event.input, event.value
        self._choices_timer = self.set_timer(CHOICES_DELAY,
                                             lambda: self._look_up(field.id or "", value))

    @work(thread=True, exclusive=True, exit_on_error=False, group="address-choices",
          description="look up addresses")
    def _look_up(self, field_id: str, value: str) -> None:
        """The cache's and the address books' matches of the address being typed (files and
        a command: off the interface)."""
        typed = last_item(value)[1].strip()
        found: list[Address] = []
        problems: list[str] = []
        if len(typed) >= 2 and "<" not in typed:
            if self._contacts:
                found, problems = self._contacts.find(typed, MOST_CHOICES)
            try:
                found += self._lookup(typed, MOST_CHOICES)
            except Exception:  # noqa: BLE001 - a locked or missing cache only means fewer
                log.debug("address lookup in the cache failed", exc_info=True)
        # An address typed out in full has nothing left to choose.
        found = [a for a in unique_addresses(found) if a.email.casefold() != typed.casefold()]
        self.app.call_from_thread(self._show_choices, field_id, value, found[:MOST_CHOICES],
                                  problems)

    def _show_choices(self, field_id: str, value: str, found: list[Address],
                      problems: list[str]) -> None:
        for problem in problems:
            if problem not in self._problems_said:  # once per composer, not per key
                self._problems_said.add(problem)
                self.notify(problem, title="Address book", severity="warning", markup=False)
        field = self.query_one(f"#{field_id}", AddressInput)
        if field.value != value or not field.has_focus:
            return  # typed on since, or left: a later lookup (or none) decides
        choices = self.query_one(AddressChoices)
        choices.show(found)
        field.choosing = bool(found)

    def _hide_choices(self) -> None:
        self.query_one(AddressChoices).hide()
        for name in ADDRESS_FIELDS:
            self.query_one(f"#{name}", AddressInput).choosing = False

    def on_address_input_choice_key(self, event: AddressInput.ChoiceKey) -> None:
        choices = self.query_one(AddressChoices)
        if event.key in ("down", "up"):
            choices.move(1 if event.key == "down" else -1)
        elif event.key == "enter" and choices.chosen is not None:
            self._take_choice(event.field, choices.chosen)
        else:
            self._hide_choices()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """A click on a choice takes it into the field being typed in."""
        if not isinstance(event.option_list, AddressChoices):
            return
        event.stop()
        field = self.focused
        chosen = event.option_list.chosen
        if isinstance(field, AddressInput) and chosen is not None:
            self._take_choice(field, chosen)

    def _take_choice(self, field: AddressInput, chosen: Address) -> None:
        field.value = with_choice(field.value, chosen)
        field.cursor_position = len(field.value)
        self._hide_choices()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if isinstance(event.widget, AddressInput):
            self._hide_choices()

    @property
    def tui(self) -> ComposeActions:
        return self.app  # type: ignore[return-value]

    # ---- autosave ---------------------------------------------------------------------------

    @property
    def drafts_encrypted(self) -> bool:
        """Whether its drafts are kept encrypted to the user's own key (the cache and the
        server's Drafts folder never hold its text in clear): it answers an encrypted message
        (it quotes the decrypted text), or it is to be sent encrypted."""
        return self._initial.answers_encrypted or self.security.encrypts is Encrypt.ON

    @property
    def draft_refused(self) -> str:
        """Why its last draft could not be kept (no key of the user's to encrypt it to, a
        cache that cannot be written); "" when it was, or none was tried yet."""
        return self._draft_refused

    @property
    def unsaved(self) -> bool:
        """Typed text that closing would lose."""
        fields = self.fields()
        return fields != self._initial and fields != self._saved

    def autosave(self, *, now: bool = False) -> bool:
        """Save to the local drafts table if anything changed (in the background; `now`:
        before returning, when the app is closing); True when it saved."""
        fields = self.fields()
        if fields == (self._autosaved or self._initial):
            return False
        self._autosaved = fields
        self.tui.save_draft_locally(self.sender.account, self.message_id,
                                    self.draft_bytes(fields), wait=now, then=self._draft_kept)
        return True

    def _draft_kept(self, error: str) -> None:
        """After a save: say why it failed, once for the same reason (autosave tries often)."""
        if error and error != self._draft_refused:
            self.notify(f"The draft could not be saved: {error}", title="Draft",
                        severity="error", markup=False, timeout=10)
        self._draft_refused = error

    # ---- actions ----------------------------------------------------------------------------

    def _security_line(self) -> Content:
        from tui_mail.ui.keys import key_display

        signer = self._senders[self._sender_index].identity.address.email
        if self.is_mounted:
            signer = self.sender.identity.address.email
        keys = (f"  ({key_display(self.app, 'composer.sign')} signs,"
                f" {key_display(self.app, 'composer.encrypt')} encrypts)")
        return Content(self.security.describe(signer)).append(
            Content(keys).stylize("$text-muted"))

    def _show_security(self) -> None:
        self.query_one("#security", Static).update(self._security_line())

    def action_toggle_sign(self) -> None:
        self.security = self.security.toggle_sign()
        self._show_security()

    def action_toggle_encrypt(self) -> None:
        self.security = self.security.toggle_encrypt()
        self._show_security()

    def action_send(self) -> None:
        if self._sending:
            return
        try:
            draft = self.draft()
        except TuiMailError as exc:
            self.notify(str(exc), title="Not sent", severity="error", markup=False)
            return
        self._sending = True
        self._build_and_send(self.sender.account, draft, self.security)

    @work(thread=True, exit_on_error=False, group="composer-send", description="build a message")
    def _build_and_send(self, account: Account, draft: Draft, security: SecurityChoice,
                        passphrase: str | None = None) -> None:
        """Build the message off the interface: with large attachments the MIME encoding takes
        a good part of a second (0.6 s for 10 MB here); signing and encrypting run gpg. The
        outbox keeps the sealed bytes, so a retry never asks for the passphrase again."""
        from tui_mail.crypto.sealing import PassphraseNeeded

        try:
            composed = compose(draft, attachment_data=read_attachments(draft.attachments),
                               message_id=self.message_id)
            composed = secured(composed, account, security, draft.identity.email,
                               peers=lambda addresses: self.tui.autocrypt_peers(account.name,
                                                                                addresses),
                               find_keys=self.tui.service.find_keys, passphrase=passphrase)
        except PassphraseNeeded as exc:
            self.app.call_from_thread(self._ask_passphrase, account, draft, security,
                                      exc.key_hint)
            return
        except TuiMailError as exc:
            self.app.call_from_thread(self._not_sent, str(exc))
            return
        self.app.call_from_thread(self._built, account, composed)

    def _ask_passphrase(self, account: Account, draft: Draft, security: SecurityChoice,
                        key_hint: str) -> None:
        from tui_mail.ui.screens.ask_text import AskText

        def answered(passphrase: str | None) -> None:
            if passphrase is None:
                self._not_sent("Not sent: signing needs the key's passphrase.")
                return
            self._build_and_send(account, draft, security, passphrase)

        self.app.push_screen(AskText(f"Passphrase to sign, for {key_hint}", secret=True,
                                     hint="Enter: sign and send · Esc: keep writing"), answered)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failure that is not a TuiMailError (a bug) must not leave the composer unable to
        send or close: report it like any other."""
        if event.worker.group == "composer-send" and event.state is WorkerState.ERROR:
            self._not_sent(f"Could not build the message: {event.worker.error}")

    def _not_sent(self, text: str) -> None:
        self._sending = False
        self.notify(text, title="Not sent", severity="error", markup=False)

    def _built(self, account: Account, composed: Composed) -> None:
        self._sending = False
        if not self.tui.can_send(account):
            self.autosave()
            self._saved = self.fields()  # as the notice says: kept, and closing keeps it
            self.notify("The demo account has no mail server, so nothing can be sent. "
                        "The message is kept as a local draft (D reopens it).",
                        title="Not sent", severity="warning", markup=False, timeout=8)
            return
        self.tui.send_composed(account, composed, self.message_id)
        self.dismiss()

    def action_save_draft(self, then: Callable[[], object] | None = None) -> None:
        """Save to the cache and the server's Drafts folder; `then()` once it is kept."""
        fields = self.fields()

        def kept(error: str) -> None:
            self._draft_refused = error
            if error:
                return
            self._autosaved = self._saved = fields
            if then is not None:
                then()

        self.tui.save_draft(self.sender.account, self.message_id, self.draft_bytes(fields),
                            then=kept)

    def action_postpone(self) -> None:
        """Save the draft and close, once it is kept (not when it could not be)."""
        self.action_save_draft(then=lambda: self.dismiss())

    def action_attach(self) -> None:
        self.query_one("#attach", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "attach" or not event.value.strip():
            return
        path = Path(os.path.expanduser(event.value.strip())).resolve()
        if not path.is_file():
            self.notify(f"{sanitize_line(str(path))} is not a file.", severity="warning",
                        markup=False)
            return
        event.input.value = ""
        self._read_attachment(path)

    @work(thread=True, exit_on_error=False, group="composer-attach", description="read a file")
    def _read_attachment(self, path: Path) -> None:
        """Read the file now (in a worker), so the draft keeps it even if it is moved or
        deleted before the message is sent."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.app.call_from_thread(
                self.notify, f"Cannot attach {sanitize_line(str(path))}: {exc.strerror or exc}",
                severity="error", markup=False)
            return
        carried = AttachedFile(path.name, guess_content_type(path.name, data), data)
        self.app.call_from_thread(self.query_one(AttachmentList).add, carried)

    def action_close(self) -> None:
        """Close; asks first when typed text would be lost."""
        if self._sending:
            return  # the message is being built: it is queued or the error shows in a moment
        fields = self.fields()
        if fields == self._initial or fields == self._saved:
            if self._autosaved is not None and not self._reopened and fields == self._initial:
                self.tui.forget_draft(self.message_id)
            self.dismiss()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.tui.forget_draft(self.message_id)
                self.dismiss()

        question = ("Discard the changes made since the draft was saved?" if self._saved
                    else "Discard this message?")
        if self._draft_refused:
            question = f"Discard this message? It is not kept as a draft: {self._draft_refused}."
        self.app.push_screen(ConfirmDiscard(question), answered)

    def action_external_editor(self) -> None:
        """Edit the fields and the body in $VISUAL/$EDITOR (the app suspends meanwhile), then
        read them back: what reads well is taken, the rest is said (mail.editor_text)."""
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        f = self.fields()
        text = editor_text({"From": f.sender, "To": f.to, "Cc": f.cc, "Bcc": f.bcc,
                            "Subject": f.subject}, f.body)
        # .eml: editors know it as mail (vim's "mail" filetype: quoting, wrapping).
        with tempfile.NamedTemporaryFile("w", suffix=".eml", prefix="tui-mail-", delete=False,
                                         encoding="utf-8") as handle:
            handle.write(text)
            path = Path(handle.name)
        keep = False
        try:
            try:
                argv = [*shlex.split(editor), str(path)]
            except ValueError as exc:
                self.notify(f"The editor setting ({sanitize_line(editor)}) cannot be split into"
                            f" words: {exc}.", severity="error", markup=False)
                return
            code = self.tui.run_external_editor(argv)
            if code != 0:
                keep = True  # what was typed in the editor is not thrown away
                self.notify(f"The editor ({sanitize_line(editor)}) exited with status {code};"
                            " the message is unchanged, and the text you edited is kept in"
                            f" {path}.", severity="warning", markup=False, timeout=20)
                return
            edited = read_editor_text(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, TuiMailError) as exc:
            self.notify(f"Could not run the editor: {exc}", severity="error", markup=False)
            return
        finally:
            if not keep:
                path.unlink(missing_ok=True)
        self._take_edited(edited)

    def _take_edited(self, edited: EditedText) -> None:
        problems = list(edited.problems)
        self.body.load_text(edited.body)
        for name in ("To", "Cc", "Bcc", "Subject"):
            if name in edited.headers:
                self.query_one(f"#{name.lower()}", Input).value = sanitize_line(
                    edited.headers[name])
        sender = edited.headers.get("From")
        if sender is not None and sender.strip() and sender.strip() != self.fields().sender:
            index = self._sender_for(sender)
            if index is None:
                problems.append(f"From: {sanitize_line(sender)!r} is not one of your"
                                " addresses; the sender is unchanged")
            else:
                self.query_one("#from", Select).value = index
        if problems:
            self.notify("\n".join(problems), title="From the editor", severity="warning",
                        markup=False, timeout=12)

    def _sender_for(self, text: str) -> int | None:
        """The From choice whose address `text` names (this account's first)."""
        from email.utils import parseaddr

        email = parseaddr(text)[1].casefold()
        if not email:
            return None
        found = [i for i, s in enumerate(self._senders)
                 if s.identity.address.email.casefold() == email]
        same = [i for i in found if self._senders[i].account.name == self.sender.account.name]
        return next(iter(same or found), None)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
