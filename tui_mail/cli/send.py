"""`tui-mail send` (mutt-style: recipients as arguments, body on stdin) and
`tui-mail outbox list|retry|flush`."""

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
from tui_mail.model import Account

EXIT_QUEUED = 75  # EX_TEMPFAIL: the message waits in the outbox for a retry


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
    send.set_defaults(func=run_send)

    outbox = sub.add_parser("outbox", help="list, retry or flush messages waiting to be sent")
    actions = outbox.add_subparsers(dest="outbox_command", metavar="ACTION")
    listing = actions.add_parser("list", help="show the messages in the outbox (the default)")
    listing.set_defaults(func=run_outbox_list)
    retry = actions.add_parser("retry", help="try these messages again now, whatever their state")
    retry.add_argument("ids", nargs="*", type=int, metavar="ID",
                       help="outbox ids (default: every message that failed or waits)")
    retry.set_defaults(func=run_outbox_retry)
    flush = actions.add_parser("flush", help="send every waiting message now (ignores the backoff)")
    flush.set_defaults(func=run_outbox_flush)
    outbox.set_defaults(func=run_outbox_list)


@contextmanager
def _store(ctx: CliContext) -> Iterator[Any]:
    from tui_mail.store import Store

    with Store.open(ctx.cache_path) as store:
        yield store


def _outbox(store: Any, account: Account) -> Any:
    from tui_mail.cli.accounts import credentials
    from tui_mail.sync.outbox import Outbox

    return Outbox(
        store, account,
        smtp_credentials=(lambda: credentials(account, "smtp")) if account.smtp else None,
        imap_credentials=lambda: credentials(account, "incoming"),
    )


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
    from tui_mail.mail.compose import compose, parse_address_list, prepare_message
    from tui_mail.model import Draft
    from tui_mail.sync.outbox import read_attachments

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
    """Print what happened (server words are untrusted text: control characters removed)."""
    from dataclasses import replace

    from tui_mail.mail.sanitize import sanitize_line

    delivery = replace(delivery, error=sanitize_line(delivery.error),
                       warning=sanitize_line(delivery.warning))
    if delivery.sent and not delivery.refused:
        if delivery.already_sent:
            print(f"{label}: already sent (found in the Sent folder); removed from the outbox")
        else:
            print(f"{label}: sent")
        if delivery.warning:
            print(f"  warning: {delivery.warning}", file=sys.stderr)
        return 0
    if delivery.sent:
        print(f"{label}: sent to the other recipients, but {delivery.error}", file=sys.stderr)
        print(f"  the refused recipients stay in the outbox as #{delivery.remaining_id}",
              file=sys.stderr)
        return 1
    if delivery.temporary:
        print(f"{label}: not sent yet, kept in the outbox; it will be retried: {delivery.error}",
              file=sys.stderr)
        return EXIT_QUEUED
    print(f"{label}: not sent, kept in the outbox: {delivery.error}", file=sys.stderr)
    return 1


def run_send(args: argparse.Namespace, ctx: CliContext) -> int:
    account = _account(ctx, args.account)
    composed = _compose(args, account)
    with _store(ctx) as store:
        outbox = _outbox(store, account)
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
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else "-"


def run_outbox_list(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui_mail.mail.sanitize import sanitize_line

    with _store(ctx) as store:
        entries = list(store.outbox_list())
        if not entries:
            print("The outbox is empty.")
            return 0
        for entry in entries:
            rcpts = ", ".join(entry.rcpts)
            state = entry.state
            if state == "failed":
                state += f", will retry at {_when(entry.next_attempt_at)}"
            elif state == "held":
                state += ", waits for you (edit it, or `tui-mail outbox retry`)"
            print(f"#{entry.id}  {entry.account}  {state}  to {rcpts}  "
                  f"subject {_subject(entry.raw)!r}")
            if entry.last_error:
                print(f"    {sanitize_line(entry.last_error)}")
    return 0


def _deliver_all(ctx: CliContext, pick: Any) -> int:
    import asyncio

    worst = 0
    with _store(ctx) as store:
        for account in ctx.accounts():
            if account.smtp is None and not account.sendmail_command:
                continue
            outbox = _outbox(store, account)
            for entry_id in pick(outbox):
                code = _report(asyncio.run(outbox.deliver(entry_id)), f"outbox #{entry_id}")
                worst = code if worst == 0 else worst
        if worst == 0 and not list(store.outbox_list()):
            print("The outbox is empty.")
    return worst


def run_outbox_flush(args: argparse.Namespace, ctx: CliContext) -> int:
    return _deliver_all(ctx, lambda outbox: [e.id for e in outbox.due(ignore_backoff=True)])


def run_outbox_retry(args: argparse.Namespace, ctx: CliContext) -> int:
    wanted: Sequence[int] = args.ids
    if wanted:
        with _store(ctx) as store:
            known = {e.id: e.account for e in store.outbox_list()}
        missing = [i for i in wanted if i not in known]
        if missing:
            raise TuiMailError(f"no message {', '.join(f'#{i}' for i in missing)} in the outbox")
        return _deliver_all(
            ctx, lambda outbox: [i for i in wanted if known[i] == outbox.account.name]
        )
    return _deliver_all(
        ctx, lambda outbox: [e.id for e in outbox.entries() if e.state != "sending"]
        + [e.id for e in outbox.due() if e.state == "sending"]
    )
