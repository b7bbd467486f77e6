"""`tui-mail --version`, `search` and `show` load only what they need (issue 19): commands
meant to answer as fast as a native tool for scripts and mutt-style integrations must not
import the interface, the protocol libraries, the config's TOML parser or, for a search, the
email parser. The modules are read from `python -X importtime`; timings are never checked."""

from __future__ import annotations

import json
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.support.cli import TuiMail
from tui_mail import __version__

NEVER = {  # what no quick command may load
    "textual", "rich", "imapclient", "aiosmtplib", "keyring", "html2text", "dns", "asyncio",
    "ssl", "tomllib", "tui_mail.config", "tui_mail.ui", "tui_mail.sync", "tui_mail.remote",
    "tui_mail.oauth2", "concurrent.futures",
    "inspect",  # most of `import dataclasses`: see tui_mail.dataclass_code
    "shutil",  # argparse's, for the terminal's width: see tui_mail.cli.terminal_columns
    "argparse",  # a plain line is read without it: see tui_mail.cli.quick_args
}


def imported(tool: TuiMail, *args: str) -> set[str]:
    """The modules `tui-mail ARGS` imported (it must succeed)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tui_mail", *args], capture_output=True,
        text=True, env=tool.env(), timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return {line.rpartition("|")[2].strip() for line in done.stderr.splitlines()
            if line.startswith("import time:")}


def loaded(modules: set[str], names: set[str]) -> set[str]:
    """Those of `names` (packages count with their submodules) among `modules`."""
    return {m for m in modules for name in names if m == name or m.startswith(name + ".")}


@pytest.fixture(scope="module")
def cached(tmp_path_factory: pytest.TempPathFactory) -> tuple[TuiMail, int]:
    """A cache holding one message, and its id."""
    from tui_mail.model import FolderRole
    from tui_mail.store import NewMessage, Store

    tool = TuiMail(tmp_path_factory.mktemp("lean"))
    msg = EmailMessage()
    msg["From"] = "Alice <alice@example.com>"
    msg["Subject"] = "Quarterly numbers"
    msg["Date"] = "Mon, 05 Feb 2024 10:00:00 +0000"
    msg["Message-ID"] = "<lean@example.com>"
    msg.set_content("The numbers for the quarter.")
    with Store.open(tool.home / "data" / "tui-mail" / "cache.sqlite3") as store:
        store.ensure_folder("local", "INBOX", FolderRole.INBOX)
        store.add_messages("local", "INBOX", [NewMessage(uid=None, raw=bytes(msg))])
    found = subprocess.run([sys.executable, "-m", "tui_mail", "search", "--json", "numbers"],
                           capture_output=True, text=True, env=tool.env(), check=True)
    return tool, json.loads(found.stdout)["id"]


def test_version_loads_no_cache_config_or_dataclasses(tmp_path: Path) -> None:
    modules = imported(TuiMail(tmp_path), "--version")
    assert not loaded(modules, NEVER | {"sqlite3", "dataclasses", "logging", "json", "email",
                                        "tui_mail.store", "tui_mail.model", "tui_mail.mail"})


@pytest.mark.parametrize("output", [(), ("--json",)], ids=["text", "json"])
def test_search_loads_neither_the_interface_nor_the_email_parser(
        cached: tuple[TuiMail, int], output: tuple[str, ...]) -> None:
    tool, _ = cached
    modules = imported(tool, "search", *output, "numbers")
    assert "tui_mail.store" in modules
    assert not loaded(modules, NEVER | {"email", "tui_mail.mail.parse", "tui_mail.cli.accounts",
                                        "tui_mail.cli.send", "tui_mail.cli.sync", "logging",
                                        # 4 ms: `TYPE_CHECKING = False` and namedtuple instead
                                        # (`show` of a compressed body: zstandard imports it)
                                        "typing"})


def test_a_search_in_text_loads_no_json(cached: tuple[TuiMail, int]) -> None:
    tool, _ = cached
    assert "json" not in imported(tool, "search", "numbers")


def test_show_of_a_cached_message_loads_no_interface_and_no_config(
        cached: tuple[TuiMail, int]) -> None:
    tool, message_id = cached
    modules = imported(tool, "show", str(message_id))
    assert "tui_mail.mail.parse" in modules
    assert not loaded(modules, NEVER | {"logging"})


def log_of(tool: TuiMail) -> str:
    path = tool.home / "state" / "tui-mail" / "tui-mail.log"
    return path.read_text() if path.exists() else ""


def test_search_sets_the_log_up_only_when_it_logs(cached: tuple[TuiMail, int]) -> None:
    """`search` and `show` import `logging` at their first record (tui_mail.lazy_logging):
    an error they show is still in the log, and so is what --debug adds."""
    tool, _ = cached
    failed = tool("search", "subject:")
    assert failed.returncode != 0 and "subject: at column 1 needs a value" in failed.stderr
    assert "subject: at column 1 needs a value" in log_of(tool)
    started = f"tui-mail {__version__}: search"  # the entry's debug line
    assert started not in log_of(tool)
    assert tool("--debug", "search", "numbers").returncode == 0
    assert f"DEBUG tui_mail.cli: {started}" in log_of(tool)


@pytest.mark.parametrize("columns", [None, "", "0", "-3", "abc", "57", "200"])
def test_help_is_as_wide_as_argparse_makes_it(monkeypatch: pytest.MonkeyPatch,
                                             columns: str | None) -> None:
    """The width argparse would find with shutil, found without importing it."""
    import shutil

    from tui_mail.cli import terminal_columns

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert terminal_columns() == shutil.get_terminal_size().columns
