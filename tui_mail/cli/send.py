"""`tui-mail send` (mutt-style: recipients as arguments, body on stdin) and
`tui-mail outbox list|retry|flush|drop`.

Exit statuses: 0 sent (or nothing to do), EXIT_NOT_SAVED (3) when a message was sent but
its copy could not be saved to the Sent folder (only the copy is tried again, never the
message), EXIT_QUEUED (75) when messages wait for a retry and nothing needs the user, 1 when a
message is held (refused, or it may have been sent). Of several, the worst wins: 1, then 75,
then 3.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from tui_mail.cli.context import CliContext
from tui_mail.errors import TuiMailError
from tui_mail.model import Account, AutocryptMode, CryptoKind

EXIT_QUEUED = 75  # EX_TEMPFAIL: the message waits in the outbox for a retry
EXIT_NOT_SAVED = 3  # sent to the recipients, but the copy to Sent failed (it is tried again)


def register(sub: Any) -> None:
    send = sub.add_parser(
        "send",
        help="send a message: recipients as arguments, the body on standard input",
        description="Compose and send a message. It is written to the outbox first and leaves "
        "it only when the server accepted it; if sending fails it stays there "
        "(see `tui-mail outbox`).",
    )
    send.add_argument("to", nargs="*", metavar="TO", help="recipient addresses")
    send.add_argument("--account", "-A", help="send from this account (default: the first)")
    send.add_argument("-s", "--subject", default="", help="subject")
    send.add_argument("-c", "--cc", action="append", default=[], metavar="ADDR", help="Cc (repeatable)")
    send.add_argument("-b", "--bcc", action="append", default=[], metavar="ADDR",
                      help="Bcc (repeatable; only in the envelope, never in the headers)")
    send.add_argument("-a", "--attach", action="append", default=[], metavar="FILE", type=Path,
                      help="attach a file (repeatable)")
    send.add_argument("--message", metavar="FILE.eml", type=Path,
                      help="send a finished message; recipients from its To/Cc/Bcc (Bcc is removed)")
    send.add_argument("--queue-only", action="store_true",
                      help="only write it to the outbox; `tui-mail outbox flush` sends it")
    send.add_argument("--sign", action=argparse.BooleanOptionalAction, default=None,
                      help="sign it (or not) with your key; default: the account's `sign`")
    send.add_argument("--encrypt", action=argparse.BooleanOptionalAction, default=None,
                      help="encrypt it to every recipient and you (or not): one without a key"
                      " stops it; default: the account's `encrypt`")
    send.set_defaults(func=run_send)

    outbox = sub.add_parser("outbox", help="list, retry or flush messages waiting to be sent")
    actions = outbox.add_subparsers(dest="outbox_command", metavar="ACTION")
    listing = actions.add_parser("list", help="show the messages in the outbox (the default)")
    listing.set_defaults(func=run_outbox_list)
    retry = actions.add_parser("retry", help="try these messages again now, whatever their state")
    retry.add_argument("ids", nargs="*", type=int, metavar="ID",
                       help="outbox ids (default: every message that failed or waits; one that "
                       "may have been sent already is sent again only when named)")
    retry.set_defaults(func=run_outbox_retry)
    flush = actions.add_parser("flush", help="send every waiting message now (ignores the backoff)")
    flush.set_defaults(func=run_outbox_flush)
    drop = actions.add_parser("drop", help="remove these messages from the outbox: they are not sent")
    drop.add_argument("ids", nargs="+", type=int, metavar="ID", help="outbox ids")
    drop.set_defaults(func=run_outbox_drop)
    outbox.set_defaults(func=run_outbox_list)


@contextmanager
def _service(ctx: CliContext) -> Iterator[Any]:
    """The app's mail service, for a one-shot command: the same outbox, credentials and
    after-sending steps, all in this thread."""
    from tui_mail.sync.service import MailService, ServiceSettings

    service = MailService(ctx.accounts(), ctx.cache_path,
                          settings=ServiceSettings(background=False))
    try:
        yield service
    finally:
        service.stop()


@contextmanager
def _store(ctx: CliContext) -> Iterator[Any]:
    with _service(ctx) as service:
        yield service.store


def _account(ctx: CliContext, name: str | None) -> Account:
    accounts = ctx.accounts(name)
    if not accounts:
        raise TuiMailError(f"no accounts in {ctx.config().path}: nothing to send from")
    account = accounts[0]
    if account.smtp is None and not account.sendmail_command:
        raise TuiMailError(
            f"account {account.name!r} cannot send: it has no [smtp] server and no sendmail_command"
        )
    return account


def _compose(args: argparse.Namespace, account: Account) -> Any:
    from tui_mail.attachments import read_attachments
    from tui_mail.mail.compose import compose, parse_address_list, prepare_message
    from tui_mail.model import Draft

    if args.message is not None:
        if args.to or args.cc or args.bcc or args.attach or args.subject:
            raise TuiMailError("--message takes the recipients and subject from the file; "
                               "leave out TO, -s, -c, -b and -a")
        try:
            raw = args.message.read_bytes()
        except OSError as exc:
            raise TuiMailError(f"{args.message}: cannot read: {exc.strerror or exc}") from None
        return prepare_message(raw, account.address)
    if not (args.to or args.cc or args.bcc):
        raise TuiMailError("no recipients: give at least one TO address (or -c/-b)")
    body = sys.stdin.read()
    draft = Draft(
        identity=account.address,
        to=parse_address_list(", ".join(args.to)),
        cc=parse_address_list(", ".join(args.cc)),
        bcc=parse_address_list(", ".join(args.bcc)),
        subject=args.subject,
        body=body,
        attachments=tuple(args.attach),
    )
    return compose(draft, attachment_data=read_attachments(draft.attachments),
                   signature=account.signature)


def _report(delivery: Any, label: str) -> int:
    """Print what happened to one message and return its exit status (server words are
    untrusted text: control characters removed)."""
    from dataclasses import replace

    from tui_mail.mail.sanitize import sanitize_line

    delivery = replace(delivery, error=sanitize_line(delivery.error),
                       warning=sanitize_line(delivery.warning),
                       copy_error=sanitize_line(delivery.copy_error))
    if delivery.sent and not delivery.refused:
        if delivery.copy_error:
            _say_not_saved(delivery, label)
        elif delivery.copy_retry:
            print(f"{label}: saved to Sent (it had been sent already); removed from the outbox")
        elif delivery.already_sent:
            print(f"{label}: already sent (by an interrupted earlier attempt); removed from the outbox")
        else:
            print(f"{label}: sent")
        if delivery.warning:
            print(f"  warning: {delivery.warning}", file=sys.stderr)
        return EXIT_NOT_SAVED if delivery.copy_error else 0
    if delivery.sent:
        print(f"{label}: sent to the other recipients, but {delivery.error}", file=sys.stderr)
        print(f"  the refused recipients stay in the outbox as #{delivery.remaining_id}",
              file=sys.stderr)
        if delivery.copy_error:
            _say_not_saved(delivery, label)
        return 1
    if delivery.unsure:
        print(f"{label}: {delivery.error}", file=sys.stderr)
        print(f"  {_unsure_advice(delivery.entry_id)}", file=sys.stderr)
        return 1
    if delivery.busy:
        print(f"{label}: not sent yet, kept in the outbox: {delivery.error}", file=sys.stderr)
        return EXIT_QUEUED
    if delivery.temporary:
        when = f" at {_when(delivery.next_attempt_at)}" if delivery.next_attempt_at else ""
        print(f"{label}: not sent yet, kept in the outbox; it will be retried{when}: "
              f"{delivery.error}", file=sys.stderr)
        return EXIT_QUEUED
    print(f"{label}: not sent, kept in the outbox: {delivery.error}", file=sys.stderr)
    return 1


def _say_not_saved(delivery: Any, label: str) -> None:
    """The message reached the server; its copy to the Sent folder did not (and it is not
    sent again: only the copy is retried)."""
    sent = "sent to the recipients" + (" earlier" if delivery.already_sent else "")
    print(f"{label}: {sent}, but not saved to Sent: {delivery.copy_error}", file=sys.stderr)
    print(f"  {_copy_advice(delivery.entry_id, delivery.next_attempt_at)}", file=sys.stderr)


def _copy_advice(entry_id: int, when: datetime | None) -> str:
    later = f" at {_when(when)}, or now" if when else ""
    return (f"the copy will be tried again{later} with `tui-mail outbox retry {entry_id}` "
            "(the message itself is not sent again)")


def _unsure_advice(entry_id: int) -> str:
    return (f"check the recipient's copy or your Sent folder; `tui-mail outbox retry {entry_id}` "
            f"sends it again, `tui-mail outbox drop {entry_id}` drops it")


def _secured(args: argparse.Namespace, account: Account, composed: Any, service: Any) -> Any:
    """Signed, encrypted and carrying the Autocrypt header as the account and the options
    say, as the composer sends it. A key that needs its passphrase asks on the terminal."""
    from dataclasses import replace

    from tui_mail.crypto.outgoing import Encrypt, SecurityChoice, secured
    from tui_mail.crypto.sealing import PassphraseNeeded
    from tui_mail.mail.draftfile import DraftFields

    choice = SecurityChoice.initial(account, DraftFields(account.name, str(account.address)))
    if args.sign is not None:
        choice = replace(choice, sign=args.sign)
    if args.encrypt is not None:
        choice = replace(choice, encrypt=Encrypt.ON if args.encrypt else Encrypt.OFF,
                         chosen=True)

    def peers(addresses: list[str]) -> dict[str, Any]:
        return service.store.autocrypt_peers_of(account.name, addresses)

    if account.autocrypt is not AutocryptMode.OFF and account.crypto is CryptoKind.OPENPGP:
        from tui_mail.crypto.outgoing import usable_peers
        from tui_mail.mail.autocrypt import recommend_all

        own = {identity.address.email.lower() for identity in account.all_identities}
        others = [address.lower() for address in composed.rcpts if address.lower() not in own]
        known = usable_peers(peers(others))
        choice = choice.recommending(recommend_all(
            [known.get(address) for address in others],
            own_mutual=account.autocrypt is AutocryptMode.MUTUAL, reply_to_encrypted=False))
    passphrase = None
    while True:
        try:
            return secured(composed, account, choice, composed.mail_from, peers=peers,
                           find_keys=service.find_keys, passphrase=passphrase)
        except PassphraseNeeded as exc:
            if passphrase is not None:
                raise
            passphrase = _ask_passphrase(exc.key_hint)


def _ask_passphrase(key_hint: str) -> str:
    """The key's passphrase, read on the terminal (standard input holds the body)."""
    import getpass

    try:
        with open("/dev/tty", "rb"):
            pass
    except OSError:
        raise TuiMailError(f"signing needs the passphrase of {key_hint}, and there is no"
                           " terminal to ask it on: unlock the key in gpg-agent first, or"
                           " send it with --no-sign") from None
    return getpass.getpass(f"Passphrase for {key_hint}: ")


def run_send(args: argparse.Namespace, ctx: CliContext) -> int:
    account = _account(ctx, args.account)
    composed = _compose(args, account)
    with _service(ctx) as service:
        composed = _secured(args, account, composed, service)
        outbox = service.outbox(account)
        entry_id = outbox.queue(composed)
        if args.queue_only:
            print(f"outbox #{entry_id}: queued")
            return 0
        import asyncio

        delivery = asyncio.run(outbox.deliver(entry_id))
    return _report(delivery, f"outbox #{entry_id}")


def _subject(raw: bytes) -> str:
    from email import policy
    from email.parser import BytesHeaderParser

    from tui_mail.mail.sanitize import sanitize_line

    try:
        value = BytesHeaderParser(policy=policy.default).parsebytes(raw).get("subject", "")
    except Exception:  # noqa: BLE001 - a listing must not fail on one odd header
        return ""
    return sanitize_line(str(value or ""))


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _state_words(entry: Any) -> str:
    """What a listed message's state means to its owner, and what they can do."""
    from tui_mail.mail.sanitize import sanitize_line

    state = entry.state
    if state == "failed":
        return f"waiting, next try at {_when(entry.next_attempt_at)}"
    if state == "held":
        return f"held, waits for you (edit it, or `tui-mail outbox retry {entry.id}`)"
    if state == "unsure":
        return f"MAY HAVE BEEN SENT, waits for you: {_unsure_advice(entry.id)}"
    if state in ("sending", "committing"):
        return "being sent (if no tui-mail is running, the next flush finishes it)"
    if state == "accepted":
        if entry.next_attempt_at is None:
            return "sent, finishing"
        return (f"sent, but not saved to Sent; tried again at {_when(entry.next_attempt_at)} "
                f"(or `tui-mail outbox retry {entry.id}`)")
    return sanitize_line(state)


def run_outbox_list(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui_mail.mail.sanitize import sanitize_line

    with _store(ctx) as store:
        entries = list(store.queues.outbox_list())
        if not entries:
            print("The outbox is empty.")
            return 0
        for entry in entries:
            rcpts = ", ".join(entry.rcpts)
            print(f"#{entry.id}  {entry.account}  {_state_words(entry)}  to {rcpts}  "
                  f"subject {_subject(entry.raw)!r}")
            if entry.last_error:
                print(f"    {sanitize_line(entry.last_error)}")
    return 0


def _senders(ctx: CliContext) -> list[Account]:
    return [a for a in ctx.accounts() if a.smtp is not None or a.sendmail_command]


def _deliver(ctx: CliContext, pick: Any) -> tuple[list[Any], int]:
    """Deliver, per account, the ids `pick(outbox)` chooses (None: every due entry), printing
    one line per message as it goes. Returns the deliveries and the worst exit status."""
    import asyncio

    results: list[Any] = []
    worst = 0

    def report(delivery: Any) -> None:
        nonlocal worst
        results.append(delivery)
        code = _report(delivery, f"outbox #{delivery.entry_id}")
        worst = max(worst, code, key=_severity)

    with _service(ctx) as service:
        for account in _senders(ctx):
            outbox = service.outbox(account)
            ids = pick(outbox)
            if ids is not None and not ids:
                continue
            asyncio.run(outbox.flush(ignore_backoff=True, ids=ids, on_delivery=report))
    return results, worst


def _severity(code: int) -> int:
    return {0: 0, EXIT_NOT_SAVED: 1, EXIT_QUEUED: 2}.get(code, 3)


def _summary(ctx: CliContext, results: Sequence[Any]) -> int:
    """The summary line after a flush: what was sent, what waits, what needs the user; the
    exit status follows it (1 when something is held, 75 when something waits, 3 when a sent
    message is not saved to Sent)."""
    names = {a.name for a in _senders(ctx)}
    with _store(ctx) as store:
        left = [e for e in store.queues.outbox_list() if e.account in names]
    sent = sum(1 for d in results if d.sent and not d.copy_retry)
    waiting = [e for e in left if e.state in ("queued", "failed", "sending", "committing")]
    held = [e for e in left if e.state in ("held", "unsure")]
    unsure = [e for e in held if e.state == "unsure"]
    copies = [e for e in left if e.state == "accepted"]
    parts = [f"sent {sent}"]
    retry_at = [e.next_attempt_at for e in waiting if e.state == "failed" and e.next_attempt_at]
    parts.append(f"waiting {len(waiting)}"
                 + (f" (next retry at {_when(min(retry_at))})" if retry_at else ""))
    parts.append(f"held {len(held)}"
                 + (f" ({len(unsure)} may have been sent: retry or drop them)" if unsure else ""))
    line = ", ".join(parts)
    if copies:
        line += f"; {len(copies)} sent but not saved to Sent"
    if not left:
        line += "; the outbox is empty"
    print(line)
    if held:
        return 1
    if waiting:
        return EXIT_QUEUED
    return EXIT_NOT_SAVED if copies else 0


def run_outbox_flush(args: argparse.Namespace, ctx: CliContext) -> int:
    results, _ = _deliver(ctx, lambda outbox: None)
    return _summary(ctx, results)


def run_outbox_retry(args: argparse.Namespace, ctx: CliContext) -> int:
    wanted: Sequence[int] = args.ids
    if wanted:
        known = _known(ctx, wanted)
        _, worst = _deliver(
            ctx, lambda outbox: [i for i in wanted if known[i] == outbox.account.name]
        )
        return worst
    again = ("queued", "failed", "held", "accepted")  # not `unsure`: only when named
    results, _ = _deliver(ctx, lambda outbox: [e.id for e in outbox.entries() if e.state in again])
    return _summary(ctx, results)


def _known(ctx: CliContext, ids: Sequence[int]) -> dict[int, str]:
    """The account of each id; an error naming the ids that are not in the outbox."""
    with _store(ctx) as store:
        known = {e.id: e.account for e in store.queues.outbox_list()}
    missing = [i for i in ids if i not in known]
    if missing:
        raise TuiMailError(f"no message {', '.join(f'#{i}' for i in missing)} in the outbox")
    return known


def run_outbox_drop(args: argparse.Namespace, ctx: CliContext) -> int:
    """Remove messages from the outbox, unless an attempt at one is under way (an attempt
    claims its message first: a message is sent or dropped, never both)."""
    _known(ctx, args.ids)
    with _store(ctx) as store:
        for entry_id in dict.fromkeys(args.ids):
            entry = store.queues.outbox_get(entry_id)
            if entry is None:
                continue
            if not store.queues.outbox_remove_waiting(entry_id):
                raise TuiMailError(f"outbox #{entry_id} is being sent right now; try again "
                                   "in a moment")
            if entry.state == "accepted":
                print(f"outbox #{entry_id}: dropped (it had been sent; no copy will be saved "
                      "to Sent)")
            else:
                print(f"outbox #{entry_id}: dropped; it will not be sent")
    return 0
