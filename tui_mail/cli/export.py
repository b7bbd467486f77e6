"""`tui-mail export`: cached messages out to an mbox file or a Maildir folder, for backups and
for other mail programs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tui_mail.cli.context import CliContext
from tui_mail.cli.output import progress_stream
from tui_mail.errors import TuiMailError, UsageError
from tui_mail.mail.sanitize import sanitize_line


def register(sub: Any) -> None:
    export = sub.add_parser(
        "export",
        help="copy cached messages to an mbox file or a Maildir folder (works offline)",
        description="Copies the messages of a folder, an account or a search, oldest first. An"
        " mbox file is appended to, with the flags in Status headers; a Maildir (an existing"
        " folder, or a path ending in /) gets one file per message with the flags in its name,"
        " and an export run again adds only what is not there yet.",
    )
    export.add_argument("dest", metavar="MBOX|MAILDIR/", help="where to write")
    export.add_argument("query", nargs="*",
                        help="only messages matching this search (the `search` command's"
                        " query language); none: every message of --folder or --account")
    export.add_argument("--account", help="only this account")
    export.add_argument("--folder", help="only this folder")
    export.add_argument("--format", choices=("mbox", "maildir"),
                        help="the format, when the destination does not say it")
    export.set_defaults(func=run_export)
    # `export out.mbox --folder INBOX from:ann` puts the query after an option, which plain
    # argparse refuses ("unrecognized arguments") once DEST has been read.
    export.__class__ = _IntermixedParser


class _IntermixedParser(argparse.ArgumentParser):
    """Reads its positionals wherever they are among the options (argparse's intermixed
    parsing, which a parser with subcommands cannot use for itself, but a subcommand can)."""

    _inside = False

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        if self._inside:  # parse_known_intermixed_args calls back in, twice
            return super().parse_known_args(args, namespace)
        self._inside = True
        try:
            return super().parse_known_intermixed_args(args, namespace)
        finally:
            self._inside = False


def run_export(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui_mail.cli.context import check_scope
    from tui_mail.store.exporter import ExportFormat, export_messages, format_for, matching_ids

    query = " ".join(args.query)
    if not query.strip() and args.account is None and args.folder is None:
        raise UsageError("say what to export: a search query, --folder or --account (e.g."
                         " `tui-mail export inbox.mbox --folder INBOX`)")
    dest = Path(args.dest).expanduser()
    fmt = ExportFormat(args.format) if args.format else format_for(
        str(dest) + ("/" if args.dest.endswith("/") else ""))  # ~ expanded, the "/" kept
    shown = sanitize_line(str(dest))
    if fmt is ExportFormat.MBOX and dest.is_dir():
        raise UsageError(f"{shown} is a folder: give an mbox file name, or --format maildir")
    if not ctx.cache_path.is_file():
        raise UsageError(f"no cache yet at {ctx.cache_path}: run `tui-mail sync` or"
                         " `tui-mail import` first")
    tty = sys.stderr.isatty()
    store = ctx.open_store(reading=True)
    try:
        check_scope(store, args.account, args.folder)
        ids = matching_ids(store, query, account=args.account, folder=args.folder)

        def progress(done: int) -> None:
            if tty:
                print(f"\rexported {done} of {len(ids)}", end="", file=progress_stream(sys.stderr),
                      flush=True)

        result = export_messages(store, ids, dest, fmt, progress=progress)
    finally:
        store.close()
    if tty and ids:
        print(file=sys.stderr)
    if not ids:
        print("No messages match: nothing exported.", file=sys.stderr)
        return 0
    what = "1 message" if result.written == 1 else f"{result.written} messages"
    line = f"exported {what} to {shown} ({fmt})"
    if result.already_there:
        line += f"; {result.already_there} were there already"
    print(line)
    if result.not_downloaded:
        n = result.not_downloaded
        raise TuiMailError(f"{n} message{'s are' if n != 1 else ' is'} not downloaded yet and"
                           " not exported: `tui-mail sync --bodies` downloads them, then run"
                           " this again" + (" (the Maildir gets only what it lacks)"
                                            if fmt is ExportFormat.MAILDIR else
                                            " into a new file"))
    return 0
