"""The command line fails like a good Unix tool: output cut short by its reader ends quietly, a
misspelt account or folder is a usage error naming what exists, a file that is not a message
is refused, and an unexpected error is one line naming the log file, which has the traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.cli import REPO, TuiMail
from tests.support.messages import write_mbox


@pytest.fixture
def tui_mail(tmp_path: Path) -> TuiMail:
    return TuiMail.without_accounts(tmp_path)


@pytest.fixture
def filled(tui_mail: TuiMail, tmp_path: Path) -> TuiMail:
    """Two accounts in the cache: work (Inbox, Reports) and home (Inbox)."""
    for account, folder, count in (("work", "Reports", 2), ("work", "Inbox", 2),
                                   ("home", "Inbox", 2)):
        source = write_mbox(tmp_path / f"{account}-{folder}.mbox", count)
        run = tui_mail("import", "--account", account, "--folder", folder, str(source))
        assert run.returncode == 0, run.output
    return tui_mail


def log_text(tool: TuiMail) -> str:
    return (tool.home / "state" / "tui-mail" / "tui-mail.log").read_text()


def test_search_piped_into_head_ends_quietly(tui_mail: TuiMail, tmp_path: Path) -> None:
    # 800 results as JSON lines are about 200 KB: more than a pipe holds, so the command is
    # still writing when head has gone.
    assert tui_mail("import", str(write_mbox(tmp_path / "many.mbox", 800))).returncode == 0
    tool = [sys.executable, "-m", "tui_mail", "--config", str(tui_mail.config),
            "search", "--json", "--limit", "800", "figures"]
    producer = subprocess.Popen(tool, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=tui_mail.env())
    assert producer.stdout is not None and producer.stderr is not None
    head = subprocess.run(["head", "-1"], stdin=producer.stdout, capture_output=True, check=False)
    producer.stdout.close()
    errors = producer.stderr.read().decode()
    producer.wait(timeout=60)

    assert head.stdout.decode().count("\n") == 1 and b'"subject"' in head.stdout
    assert errors == ""
    assert producer.returncode == 141  # as if ended by SIGPIPE, like other tools


def test_search_in_an_account_that_is_not_in_the_cache_names_the_accounts(filled: TuiMail) -> None:
    run = filled("search", "--account", "NOSUCH", "figures")
    assert run.returncode == 2
    cache = filled.home / "data" / "tui-mail" / "cache.sqlite3"
    assert run.stderr == f"tui-mail: no account 'NOSUCH' in the cache {cache}; accounts: home, work\n"


def test_search_in_a_folder_that_is_not_in_the_cache_names_the_folders(filled: TuiMail) -> None:
    run = filled("search", "--account", "work", "--folder", "Report", "figures")
    assert run.returncode == 2
    assert run.stderr.startswith("tui-mail: no folder 'Report' of account 'work' in the cache")
    assert run.stderr.endswith("did you mean 'Reports'? folders: Inbox, Reports\n")
    assert run.stdout == ""


def test_search_names_the_accounts_to_sync_when_the_cache_is_empty(tui_mail: TuiMail) -> None:
    run = tui_mail("search", "--account", "work", "x")
    assert run.returncode == 2
    assert "it has none yet: run `tui-mail sync` or `tui-mail import` first" in run.stderr


@pytest.mark.parametrize(("content", "why"), [
    (b"", "it is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "it is a PNG image"),
    (bytes((i * 37 + 11) % 256 for i in range(4000)), "it is binary data, not text"),
])
def test_show_refuses_what_is_not_a_message(tui_mail: TuiMail, tmp_path: Path,
                                             content: bytes, why: str) -> None:
    path = tmp_path / "thing"
    path.write_bytes(content)
    run = tui_mail("show", str(path))
    assert run.returncode == 2
    assert run.stderr == (f"tui-mail: {path} is not an email message: {why}; give an .eml file"
                          " (a message saved with its headers) or - to read one from standard"
                          " input\n")
    assert run.stdout == ""


def test_show_refuses_a_folder(tui_mail: TuiMail, tmp_path: Path) -> None:
    run = tui_mail("show", str(tmp_path))
    assert run.returncode == 2
    assert run.stderr.startswith(f"tui-mail: {tmp_path} is a folder, not a message")


def test_show_still_shows_a_message_without_headers(tui_mail: TuiMail, tmp_path: Path) -> None:
    path = tmp_path / "bare.eml"
    path.write_text("Just a body, as some old tools saved it.\n")
    run = tui_mail("show", str(path))
    assert run.returncode == 0, run.output
    assert "Just a body" in run.stdout


def run_python(tool: TuiMail, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=tool.env(), cwd=REPO, timeout=120, check=False)


def test_an_unexpected_error_is_one_line_naming_the_log_which_has_the_traceback(
        tui_mail: TuiMail) -> None:
    done = run_python(tui_mail, f"""
        import tui_mail.cli.messages as messages
        from tui_mail.cli import main

        def broken(args, ctx):
            secret = "hunter2-password"
            raise ZeroDivisionError("the numbers went wrong")

        messages.run_search = broken
        raise SystemExit(main(["--config", {str(tui_mail.config)!r}, "search", "x"]))
    """)
    log = tui_mail.home / "state" / "tui-mail" / "tui-mail.log"
    assert done.returncode == 1
    assert done.stderr == (
        "tui-mail: stopped by an internal error (ZeroDivisionError: the numbers went wrong):"
        f" the traceback is in {log}; please report it\n")
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "in broken" in text
    assert "ZeroDivisionError: the numbers went wrong" in text
    assert "hunter2" not in text  # tracebacks in the log carry no local variables


# The interface `tui-mail` starts, with the configured accounts, is an app that fails.
INTERFACE_RAISING = """
    import tui_mail.cli as cli
    import tui_mail.ui.app as interface
    from textual.app import App
    from tui_mail.errors import CacheError

    class Broken(App):
        def on_mount(self) -> None:
            password = "hunter2-password"
            raise {error}

    def run_interface(config, cache_path, **options):
        app = Broken()
        app.run(headless=True)
        return app.return_code or 0

    interface.run_app = run_interface
    raise SystemExit(cli.main(["--config", {config!r}]))
"""


def test_an_unexpected_error_in_the_interface_is_one_line_without_local_variables(
        tui_mail: TuiMail) -> None:
    done = run_python(tui_mail, INTERFACE_RAISING.format(
        error='KeyError(password[:0] + "missing")', config=str(tui_mail.config)))
    log = tui_mail.home / "state" / "tui-mail" / "tui-mail.log"
    assert done.returncode == 1
    assert done.stderr == (
        "tui-mail: stopped by an internal error (KeyError: 'missing'): the traceback is in"
        f" {log}; please report it\n")
    assert "hunter2" not in done.stderr + done.stdout
    assert "KeyError: 'missing'" in log_text(tui_mail) and "hunter2" not in log_text(tui_mail)


def test_a_tui_mail_error_in_the_interface_is_its_one_line(tui_mail: TuiMail) -> None:
    message = "the disk holding /x/cache.sqlite3 is full: [bold]as is[/] " + "and more " * 20
    done = run_python(tui_mail, INTERFACE_RAISING.format(
        error=f"CacheError({message!r})", config=str(tui_mail.config)))
    assert done.returncode == 1
    assert done.stderr == f"tui-mail: {message}\n"
    assert f"ERROR tui_mail: {message}" in log_text(tui_mail)


def test_a_tui_mail_error_in_any_textual_app_is_shown_without_a_traceback(
        tui_mail: TuiMail) -> None:
    done = run_python(tui_mail, """
        import sys
        from textual.app import App
        from tui_mail.errors import CacheError

        class Broken(App):
            def on_mount(self) -> None:
                password = "hunter2-password"
                raise CacheError("the cache is damaged: [bold]as is[/]")

        app = Broken()
        app.run(headless=True)
        sys.exit(app.return_code)
    """)
    assert done.returncode == 1
    assert done.stderr.strip() == "tui-mail: the cache is damaged: [bold]as is[/]"


def test_the_cli_installs_no_rich_traceback_handler(tui_mail: TuiMail) -> None:
    done = run_python(tui_mail, f"""
        import sys
        from tui_mail.cli import main
        hook = sys.excepthook
        main(["--config", {str(tui_mail.config)!r}, "search", "x"])
        assert sys.excepthook is hook, sys.excepthook
        assert "rich.traceback" not in sys.modules
    """)
    assert done.returncode == 0, done.stderr


def test_a_cache_error_noticed_while_rows_are_read_is_still_one_line(tui_mail: TuiMail) -> None:
    # Damage met after a statement's first step surfaces from the cursor, outside the store's
    # translation; the command translates it.
    done = run_python(tui_mail, f"""
        import sqlite3
        import tui_mail.cli.messages as messages
        from tui_mail.cli import main

        def reading(args, ctx):
            error = sqlite3.DatabaseError("database disk image is malformed")
            error.sqlite_errorcode = 11
            raise error

        messages.run_search = reading
        raise SystemExit(main(["--config", {str(tui_mail.config)!r}, "search", "x"]))
    """)
    cache = tui_mail.home / "data" / "tui-mail" / "cache.sqlite3"
    assert done.returncode == 1
    assert done.stderr.startswith(
        f"tui-mail: the cache {cache} is damaged (database disk image is malformed):")
    assert done.stderr.count("\n") == 1


def test_every_error_shown_is_in_the_log_with_its_cause(tui_mail: TuiMail) -> None:
    cache = tui_mail.home / "data" / "tui-mail" / "cache.sqlite3"
    cache.parent.mkdir(parents=True, mode=0o700)  # private, as tui-mail makes it
    cache.write_bytes(os.urandom(8192))
    cache.chmod(0o600)
    run = tui_mail("search", "x")
    assert run.returncode == 1
    line = run.stderr.strip().removeprefix("tui-mail: ")
    text = log_text(tui_mail)
    assert f"ERROR tui_mail: {line} (cause: DatabaseError: file is not a database [SQLITE_NOTADB])" \
        in text
