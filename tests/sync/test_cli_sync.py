"""`tui-mail sync`: one summary line, quiet when not a terminal, non-zero with the error."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tui_mail.cli import sync as sync_cli
from tui_mail.cli.context import CliContext
from tui_mail.store import Store

pytestmark = pytest.mark.servers


def _run(tmp_path: Path, h, password: str, *argv: str) -> int:
    pw = tmp_path / "pw"
    pw.write_text(password + "\n")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[accounts.work]\naddress = "{h.user.address}"\n\n[accounts.work.incoming]\n'
        f'protocol = "imap"\nhost = "127.0.0.1"\nport = {h.config.port}\nsecurity = "tls"\n'
        f'username = "{h.user.login}"\nca_file = "{h.config.ca_file}"\n'
        f'password_command = "cat {pw}"\n'
    )
    parser = argparse.ArgumentParser()
    sync_cli.register(parser.add_subparsers())
    args = parser.parse_args(["sync", *argv])
    return args.func(args, CliContext(config_path=config, data_dir=tmp_path / "data"))


def test_sync_prints_one_summary_line_and_fills_the_cache(dovecot, make_harness, message, tmp_path, capsys):
    h = make_harness(dovecot)
    dovecot.deliver_many(h.user, [message(i) for i in range(30)])

    code = _run(tmp_path, h, h.user.password, "--folder", "INBOX", "--bodies")

    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.count("\n") == 1 and "30 new" in out and "30 bodies" in out
    assert "\r" not in err  # not a terminal: no progress line
    with Store.open(tmp_path / "data" / "cache.sqlite3") as store:
        assert len(store.uid_flags("work", "INBOX")) == 30


def test_sync_with_a_wrong_password_fails_with_the_server_words(dovecot, make_harness, tmp_path, capsys):
    h = make_harness(dovecot)

    code = _run(tmp_path, h, "not the password")

    out, err = capsys.readouterr()
    assert code != 0
    assert "login as" in err and "failed" in err and "1 error" in out
