"""`tui-mail sync` fetches a POP3 account like any other, run as the real command."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pop3.env import Pop3Env, message
from tests.support.cli import TuiMail

pytestmark = pytest.mark.servers


def config_for(pop3: Pop3Env, tool: TuiMail, *, delete_after: int | None = None) -> None:
    pw = tool.home / "pw"
    pw.write_text(pop3.password + "\n")
    extra = f"pop3_delete_after_days = {delete_after}\n" if delete_after is not None else ""
    tool.config.write_text(
        f'[accounts.home]\naddress = "{pop3.user.address}"\n{extra}\n[accounts.home.incoming]\n'
        f'protocol = "pop3"\nhost = "127.0.0.1"\nport = {pop3.servers.pop3_starttls_port}\n'
        f'security = "starttls"\nusername = "{pop3.username}"\nca_file = "{pop3.servers.ca_file}"\n'
        f'password_command = "cat {pw}"\n'
    )


def test_sync_fetches_pop3_mail_once_and_search_finds_it(pop3: Pop3Env, tmp_path: Path) -> None:
    tool = TuiMail(tmp_path)
    config_for(pop3, tool)
    pop3.deliver_many([message(n) for n in range(5)])

    first = tool("sync")
    assert first.returncode == 0, first.output
    assert "5 new" in first.stdout and "\r" not in first.stderr
    second = tool("sync")
    assert second.returncode == 0 and "0 new" in second.stdout
    found = tool("search", "--account", "home", "number")
    assert found.stdout.count("[home/INBOX]") == 5
    assert pop3.on_server() == 5  # left on the server by default


def test_sync_with_delete_after_download_empties_the_server(pop3: Pop3Env, tmp_path: Path) -> None:
    tool = TuiMail(tmp_path)
    config_for(pop3, tool, delete_after=0)
    pop3.deliver_many([message(n) for n in range(3)])

    run = tool("sync")
    assert run.returncode == 0, run.output
    assert pop3.on_server() == 0
    assert tool("search", "--account", "home", "number").stdout.count("[home/INBOX]") == 3


def test_wrong_pop3_password_fails_the_sync(pop3: Pop3Env, tmp_path: Path) -> None:
    tool = TuiMail(tmp_path)
    config_for(pop3, tool)
    (tool.home / "pw").write_text("wrong\n")
    run = tool("sync")
    assert run.returncode != 0
    assert "login as" in run.stderr and "Traceback" not in run.output
