"""The real `tui-mail` command on a cache that cannot be used: one line `tui-mail: ...` saying
what happened, which file and what to do, a non-zero status, and never a traceback."""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import Run, TuiMail
from tests.support.messages import write_mbox
from tests.support.mounts import read_only, small_disk
from tui_mail.store import Store
from tui_mail.store.failures import wal_path


@pytest.fixture
def tui_mail(tmp_path: Path) -> TuiMail:
    return TuiMail.without_accounts(tmp_path)


def assert_one_line(run: Run, starts: str) -> str:
    """The run failed with exactly one stderr line beginning `tui-mail: <starts>`."""
    assert run.returncode != 0, run.output
    assert "Traceback" not in run.output and "locals" not in run.output, run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"tui-mail: {starts}"), lines[0]
    return lines[0]


def damaged_cache(tool: TuiMail, tmp_path: Path) -> Path:
    """A real cache (an mbox imported by the command), then its pages overwritten."""
    imported = tool("import", str(write_mbox(tmp_path / "box.mbox", 200)))
    assert imported.returncode == 0, imported.output
    cache = tool.home / "data" / "tui-mail" / "cache.sqlite3"
    noise = random.Random(3)
    with cache.open("r+b") as fh:
        for offset in range(4096, cache.stat().st_size, 4096):
            fh.seek(offset)
            fh.write(noise.randbytes(4096))
    return cache


def test_import_onto_a_full_disk_says_so_and_resumes_once_there_is_room(
        tui_mail: TuiMail, tmp_path: Path) -> None:
    source = write_mbox(tmp_path / "big.mbox", 400, body_bytes=6000)
    with small_disk(tmp_path / "small", "1m") as disk:
        run = tui_mail("--data-dir", str(disk), "import", str(source))
        line = assert_one_line(run, f"the disk holding {disk / 'cache.sqlite3'} is full")
        assert line.endswith("nothing was lost, the last change was not saved; free some space"
                             " and try again")

        subprocess.run(["mount", "-o", "remount,size=32m", str(disk)], check=True)
        again = tui_mail("--data-dir", str(disk), "import", str(source))
        assert again.returncode == 0, again.output
        assert "already in the cache" in again.stdout and "0 unreadable" in again.stdout
        with Store.open(disk / "cache.sqlite3") as store:
            folder = store.folder("local", "big")
            assert folder is not None and folder.total == 400


@pytest.mark.parametrize("command", [
    ("search", "figures"),
    ("outbox", "list"),
    ("import", "{mbox}"),
    ("sync",),
])
def test_a_damaged_cache_is_one_line_for_each_command(
        tui_mail: TuiMail, tmp_path: Path, command: tuple[str, ...]) -> None:
    cache = damaged_cache(tui_mail, tmp_path)
    mbox = write_mbox(tmp_path / "more.mbox", 3)
    run = tui_mail(*(part.format(mbox=mbox) for part in command))
    line = assert_one_line(run, f"the cache {cache} is damaged (database disk image is malformed)")
    assert f"mv {cache} {cache}.damaged" in line


def test_a_foreign_file_in_place_of_the_cache_is_named_as_such(
        tui_mail: TuiMail) -> None:
    cache = tui_mail.home / "data" / "tui-mail" / "cache.sqlite3"
    cache.parent.mkdir(parents=True, mode=0o700)  # private, as tui-mail makes it
    cache.write_bytes(b"%PDF-1.7\n" + os.urandom(20000))
    cache.chmod(0o600)
    run = tui_mail("search", "anything")
    assert_one_line(run, f"{cache} is not a tui-mail cache (file is not a database)")


def test_an_empty_cache_file_is_reported_by_the_command(tui_mail: TuiMail) -> None:
    cache = tui_mail.home / "data" / "tui-mail" / "cache.sqlite3"
    cache.parent.mkdir(parents=True, mode=0o700)  # private, as tui-mail makes it
    cache.touch(mode=0o600)
    run = tui_mail("outbox", "list")
    assert_one_line(run, f"the cache {cache} is empty (0 bytes)")
    assert cache.stat().st_size == 0


def test_a_read_only_cache_refuses_an_import_but_still_answers_a_search(
        tui_mail: TuiMail, tmp_path: Path) -> None:
    assert tui_mail("import", str(write_mbox(tmp_path / "box.mbox", 5))).returncode == 0
    cache = tui_mail.home / "data" / "tui-mail" / "cache.sqlite3"
    with read_only(cache):
        run = tui_mail("import", str(write_mbox(tmp_path / "more.mbox", 2)))
        assert_one_line(run, f"the cache {cache} cannot be written (attempt to write a readonly"
                             " database): nothing was changed")
        found = tui_mail("search", "figures")
        assert found.returncode == 0, found.output
        assert found.stdout.count("report number") == 5


def test_a_journal_deleted_under_a_running_writer_is_explained_to_another_command(
        tui_mail: TuiMail, tmp_path: Path) -> None:
    assert tui_mail("import", str(write_mbox(tmp_path / "box.mbox", 5))).returncode == 0
    cache = tui_mail.home / "data" / "tui-mail" / "cache.sqlite3"
    writer = Store.open(cache)  # a running tui-mail
    try:
        writer.set_flags_local([m.id for m in writer.listing.search("figures")], seen=True)
        os.remove(wal_path(cache))
        run = tui_mail("search", "figures")
        line = assert_one_line(run, f"could not read the cache {cache}: its journal")
        assert "quit every tui-mail" in line
    finally:
        writer.close()
    assert tui_mail("search", "figures").returncode == 0


@pytest.mark.servers
def test_sync_onto_a_full_disk_ends_with_one_line(mail_servers, tui_mail: TuiMail,
                                                  tmp_path: Path) -> None:
    user = mail_servers.new_user()
    noise = random.Random(5)
    mail_servers.deliver_many(user, [
        (f"From: s{i}@example.com\r\nTo: {user.address}\r\nSubject: big {i}\r\n"
         f"Message-ID: <big{i}@example.com>\r\n\r\n{noise.randbytes(8000).hex()}\r\n").encode()
        for i in range(120)
    ])
    password = tmp_path / "pw"
    password.write_text(user.password + "\n")
    tui_mail.config.write_text(
        f'[accounts.work]\naddress = "{user.address}"\n\n[accounts.work.incoming]\n'
        f'protocol = "imap"\nhost = "127.0.0.1"\nport = {mail_servers.imap_tls_port}\n'
        f'security = "tls"\nusername = "{user.login}"\nca_file = "{mail_servers.ca_file}"\n'
        f'password_command = "cat {password}"\n'
    )
    with small_disk(tmp_path / "small", "768k") as disk:
        run = tui_mail("--data-dir", str(disk), "sync", "--bodies")
        assert run.returncode != 0, run.output
        assert "Traceback" not in run.output
        errors = [line for line in run.stderr.splitlines() if line.startswith("tui-mail:")]
        assert len(errors) == 1, run.stderr
        assert f"the disk holding {disk / 'cache.sqlite3'} is full" in errors[0]
        with Store.open(disk / "cache.sqlite3", readonly=True) as store:
            assert store.integrity_ok()
