"""`tui-mail show`, `tui-mail search` and `tui-mail import`: the cache and messages, offline."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tui_mail.cli.context import CliContext
from tui_mail.errors import TuiMailError


def register(sub: Any) -> None:
    show = sub.add_parser("show", help="print a message file rendered as the reader shows it")
    show.add_argument("file", help="an .eml file, or - for standard input")
    show.add_argument("--html", action="store_true", help="render the HTML part when there is one")
    show.add_argument("--raw", action="store_true", help="print the raw source (made safe)")
    show.set_defaults(func=run_show)

    search = sub.add_parser(
        "search",
        help="search the local cache (works offline)",
        description="Query language: free words, \"phrases\", prefix*, -word, or, from:, to:, "
        "subject:, has:attachment, is:unread|read|flagged, date:2024-01..2024-03, date:7d.., "
        "folder:, account:",
    )
    search.add_argument("query", nargs="+", help="the query (words are joined with spaces)")
    search.add_argument("--account", help="only this account")
    search.add_argument("--folder", help="only this folder")
    search.add_argument("--limit", type=int, default=50, help="at most this many results (50)")
    search.add_argument("--json", action="store_true", help="one JSON object per line")
    search.set_defaults(func=run_search)

    imp = sub.add_parser("import", help="import a Maildir or an mbox file into a local folder")
    imp.add_argument("path", help="a Maildir folder (with cur/ and new/) or an mbox file")
    imp.add_argument("--account", default="local", help="account name in the cache (local)")
    imp.add_argument("--folder", help="folder name (default: the Maildir's or mbox's name)")
    imp.set_defaults(func=run_import)


def _read_input(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise TuiMailError(f"cannot read {name}: {exc.strerror or exc}") from None


def run_show(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui_mail.mail.parse import parse_message
    from tui_mail.mail.render import render_raw
    from tui_mail.mail.textview import message_as_text

    raw = _read_input(args.file)
    if args.raw:
        text = render_raw(raw) + "\n"
    else:
        text = message_as_text(parse_message(raw), prefer_html=args.html)
    sys.stdout.write(text)
    return 0


def _open_store(ctx: CliContext) -> Any:
    from tui_mail.store import Store

    return Store.open(ctx.cache_path)


def run_search(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui_mail.mail.sanitize import sanitize_line

    store = _open_store(ctx)
    try:
        rows = store.search(
            " ".join(args.query), account=args.account, folder=args.folder, limit=args.limit
        )
    finally:
        store.close()
    for row in rows:
        if args.json:
            print(json.dumps({
                "id": row.id, "account": row.account, "folder": row.folder,
                "date": row.date.isoformat(), "from": str(row.sender), "subject": row.subject,
                "message_id": row.message_id, "unread": not row.flags.seen,
                "flagged": row.flags.flagged, "has_attachment": row.has_attachment,
            }, ensure_ascii=False))
        else:
            marks = ("N" if not row.flags.seen else " ") + ("!" if row.flags.flagged else " ")
            sender = sanitize_line(row.sender.display())[:24]
            print(f"{marks} {row.date:%Y-%m-%d %H:%M}  {sender:<24}  {sanitize_line(row.subject)}"
                  f"  [{row.account}/{row.folder}]")
    if not rows and not args.json:
        print("No messages match.", file=sys.stderr)
    return 0


def run_import(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui_mail.store.importer import import_path

    path = Path(args.path).expanduser()
    if not path.exists():
        raise TuiMailError(f"{path}: no such file or folder")
    folder = args.folder or (path.stem if path.is_file() else path.name) or "Imported"
    tty = sys.stderr.isatty()

    def progress(done: int) -> None:
        if tty:
            print(f"\rimported {done} messages", end="", file=sys.stderr, flush=True)

    store = _open_store(ctx)
    try:
        result = import_path(store, path, args.account, folder, progress=progress)
    finally:
        store.close()
    if tty:
        print(file=sys.stderr)
    print(
        f"{path}: {result.added} imported, {result.skipped} already in the cache, "
        f"{result.failed} unreadable, into {args.account}/{folder}"
    )
    return 1 if result.failed else 0
