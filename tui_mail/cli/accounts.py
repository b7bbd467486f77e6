"""`tui-mail accounts list|check|set-password|login|logout`."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING, Any, Literal

from tui_mail.cli.context import CliContext
from tui_mail.errors import SecretError, TuiMailError
from tui_mail.model import Account, Protocol, ServerConfig

if TYPE_CHECKING:
    from tui_mail.oauth2.flows import DeviceCode


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
    login = actions.add_parser(
        "login", help="sign in with OAuth2 (Google, Microsoft, ...) and keep the refresh token"
    )
    login.add_argument("name", help="account name")
    way = login.add_mutually_exclusive_group()
    way.add_argument("--browser", dest="flow", action="store_const", const="browser",
                     help="sign in in a browser on this machine (the default with a display)")
    way.add_argument("--device", dest="flow", action="store_const", const="device",
                     help="show a code to enter on any other device (the default over SSH)")
    login.set_defaults(func=run_login)
    logout = actions.add_parser("logout", help="forget an account's OAuth2 sign-in on this machine")
    logout.add_argument("name", help="account name")
    logout.set_defaults(func=run_logout)


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
        if account.oauth2:
            print(f"  sign-in:  OAuth2 ({account.oauth2.provider}); `tui-mail accounts login "
                  f"{account.name}` signs in")
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
        servers: list[tuple[Literal["incoming", "smtp"], ServerConfig]] = [("incoming", account.incoming)]
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


class _PrintedPrompt:
    """A sign-in as the terminal shows it (every line through the CLI's safe stream)."""

    def open_url(self, url: str, opened: bool) -> None:
        if opened:
            print("Your browser was opened to sign in. If it shows nothing, open this address:")
        else:
            print("Open this address in a browser to sign in:")
        print(f"  {url}")
        print("On another machine (over SSH)? Sign in there, then paste here the address the "
              "browser ends on (it starts with http://localhost or http://127.0.0.1; that page "
              "may fail to load).")
        print("Waiting for the sign-in (Ctrl+C to give up)...", flush=True)

    def enter_code(self, code: DeviceCode) -> None:
        print(f"On any device, open {code.verification_uri} and enter the code: "
              f"{code.user_code}")
        if code.verification_uri_complete:
            print(f"  (or open {code.verification_uri_complete})")
        minutes = max(1, int(code.expires_in // 60))
        print(f"Waiting for the sign-in (the code works for {minutes} min; Ctrl+C to give "
              "up)...", flush=True)


def _read_pasted_redirects(receiver: Any) -> None:
    """Feed lines typed on stdin to the loopback listener, in a daemon thread (over SSH the
    browser's redirect cannot reach this machine, so the user pastes it)."""
    import threading

    def read() -> None:
        for line in sys.stdin:
            if not line.strip():
                continue
            if receiver.deliver(line):
                return
            print("That is not the address this sign-in is waiting for; paste the whole "
                  "address from the browser's address bar.", flush=True)

    threading.Thread(target=read, daemon=True, name="oauth2-paste").start()


def run_login(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui_mail.model import OAuth2Flow
    from tui_mail.oauth2 import tokens
    from tui_mail.oauth2.flows import chosen_flow
    from tui_mail.oauth2.http import OAuthError
    from tui_mail.oauth2.words import failure_words

    account = ctx.config().account(args.name)
    if account.oauth2 is None:
        raise SecretError(
            f"account {account.name!r} does not sign in with OAuth2: add an "
            f"[accounts.{account.name}.oauth2] table (see the README, 'Signing in with Google, "
            "Microsoft or another OAuth2 provider'), or store a password with "
            f"`tui-mail accounts set-password {account.name}`"
        )
    flow = OAuth2Flow(args.flow) if args.flow else chosen_flow(account.oauth2)
    from tui_mail.oauth2.providers import provider_label

    label = provider_label(account.oauth2)
    print(f"Signing in {account.name} ({account.incoming.username}) with {label}.")
    try:
        tokens.sign_in(account, _PrintedPrompt(), flow=flow,
                       receiver_ready=_read_pasted_redirects)
    except OAuthError as exc:
        _, words = failure_words(
            exc, label, again=f"Run `tui-mail accounts login {account.name}` to try again.",
            check_client=f"Check client_id in [accounts.{account.name}.oauth2] of "
                         f"{ctx.config().path}: it must be a desktop app registered with "
                         f"{label}.")
        print(words, file=sys.stderr)
        return 1
    print(f"Signed in. The refresh token is kept in {tokens.kept_where(account)}.")
    from tui_mail.remote.connection import describe

    try:
        _probe(account, "incoming", account.incoming)
    except TuiMailError as exc:
        print(f"But logging in to {describe(account.incoming)} failed: {exc}", file=sys.stderr)
        return 1
    print(f"Logged in to {describe(account.incoming)}: ready. Run `tui-mail` or "
          "`tui-mail sync`.")
    return 0


def run_logout(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui_mail.oauth2 import tokens

    account = ctx.config().account(args.name)
    if account.oauth2 is None:
        raise SecretError(f"account {account.name!r} does not sign in with OAuth2")
    tokens.sign_out(account)
    print(f"Forgot the sign-in of {account.name!r} on this machine. The permission stays "
          "granted at the provider until you remove it there.")
    return 0
