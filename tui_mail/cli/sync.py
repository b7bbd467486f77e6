"""`tui-mail sync [--account A] [--folder F] [--bodies]`: bring the cache up to date once."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, TextIO

from tui_mail.cli.context import CliContext
from tui_mail.cli.output import clean_output, progress_stream
from tui_mail.errors import CacheError


def register(sub: Any) -> None:
    parser = sub.add_parser("sync", help="fetch new mail and changes into the local cache")
    parser.add_argument("--account", metavar="NAME", help="only this account")
    parser.add_argument(
        "--folder", metavar="FOLDER", action="append",
        help="only this folder (repeatable; default: every folder)",
    )
    parser.add_argument(
        "--bodies", action="store_true",
        help="also download message bodies (up to the account's body_size_cap)",
    )
    parser.set_defaults(func=run)


class ProgressLine:
    """A `\\r`-updated line with counts and rate on a terminal; silent otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = progress_stream(stream)  # its own "\r"s; the text is cleaned here
        self.live = stream.isatty()
        self.started = time.monotonic()
        self._last = 0.0
        self._width = 0

    def __call__(self, event: object) -> None:
        from tui_mail.sync.events import SyncProgress

        if not self.live or not isinstance(event, SyncProgress):
            return
        now = time.monotonic()
        if now - self._last < 0.1 and event.done != event.total:
            return
        self._last = now
        rate = event.done / max(now - self.started, 1e-6)
        text = clean_output(
            f"{event.account}/{event.folder}: {event.phase} {event.done}/{event.total}"
            f" ({rate:,.0f}/s)"
        )
        self.stream.write("\r" + text.ljust(self._width))
        self._width = len(text)
        self.stream.flush()

    def clear(self) -> None:
        if self.live and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Sync each account in turn. A server's failure is reported and the next account is
    synced; a cache that cannot be written (a CacheError) ends the run: every account would
    fail the same way.

    The accounts are synced in this thread by `sync_account`, what the app's service runs in
    its workers: the service itself (its threads, the outbox, asyncio) is not loaded, which
    is most of the start-up of a sync that finds nothing new."""
    import logging

    from tui_mail.store.db import Store
    from tui_mail.sync.account_sync import sync_account
    from tui_mail.sync.credentials import provider

    logger = logging.getLogger(__name__)
    accounts = ctx.accounts(args.account)
    progress = ProgressLine(sys.stderr)
    failures: list[str] = []
    totals = {"folders": 0, "new": 0, "changed": 0, "vanished": 0, "bodies": 0}
    started = time.monotonic()
    store = Store.open(ctx.cache_path)  # creates and migrates the cache
    try:
        for account in accounts:
            result = sync_account(store, account, provider(account, "incoming"), progress,
                                  folders=args.folder, bodies=args.bodies)
            totals["folders"] += result.folders
            totals["new"] += result.new
            totals["changed"] += result.changed
            totals["vanished"] += result.vanished
            totals["bodies"] += result.bodies
            stopped_by = result.stopped_by
            if isinstance(stopped_by, CacheError):
                raise stopped_by  # one message, not the same one for every account
            failures.extend(f"{account.name}: {e}" for e in result.errors)
            logger.info(
                "sync of %s: %d folder(s), %d new, %d flag change(s), %d removed, %d bodies,"
                " %d error(s)", account.name, result.folders, result.new, result.changed,
                result.vanished, result.bodies, len(result.errors))
            for warning in result.warnings:
                logger.warning("%s: %s", account.name, warning)
                print(f"tui-mail: warning: {account.name}: {warning}", file=sys.stderr)
    finally:
        progress.clear()
        store.close()
    elapsed = time.monotonic() - started
    print(
        f"Synced {totals['folders']} folder(s) of {len(accounts)} account(s) in {elapsed:.1f} s: "
        f"{totals['new']} new, {totals['changed']} flag change(s), {totals['vanished']} removed"
        + (f", {totals['bodies']} bodies" if args.bodies else "")
        + (f"; {len(failures)} error(s)" if failures else "")
    )
    for failure in failures:
        logger.error("%s", failure)
        print(f"tui-mail: {failure}", file=sys.stderr)
    return 1 if failures else 0
