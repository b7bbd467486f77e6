"""`tui-mail show`, `tui-mail search` and `tui-mail import`: the cache and messages, offline."""

from __future__ import annotations

import sys
from pathlib import Path

from tui_mail.cli.context import CliContext, check_scope
from tui_mail.cli.output import progress_stream
from tui_mail.errors import TuiMailError, UsageError
from tui_mail.mail.sanitize import sanitize_line

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (search and show need none)
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from typing import Any, Literal, TypedDict

    from tui_mail.model import SecurityLayer

    class QuickSpec(TypedDict):
        """A command's line as `quick_args` reads it."""

        flags: tuple[str, ...]  # options without a value
        values: dict[str, Callable[[str], object]]  # options with one, and how it is read
        positional: tuple[str, int | Literal["+"]]  # the words' name, how many ("+": 1 or more)
        defaults: dict[str, object]


# What `tui_mail.cli.quick_args` reads without argparse (`search` and `show` answer in tens of
# milliseconds; argparse's import and parser cost about 8 of them): a command line made only
# of these options, spelt out, and its positional words. Anything else (help, an error, an
# abbreviated option, a word starting with "-") goes to argparse, built by `register` below;
# tests/cli/test_quick_args.py checks that the two read every such line alike.
QUICK: dict[str, QuickSpec] = {
    "search": {
        "flags": ("json",), "values": {"account": str, "folder": str, "limit": int},
        "positional": ("query", "+"),
        "defaults": {"account": None, "folder": None, "limit": 50, "json": False},
    },
    "show": {
        "flags": ("html", "raw", "whole"), "values": {"account": str},
        "positional": ("file", 1),
        "defaults": {"html": False, "raw": False, "whole": False, "account": None},
    },
}


def register(sub: Any) -> None:
    show = sub.add_parser("show", help="print a message rendered as the reader shows it")
    show.add_argument("file", metavar="FILE|ID",
                      help="an .eml file, - for standard input, or the id of a cached message "
                      "(as `search --json` gives it)")
    show.add_argument("--html", action="store_true", help="render the HTML part when there is one")
    show.add_argument("--raw", action="store_true", help="print the raw source (made safe)")
    show.add_argument("--account", metavar="NAME",
                      help="say whether the sender passed authentication according to this "
                      "account's server (its authserv_id); without it, the server that "
                      "received the message last, if it wrote Authentication-Results")
    show.add_argument("--whole", action="store_true",
                      help="print all of a body too long to render at once (HTML over 200 KB,"
                      " text over 1 MB), which is otherwise cut with a note")
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
    imp.add_argument("--workers", type=int, metavar="N",
                     help="processes parsing messages while this one writes (default: one per"
                     " CPU core; 1 parses in this process)")
    imp.set_defaults(func=run_import)


def _read_input(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    path = Path(name)
    if path.is_dir():
        raise UsageError(
            f"{name} is a folder, not a message: give an .eml file (or - for standard input);"
            " `tui-mail import` reads a Maildir folder or an mbox file into the cache"
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TuiMailError(f"cannot read {name}: {exc.strerror or exc}") from None


_MAGIC = {
    b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
    b"%PDF": "a PDF document", b"PK\x03\x04": "a ZIP archive (or an office document)",
    b"\x1f\x8b": "gzip-compressed data", b"SQLite format 3\x00": "an SQLite database",
    b"\x7fELF": "a program",
}
_CONTROL = bytes(c for c in range(32) if c not in b"\t\n\r\f\x1b")


def not_a_message(raw: bytes) -> str | None:
    """Why `raw` is not an email message, or None when it may be one.

    Only what cannot be one is refused: nothing at all, and binary data (a NUL byte, or many
    control characters, near the start). Text without header lines is let through: parsers
    read it as a message with a body only, and such files exist."""
    if not raw.strip():
        return "it is empty" if not raw else "it holds only blank space"
    for magic, kind in _MAGIC.items():
        if raw.startswith(magic):
            return f"it is {kind}"
    sample = raw[:8192]
    if b"\0" in sample or len(sample.translate(None, _CONTROL)) < 0.95 * len(sample):
        return "it is binary data, not text"
    return None


def _describe_input(name: str) -> str:
    return "standard input" if name == "-" else name


def _cached_message(ctx: CliContext, message_id: int) -> bytes:
    """The raw message the cache holds under `message_id` (the `id` of `search --json`)."""
    if not ctx.cache_path.is_file():
        raise UsageError(f"no file {message_id} here, and no cache yet at {ctx.cache_path}"
                         " to find a message with that id in")
    store = ctx.open_store(reading=True)
    try:
        raw = store.raw_message(message_id)
        known = raw is not None or store.message_row(message_id) is not None
    finally:
        store.close()
    if raw is not None:
        return raw
    if known:
        raise TuiMailError(f"message {message_id} is not downloaded yet: `tui-mail sync --bodies`"
                         " downloads it (or open it in the interface)")
    raise UsageError(f"no file {message_id} here, and no message with id {message_id} in the"
                     f" cache {ctx.cache_path}: `tui-mail search --json` gives the ids")


def run_show(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui_mail.mail.parse import parse_message
    from tui_mail.mail.render import render_raw
    from tui_mail.mail.textview import message_as_text

    by_id = args.file.isdecimal() and args.file.isascii() and not Path(args.file).exists()
    raw = _cached_message(ctx, int(args.file)) if by_id else _read_input(args.file)
    why = not_a_message(raw)
    if why is not None:
        raise UsageError(
            f"{_describe_input(args.file)} is not an email message: {why}; give an .eml file"
            " (a message saved with its headers) or - to read one from standard input"
        )
    if args.raw:
        text = render_raw(raw) + "\n"
    else:
        authserv_id = ctx.config().account(args.account).authserv_id if args.account else None
        raw, security = _opened(raw, ask=args.file != "-")
        text = message_as_text(parse_message(raw), prefer_html=args.html, whole=args.whole,
                               rest_hint="--whole shows the rest.", raw=raw,
                               authserv_id=authserv_id, security=security)
    sys.stdout.write(text)
    return 0


def _opened(raw: bytes, *, ask: bool) -> tuple[bytes, tuple[SecurityLayer, ...]]:
    """A signed or encrypted message decrypted and checked (see crypto.opening), asking for
    the key's passphrase on the terminal when one is needed and there is a terminal to ask
    on (`ask`: standard input is not the message)."""
    from tui_mail.mail.protected import protection_of

    if protection_of(raw) is None:
        return raw, ()
    from tui_mail.crypto.opening import open_message

    opened = open_message(raw)
    wanted = opened.needs_passphrase
    if wanted is not None and ask and sys.stdin.isatty():
        import getpass

        key = f" for {wanted.key_hint}" if wanted.key_hint else ""
        opened = open_message(raw, passphrase=getpass.getpass(f"Passphrase{key}: "))
    return opened.raw, opened.layers


def run_search(args: argparse.Namespace, ctx: CliContext) -> int:
    store = ctx.open_store(reading=True)
    try:
        check_scope(store, args.account, args.folder)
        rows = store.listing.search(
            " ".join(args.query), account=args.account, folder=args.folder, limit=args.limit
        )
        # Said only in text: a count over the folder, which --json output has no place for.
        missing, missing_size = (0, 0) if args.json else store.missing_bodies(args.account,
                                                                            args.folder)
    finally:
        store.close()
    if args.json:
        import json
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
            where = sanitize_line(f"{row.account}/{row.folder}")  # server-given folder names
            print(f"{marks} {row.date:%Y-%m-%d %H:%M}  {sender:<24}  {sanitize_line(row.subject)}"
                  f"  [{where}]")
    if not rows and not args.json:
        print("No messages match.", file=sys.stderr)
    if missing:  # the interface says it in its search status too
        what = "1 message is" if missing == 1 else f"{missing} messages are"
        print(f"note: {what} not downloaded yet ({missing_size / 1e6:.1f} MB): their text is "
              "not searched (`tui-mail sync --bodies` downloads them)", file=sys.stderr)
    return 0


def run_import(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui_mail.store.importer import import_path

    path = Path(args.path).expanduser()
    shown = sanitize_line(str(path))  # a file name may hold escape sequences: never echoed raw
    if not path.exists():
        raise TuiMailError(f"{shown}: no such file or folder")
    folder = sanitize_line(args.folder or (path.stem if path.is_file() else path.name)) \
        or "Imported"
    tty = sys.stderr.isatty()

    def progress(done: int) -> None:
        if tty:
            print(f"\rimported {done} messages", end="", file=progress_stream(sys.stderr),
                  flush=True)

    from tui_mail.cores import usable_cores

    workers = args.workers or usable_cores()
    store = ctx.open_store()
    try:
        result = import_path(store, path, args.account, folder, progress=progress,
                             workers=workers)
    finally:
        store.close()
        if tty:
            print(file=sys.stderr)  # end the progress line, before any error message
    import logging

    logging.getLogger(__name__).info("import of %s into %s/%s: %d added, %d already cached, %d unreadable",
                path, args.account, folder, result.added, result.skipped, result.failed)
    print(
        f"{shown}: {result.added} imported, {result.skipped} already in the cache, "
        f"{result.failed} unreadable, into {sanitize_line(args.account)}/{folder}"
    )
    return 1 if result.failed else 0
