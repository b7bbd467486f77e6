"""`tui-mail folders [list|create|rename|delete|subscribe|unsubscribe] [--account NAME]`.

The listing reads the cache (offline). A change goes through the mail service as in the app
(`MailService.create_folder` and its siblings): the cache at once, then the queued actions are
sent to the server (the replay of `sync`, without syncing every folder). Exit status: 0 done
on the server, 1 refused by the server (its words on stderr; the cache is put back) or a
delete not confirmed, 2 refused by tui-mail (no such folder, a role folder, a bad name), 75
queued because the server cannot be reached (sent at the next sync or by the app).
Folder names come from servers: everything printed goes through `sanitize_line`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from tui_mail.cli.context import CliContext
from tui_mail.cli.send import EXIT_QUEUED  # 75, EX_TEMPFAIL: done when the server answers
from tui_mail.errors import UsageError
from tui_mail.mail.sanitize import sanitize_line

if TYPE_CHECKING:
    from tui_mail.model import Account, Folder
    from tui_mail.sync.service import FolderOutcome, MailService


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "folders", help="list, create, rename, delete and (un)subscribe folders",
        description="Without an action: list the cached folders (name, role, total/unread, "
        "subscribed). NAME is a path in your own folders, / between levels (Projects/2025), "
        "or the name as the server spells it.")
    _account_option(parser, default=None)
    parser.set_defaults(func=run_list)
    actions = parser.add_subparsers(dest="folders_command", metavar="ACTION")
    listing = actions.add_parser("list", help="list the cached folders (the default)")
    _account_option(listing)
    listing.set_defaults(func=run_list)
    create = actions.add_parser("create", help="create a folder (subscribed)")
    create.add_argument("name", help="e.g. Projects/2025")
    _account_option(create)
    create.set_defaults(func=run_change, change="create")
    rename = actions.add_parser("rename", help="rename a folder (its subfolders go with it)")
    rename.add_argument("name")
    rename.add_argument("new_name", metavar="NEW_NAME")
    _account_option(rename)
    rename.set_defaults(func=run_change, change="rename")
    delete = actions.add_parser("delete", help="delete a folder and its messages")
    delete.add_argument("name")
    delete.add_argument("--yes", "-y", action="store_true",
                        help="do not ask (it is asked only when standard input is a terminal)")
    _account_option(delete)
    delete.set_defaults(func=run_change, change="delete")
    for verb in ("subscribe", "unsubscribe"):
        action = actions.add_parser(verb, help=f"{verb} {'to' if verb == 'subscribe' else 'from'}"
                                    " a folder")
        action.add_argument("name")
        _account_option(action)
        action.set_defaults(func=run_change, change=verb)


def _account_option(parser: argparse.ArgumentParser, default: object = argparse.SUPPRESS) -> None:
    # Accepted before and after the action; the action's own default does not hide the other.
    parser.add_argument("--account", "-A", metavar="NAME", default=default,
                        help="the account (needed when there are several)")


# -- listing --------------------------------------------------------------------------------

def run_list(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui_mail.store import Store

    accounts = ctx.accounts(args.account)
    if not ctx.cache_path.is_file():
        print("No cache yet: run `tui-mail sync` first.", file=sys.stderr)
        return 0
    with Store.open(ctx.cache_path, readonly=True) as store:
        listed = {account.name: store.folders(account.name) for account in accounts}
    for index, account in enumerate(accounts):
        if index:
            print()
        print(f"{sanitize_line(account.name)}:")
        folders = listed[account.name]
        if not folders:
            print("  (no folders cached: run `tui-mail sync`)")
            continue
        print(_table(account, folders))
    return 0


def _table(account: Account, folders: list[Folder]) -> str:
    rows = [("NAME", "ROLE", "TOTAL", "UNREAD", "SUBSCRIBED")]
    for folder in folders:
        shown = "yes" if folder.subscribed else "no"
        if not folder.shown(account.only_subscribed):
            shown += " (hidden)"
        rows.append((sanitize_line(folder.name), str(folder.role) or "-", str(folder.total),
                     str(folder.unread), shown))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        name, role, total, unread, subscribed = row
        lines.append(f"  {name:<{widths[0]}}  {role:<{widths[1]}}  {total:>{widths[2]}}  "
                     f"{unread:>{widths[3]}}  {subscribed}")
    return "\n".join(lines)


# -- changes --------------------------------------------------------------------------------

def run_change(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui_mail.sync.service import MailService, ServiceSettings

    account = _one_account(args, ctx)
    service = MailService(ctx.accounts(), ctx.cache_path,
                          settings=ServiceSettings(background=False))
    try:
        outcome = _change(args, service, account)
        if outcome is None:
            print("tui-mail: nothing deleted", file=sys.stderr)
            return 1
        return _send(service, account, outcome)
    finally:
        service.stop()


def _one_account(args: argparse.Namespace, ctx: CliContext) -> Account:
    if args.account is not None:
        return ctx.accounts(args.account)[0]
    accounts = ctx.accounts()
    if len(accounts) != 1:
        names = ", ".join(a.name for a in accounts) or "none configured"
        raise UsageError(f"which account? name it with --account (accounts: {names})")
    return accounts[0]


def _change(args: argparse.Namespace, service: MailService,
            account: Account) -> FolderOutcome | None:
    change = args.change
    if change == "create":
        return service.create_folder(account.name, args.name)
    folder = _existing(service, account, args.name)
    if change == "rename":
        return service.rename_folder(account.name, folder.name, args.new_name)
    if change == "delete":
        if not args.yes and sys.stdin.isatty() and not _confirmed(folder):
            return None
        return service.delete_folder(account.name, folder.name)
    return service.subscribe_folder(account.name, folder.name, change == "subscribe")


def _existing(service: MailService, account: Account, name: str) -> Folder:
    """The cached folder `name` names: as the server spells it, or as a path typed in the
    app ("Projects/2025" for "INBOX.Projects.2025")."""
    from tui_mail.sync.folder_actions import FolderRefused, server_name

    store = service.store
    folder = store.folder(account.name, name)
    if folder is None:
        try:
            folder = store.folder(account.name, server_name(
                name, *store.folder_edits.personal_namespace(account.name)))
        except FolderRefused:
            folder = None
    if folder is None:
        names = sorted(f.name for f in store.folders(account.name))
        shown = ", ".join(sanitize_line(n) for n in names[:15]) or "none cached: run " \
            "`tui-mail sync`"
        raise UsageError(f"{account.name}: no folder {name!r} (folders: {shown})")
    return folder


def _confirmed(folder: Folder) -> bool:
    what = f" and its {folder.total} message{'s' if folder.total != 1 else ''}" \
        if folder.total else ""
    answer = input(f"Delete folder {sanitize_line(folder.name)}{what}? (y/n) ")
    return answer.strip().lower() in ("y", "yes")


def _send(service: MailService, account: Account, outcome: FolderOutcome) -> int:
    """Send the queued change now (the queued actions before it go first, in order) and say
    what became of it."""
    if not outcome.queued:
        print(sanitize_line(outcome.message))
        return 0
    result = service.sync_once(account, folders=[])  # the queue only: no folder is synced
    action = next((a for a in service.store.queues.actions(account.name)
                   if a.id == outcome.action_id), None)
    state = str(getattr(action, "state", "done"))
    if state == "failed":
        reason = sanitize_line(str(getattr(action, "error", "") or "refused by the server"))
        print(f"tui-mail: {account.name}: {reason}", file=sys.stderr)
        return 1
    if state == "pending":
        why = sanitize_line(str(result.stopped_by or (result.errors[-1] if result.errors
                                                      else "the server did not answer")))
        print(f"{sanitize_line(outcome.message)} Not on the server yet: it is sent at the next "
              f"sync ({why}).")
        return EXIT_QUEUED
    print(sanitize_line(outcome.message))
    for error in result.errors:  # earlier queued actions the server refused
        print(f"tui-mail: {account.name}: {sanitize_line(error)}", file=sys.stderr)
    return 0
