"""The `tui-mail` command: the TUI by default, and subcommands for scripts and for checking things.

Each subcommand lives in its own module with `register(subparsers)` and a `run(args, ctx) -> int`
set as the parser's `func`. Heavy imports (protocol libraries, Textual) stay inside `run`, so
`tui-mail --help` and the first paint stay fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tui_mail import __version__
from tui_mail.cli import accounts, messages, send, sync
from tui_mail.cli.context import CliContext
from tui_mail.errors import TuiMailError

SUBCOMMAND_MODULES = (accounts, messages, send, sync)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tui-mail",
        description="A terminal mail client: IMAP, POP3 and SMTP, with an offline cache and instant search.",
    )
    parser.add_argument("--version", action="version", version=f"tui-mail {__version__}")
    parser.add_argument(
        "--config", metavar="PATH",
        help="config file (default: $TUI_MAIL_CONFIG or $XDG_CONFIG_HOME/tui-mail/config.toml)",
    )
    parser.add_argument(
        "--data-dir", metavar="DIR", help="cache and outbox folder (default: $XDG_DATA_HOME/tui-mail)"
    )
    parser.add_argument("--demo", action="store_true", help="open the built-in offline demo account")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMAND_MODULES:
        module.register(sub)
    return parser


DEMO_NOTICE = (
    "This is the offline demo account: nothing here is your mail. To add your own account, "
    "press ctrl+p and choose “Add account”, or quit (q) and run `tui-mail` without --demo "
    "(with no config file yet, it opens the account setup)."
)


def _run_tui(args: argparse.Namespace, ctx: CliContext) -> int:
    """The interface: the configured accounts; the offline demo account with --demo; and the
    setup screen when there is no config file yet (it also offers the demo)."""
    from tui_mail.config import default_config_path

    config_path = ctx.config_path or default_config_path()
    if not ctx.demo and not config_path.exists():
        from tui_mail.config import config_dir
        from tui_mail.ui.first_run import SetupFirstApp

        app = SetupFirstApp(config_path, ctx.cache_path, themes_dir=config_dir() / "themes")
        app.run()
        if not app.wants_demo:
            return app.return_code or 0
    if ctx.demo or not config_path.exists():
        from tui_mail.demo.builder import ensure_demo_cache
        from tui_mail.ui.app import run_app

        return run_app(None, ensure_demo_cache(ctx.data_dir), demo=True, notice=DEMO_NOTICE)
    config = ctx.config()
    from tui_mail.ui.app import run_app

    return run_app(config, ctx.cache_path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    ctx = CliContext.from_args(args)
    func = getattr(args, "func", None) or _run_tui
    try:
        return int(func(args, ctx) or 0)
    except TuiMailError as exc:
        print(f"tui-mail: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("tui-mail: interrupted", file=sys.stderr)
        return 130
