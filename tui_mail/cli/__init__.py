"""The `tui-mail` command: the TUI by default, and subcommands for scripts and for checking things.

Each subcommand lives in its own module with `register(subparsers)` and a `run(args, ctx) -> int`
set as the parser's `func`. Heavy imports (protocol libraries, Textual) stay inside `run`, so
`tui-mail --help` and the first paint stay fast. A command line that plainly names one
subcommand builds and imports only that subcommand's module (`COMMANDS`): argparse spends about
half a millisecond on each parser and option, and `search` and `show` are meant to answer as
fast as a native tool. Anything else (`--help`, a typo, an abbreviated option) gets the
whole parser. A plain `search`, `show` or `--version` line is read without argparse at all
(`quick_args`, `quick_version`: its import and parser cost about 8 ms), as argparse reads it.

Whatever goes wrong ends in one line on stderr, `tui-mail: ...`, and a non-zero status: a
`TuiMailError` as it is, a cache failure noticed late (see `tui_mail.store.failures`) as the
CacheError it means, anything else as "internal error" naming the log file that holds the
traceback. Output cut short by its reader (`tui-mail search x | head -1`) ends quietly.
"""

from __future__ import annotations

import contextlib
import os
import sys
from importlib import import_module
from types import SimpleNamespace

from tui_mail import __version__
from tui_mail.cli.output import clean_output, guard_streams, release_streams
from tui_mail.dataclass_code import install as install_dataclass_code
from tui_mail.errors import TuiMailError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (`--version` needs none)
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from pathlib import Path

    from tui_mail.cli.context import CliContext
    from tui_mail.lazy_logging import LazyLogger

# Each subcommand, and the module of tui_mail.cli that registers and runs it.
COMMANDS = {
    "accounts": "accounts",
    "sync": "sync",
    "search": "messages",
    "show": "messages",
    "import": "messages",
    "send": "send",
    "outbox": "send",
    "folders": "folders",
    "export": "export",
    "keys": "keys",
}
SUBCOMMAND_MODULES = ("accounts", "folders", "messages", "export", "send", "sync", "keys")
_FLAGS = frozenset({"--demo", "--debug"})  # the global options without a value
_VALUED = frozenset({"--config", "--data-dir"})  # and those with one


def command_named(argv: Sequence[str]) -> str | None:
    """The subcommand `argv` plainly names; "" when it names none (the interface, or
    `--version`); None when that is not plain (help, an unknown or abbreviated option)."""
    words = iter(argv)
    for word in words:
        if word in _FLAGS or word == "--version" or ("=" in word and word.partition("=")[0] in _VALUED):
            continue
        if word in _VALUED:
            next(words, None)
            continue
        if word.startswith("-"):
            return None
        return word if word in COMMANDS else None
    return ""


_GLOBAL_VALUES = {"--config": "config", "--data-dir": "data_dir"}


def _global_options(words: list[str], stop: str | None) -> tuple[dict[str, object], int] | None:
    """The global options (spelt out) before the word `stop` or the end, and where they end;
    None for anything else there."""
    args: dict[str, object] = {"config": None, "data_dir": None, "demo": False, "debug": False}
    i = 0
    while i < len(words) and words[i] != stop:
        word = words[i]
        name, eq, value = word.partition("=")
        if word in ("--demo", "--debug"):
            args[word[2:]] = True
        elif name in _GLOBAL_VALUES and eq:
            args[_GLOBAL_VALUES[name]] = value
        elif word in _GLOBAL_VALUES and i + 1 < len(words) \
                and not words[i + 1].startswith("-"):
            args[_GLOBAL_VALUES[word]] = words[i + 1]
            i += 1
        else:
            return None
        i += 1
    return args, i


def quick_version(argv: Sequence[str]) -> bool:
    """Whether `argv` is a plain `--version` line (global options spelt out, then
    --version last), which argparse would answer with the version alone."""
    return bool(argv) and argv[-1] == "--version" \
        and _global_options(list(argv[:-1]), None) is not None


def quick_args(argv: Sequence[str], command: str | None) -> SimpleNamespace | None:
    """What argparse would make of `argv`, read without it, for a plain `search` or `show`
    line (see `tui_mail.cli.messages.QUICK`); None for any other line, which goes to argparse.

    Plain: the global options spelt out before the command, then the command's own options
    spelt out (`--limit 5` or `--limit=5`) around one run of positional words, none of which
    starts with "-"; every value a valid one (an int where argparse wants one)."""
    if command not in ("search", "show"):
        return None
    from tui_mail.cli import messages

    spec = messages.QUICK[command]
    words = list(argv)
    found = _global_options(words, command)
    if found is None:
        return None
    args, i = found
    args["command"] = command
    args.update(spec["defaults"])
    flags, values = spec["flags"], spec["values"]
    positional: list[str] = []
    runs, after_positional = 0, False  # runs of positional words: argparse takes one
    i += 1
    while i < len(words):
        word = words[i]
        i += 1
        if not word.startswith("-"):
            runs += not after_positional
            after_positional = True
            positional.append(word)
            continue
        after_positional = False
        name, eq, value = word.partition("=")
        key = name[2:]
        if not name.startswith("--"):
            return None
        if key in flags and not eq:
            args[key] = True
        elif key in values:
            if not eq:
                if i >= len(words) or words[i].startswith("-"):
                    return None
                value = words[i]
                i += 1
            try:
                args[key] = values[key](value)
            except ValueError:
                return None
        else:
            return None
    name, count = spec["positional"]
    if runs != 1 or (count != "+" and len(positional) != count):
        return None
    args[name] = positional if count == "+" else positional[0]
    args["func"] = getattr(messages, f"run_{command}")
    return SimpleNamespace(**args)


def terminal_columns() -> int:
    """`shutil.get_terminal_size().columns`, without importing shutil (with bz2 and lzma:
    4 ms here), which argparse does for every option it is given, to check its help."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        stdout = sys.__stdout__  # None when Python was started without one
        try:
            columns = os.get_terminal_size(stdout.fileno()).columns if stdout is not None else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


_parser_class: list[type[argparse.ArgumentParser]] = []  # made at first use: argparse too


def _make_parser_class() -> type[argparse.ArgumentParser]:
    """An ArgumentParser whose parsers, its subcommands' too (of its class), use argparse's
    formatter with the width found by `terminal_columns`."""
    if _parser_class:
        return _parser_class[0]
    import argparse

    class _HelpFormatter(argparse.HelpFormatter):
        def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                     width: int | None = None) -> None:
            super().__init__(prog, indent_increment, max_help_position,
                             terminal_columns() - 2 if width is None else width)

    class _Parser(argparse.ArgumentParser):
        def __init__(self, *args: object, **kwargs: object) -> None:
            kwargs.setdefault("formatter_class", _HelpFormatter)
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    _parser_class.append(_Parser)
    return _Parser


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every subcommand; with `command`, only that one's module registers
    (none for "": the interface's options and --version need no subcommand)."""
    parser = _make_parser_class()(
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
    parser.add_argument(
        "--debug", action="store_true",
        help="also log the IMAP and SMTP protocol lines (passwords and tokens removed) to "
        "$XDG_STATE_HOME/tui-mail/tui-mail.log",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    names = SUBCOMMAND_MODULES if command is None else (COMMANDS[command],) if command else ()
    for name in names:
        import_module(f"tui_mail.cli.{name}").register(sub)
    return parser


DEMO_NOTICE = (
    "This is the offline demo account: nothing here is your mail. To add your own account, "
    "press ctrl+p and choose “Add account”, or quit (q) and run `tui-mail` without --demo "
    "(with no config file yet, it opens the account setup)."
)


def _run_tui(args: argparse.Namespace | SimpleNamespace, ctx: CliContext) -> int:
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

        notice = " ".join(filter(None, (DEMO_NOTICE, ctx.start_notice)))
        return run_app(None, ensure_demo_cache(ctx.data_dir), demo=True, notice=notice)
    config = ctx.config()
    from tui_mail.ui.app import run_app

    return run_app(config, ctx.cache_path, notice=ctx.start_notice)


_interface_errors: list[str] = []  # lines to print once the interface has given the terminal back


def _plain_interface_errors() -> None:
    """Make an error that escapes the interface end it with one line on stderr, as the other
    commands do: the error's text for a TuiMailError, else "internal error" naming the log,
    which gets the traceback. Textual's default prints a Rich traceback with every frame's
    local variables (a password among them, possibly), wrapped to the screen's width.

    This replaces two private methods of Textual's App (checked on Textual 8.2); if they are
    gone, errors are shown Textual's way, and a TuiMailError still as its one line through
    its `__rich__`."""
    import logging

    from textual.app import App

    if getattr(App, "_tui_mail_plain_errors", False):
        return
    if not (hasattr(App, "_handle_exception") and hasattr(App, "_fatal_error")):
        return
    handle_exception = App._handle_exception

    def handle(self: App, error: Exception) -> None:
        if isinstance(error, TuiMailError):
            from tui_mail.log import log_shown

            log_shown(error)
            _interface_errors.append(f"tui-mail: {error}")
        else:
            logging.getLogger(__name__).error("the interface stopped", exc_info=error)
            _interface_errors.append(_internal_error_line(error))
        handle_exception(self, error)  # Textual's bookkeeping, and it closes the app
        self._exit_renderables.clear()  # our line instead, printed by `main`

    def fatal_error(self: App) -> None:  # Textual's builds the traceback with locals here
        self.bell()
        self._close_messages_no_wait()

    App._handle_exception = handle  # type: ignore[method-assign]
    App._fatal_error = fatal_error  # type: ignore[method-assign]
    App._tui_mail_plain_errors = True  # type: ignore[attr-defined]


def _internal_error_line(error: BaseException | None) -> str:
    from tui_mail.lazy_logging import ensure_setup

    ensure_setup()
    from tui_mail.log import log_path, log_problem

    what = "an internal error"
    if error is not None:
        text = " ".join(str(error).split())[:200]
        what += f" ({type(error).__name__}{': ' + text if text else ''})"
    problem = log_problem()
    where = (
        f"the traceback is in {log_path()}; please report it" if problem is None
        else f"no log could be written ({problem})"
    )
    return f"tui-mail: stopped by {what}: {where}"


def _say(line: str) -> None:
    """Print one line on stderr; a closed stderr is not worth a traceback."""
    with contextlib.suppress(OSError, ValueError):
        print(clean_output(line), file=sys.stderr, flush=True)


def _reader_gone() -> bool:
    """Whether standard output is a pipe whose reader has gone (`| head` finished)."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return False


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush at exit does not print
    "Exception ignored ... BrokenPipeError" after we ended quietly."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _late_cache_error(exc: BaseException, cache_path: Path) -> TuiMailError | None:
    """A sqlite3 error about the cache that escaped the store (raised while rows were being
    read, after the statement started), as the CacheError it means."""
    if type(exc).__module__ != "sqlite3":
        return None
    from tui_mail.store.failures import cache_error

    return cache_error(exc, cache_path)


def _close_up_data_dir(ctx: CliContext, *, tell: bool) -> None:
    """Take back a data folder an earlier version left readable by every local user. The user
    is told once: on stderr by a subcommand, by the interface after its first frame."""
    from tui_mail.store.privacy import close_up, closed_up_notice

    changed = close_up(ctx.data_dir)
    if not changed:
        return
    from tui_mail.lazy_logging import get_logger

    notice = closed_up_notice(ctx.data_dir, changed)
    get_logger(__name__).warning("%s", notice)
    if tell:
        _say(f"tui-mail: note: {notice}")
    else:
        ctx.start_notice = notice


EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE: what other tools end with when `| head` stops reading


def main(argv: Sequence[str] | None = None) -> int:
    """Run the interface or a subcommand. A subcommand's output, and argparse's complaints,
    pass through `output.SafeStream` (see there); the interface gets the real streams."""
    guard_streams()
    try:
        words = sys.argv[1:] if argv is None else list(argv)
        command = command_named(words)
        if quick_version(words):  # what argparse prints for it, without argparse
            print(f"tui-mail {__version__}")
            return 0
        if command:  # its modules define dataclasses (--version none; the interface's: _main)
            install_dataclass_code(command)
        args = quick_args(words, command) or build_parser(command).parse_args(words)
        if (getattr(args, "func", None) or _run_tui) is _run_tui:
            release_streams()
        return _main(args)
    finally:
        release_streams()


# Commands that set the log up at their first record (see tui_mail.lazy_logging): those
# meant to answer as fast as a native tool, which at the default level log nothing.
LOG_WHEN_NEEDED = frozenset({"search", "show"})


def _log_shown(error: BaseException) -> None:
    from tui_mail.lazy_logging import ensure_setup

    ensure_setup()
    from tui_mail.log import log_shown

    log_shown(error)


def _main(args: argparse.Namespace | SimpleNamespace) -> int:
    """Run what `args` asks for: argparse's reading of the line, or `quick_args`'s."""
    install_dataclass_code(args.command or "interface")  # Textual's dataclasses too
    from tui_mail import lazy_logging

    level = "debug" if args.debug else "info"
    if args.command in LOG_WHEN_NEEDED:
        lazy_logging.defer_setup(level)
    else:
        lazy_logging.setup_now(level)
    try:
        return _run(args, lazy_logging.get_logger(__name__))
    finally:
        if "logging" in sys.modules:  # something logged through `logging` itself: from now
            lazy_logging.ensure_setup()  # on (at exit, say) it goes to the file too


def _run(args: argparse.Namespace | SimpleNamespace, logger: LazyLogger) -> int:
    from tui_mail.cli.context import CliContext

    ctx = CliContext.from_args(args)
    func = getattr(args, "func", None) or _run_tui
    _close_up_data_dir(ctx, tell=func is not _run_tui)
    if func is _run_tui:
        _plain_interface_errors()
    else:  # only the interface's first paint gains from the pause (see tui_mail.gc_pause)
        from tui_mail.gc_pause import resume_gc

        resume_gc()
    logger.debug("tui-mail %s: %s", __version__, args.command or "interface")
    try:
        code = int(func(args, ctx) or 0)
        sys.stdout.flush()  # here, where a reader that went away can still be handled
        for line in _interface_errors:
            _say(line)
        return code
    except TuiMailError as exc:
        _log_shown(exc)
        _say(f"tui-mail: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        logger.info("interrupted")
        _say("tui-mail: interrupted")
        return 130
    except Exception as exc:  # the last resort: one line, the traceback in the log
        if isinstance(exc, BrokenPipeError) and _reader_gone():
            _quiet_stdout()
            return EXIT_PIPE_CLOSED
        error = _late_cache_error(exc, ctx.cache_path)
        if error is not None:
            _log_shown(error)
            _say(f"tui-mail: {error}")
            return error.exit_code
        logger.error("internal error", exc_info=exc)
        _say(_internal_error_line(exc))
        return 1
