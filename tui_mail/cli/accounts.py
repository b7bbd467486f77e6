"""`tui-mail accounts list|check|set-password`."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any, Literal

from tui_mail.cli.context import CliContext
from tui_mail.errors import SecretError, TuiMailError
from tui_mail.model import Account, Protocol, ServerConfig


def register(sub: Any) -> None:
    parser = sub.add_parser("accounts", help="list, check and set passwords of configured accounts")
    actions = parser.add_subparsers(dest="accounts_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list the configured accounts")
    listing.set_defaults(func=run_list)
    check = actions.add_parser(
        "check", help="connect and log in to each account's servers; print their capabilities"
    )
    check.add_argument("name", nargs="?", help="only this account")
    check.set_defaults(func=run_check)
    setpw = actions.add_parser("set-password", help="store a password in the system keyring")
    setpw.add_argument("name", help="account name")
    setpw.add_argument("role", nargs="?", choices=("incoming", "smtp"), default="incoming")
    setpw.set_defaults(func=run_set_password)


def _server_line(server: ServerConfig | None) -> str:
    from tui_mail.remote.connection import describe

    return describe(server) if server else "(none)"


def run_list(args: argparse.Namespace, ctx: CliContext) -> int:
    accounts = ctx.accounts()
    if not accounts:
        print(f"No accounts in {ctx.config().path}.")
        return 0
    for account in accounts:
        print(f"{account.name}: {account.address}")
        print(f"  incoming: {_server_line(account.incoming)}  user {account.incoming.username}")
        if account.smtp:
            print(f"  smtp:     {_server_line(account.smtp)}  user {account.smtp.username}")
        elif account.sendmail_command:
            print(f"  sending:  sendmail_command {account.sendmail_command}")
        else:
            print("  smtp:     (none: this account cannot send)")
    return 0


def _probe(account: Account, role: Literal["incoming", "smtp"], server: ServerConfig) -> list[str]:
    from tui_mail.sync.credentials import credentials

    creds = credentials(account, role)
    if server.protocol is Protocol.IMAP:
        from tui_mail.remote import imap

        return imap.probe(server, creds)
    if server.protocol is Protocol.POP3:
        from tui_mail.remote import pop3

        return pop3.probe(server, creds)
    import asyncio

    from tui_mail.remote import smtp

    return asyncio.run(smtp.probe(server, creds))


def run_check(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui_mail.remote.connection import describe

    failures = 0
    for account in ctx.accounts(args.name):
        print(f"{account.name}:")
        servers: list[tuple[str, ServerConfig]] = [("incoming", account.incoming)]
        if account.smtp:
            servers.append(("smtp", account.smtp))
        for role, server in servers:
            label = f"  {role:<8} {describe(server)}"
            try:
                caps = _probe(account, role, server)
            except TuiMailError as exc:
                failures += 1
                print(f"{label}: FAILED")
                print(f"    {exc}")
                continue
            print(f"{label}: OK")
            print(f"    capabilities: {' '.join(caps) or '(none announced)'}")
    if failures:
        print(f"{failures} check(s) failed.", file=sys.stderr)
        return 1
    return 0


def run_set_password(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui_mail import secrets

    account = ctx.config().account(args.name)
    if args.role == "smtp" and account.smtp is None:
        raise SecretError(f"account {account.name!r} has no [smtp] server configured")
    prompt = f"Password for {account.name} ({args.role}): "
    if sys.stdin.isatty():
        password = getpass.getpass(prompt)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise SecretError("empty password: nothing stored")
    secrets.set_password(account, args.role, password)
    print(f"Stored the {args.role} password of {account.name!r} in the keyring (service tui-mail).")
    return 0
