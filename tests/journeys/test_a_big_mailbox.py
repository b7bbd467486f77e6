"""Journeys of issue 19, from the shell as a user types them: years of mail from another client
imported as an mbox (all cores, resumable), found and shown by id the way mutt-style scripts
do; and a first `sync --bodies` of a large mailbox that loses the server half-way, says how
much it kept, and finishes with the next run without fetching anything twice.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.journeys.session import cached_bodies
from tests.journeys.world import MailWorld, message
from tests.support.terminal import tui_mail_command

pytestmark = [pytest.mark.servers]

WORDS = ["quokka", "marimba", "tamarind", "obsidian", "gazpacho", "zanzibar"]


def _run(world: MailWorld, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*tui_mail_command(), *args], env=world.env, cwd=world.home,
                          capture_output=True, text=True, timeout=timeout, check=False)


def _mbox(path: Path, count: int) -> None:
    with path.open("wb") as out:
        for n in range(count):
            raw = message(f"Old letter {n}", f"Letter {n} is about the {WORDS[n % 6]}{n}.\n",
                          sender=f"Pen Friend {n % 7} <friend{n % 7}@example.org>")
            out.write(b"From friend@example.org Mon Jan  1 00:00:00 2018\n")
            out.write(raw.replace(b"\r\n", b"\n").replace(b"\nFrom ", b"\n>From ") + b"\n")


def test_an_old_mbox_imported_from_the_shell_is_searchable_and_shown_by_id(
        world: MailWorld, tmp_path: Path) -> None:
    world.write_config()
    mbox = tmp_path / "old-mail.mbox"
    _mbox(mbox, 300)

    first = _run(world, "import", str(mbox))
    assert first.returncode == 0, first.stderr
    assert "300 imported, 0 already in the cache" in first.stdout
    again = _run(world, "import", str(mbox))  # a re-run (after a kill, say) adds nothing
    assert "0 imported, 300 already in the cache" in again.stdout, again.stdout + again.stderr

    found = _run(world, "search", "--json", "tamarind152")
    assert found.returncode == 0, found.stderr
    hits = [json.loads(line) for line in found.stdout.splitlines()]
    assert [hit["subject"] for hit in hits] == ["Old letter 152"]
    shown = _run(world, "show", str(hits[0]["id"]))
    assert shown.returncode == 0, shown.stderr
    assert "Subject: Old letter 152" in shown.stdout
    assert "Letter 152 is about the tamarind152." in shown.stdout


def test_a_first_sync_of_bodies_cut_off_by_the_server_keeps_and_counts_them_then_finishes(
        world: MailWorld) -> None:
    world.write_config()
    padding = "All the news from the harbour, at length. " * 2000  # about 85 KB a message
    count = 400  # past POOL_FROM: the text is extracted by worker processes
    world.servers.dovecot.deliver_many(world.user, [
        message(f"Harbour news {n}", f"Number {n}: {WORDS[n % 6]}{n}.\n{padding}\n",
                to=world.user.address) for n in range(count)])
    headers = _run(world, "sync")
    assert headers.returncode == 0, headers.stderr

    sync = subprocess.Popen([*tui_mail_command(), "sync", "--bodies"], env=world.env,
                            cwd=world.home, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 60
        while cached_bodies(world) == 0 and sync.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        world.servers.dovecot.kill_imap_processes()  # the first bodies are written: cut it
        out, err = sync.communicate(timeout=60)
    finally:
        if sync.poll() is None:
            sync.kill()
    kept = cached_bodies(world)
    assert 0 < kept < count, "the connection was not cut half-way"
    assert sync.returncode != 0 and "the connection broke" in err, err
    assert f", {kept} bodies" in out, out  # what was written is said, not "0 bodies"

    rest = _run(world, "sync", "--bodies")
    assert rest.returncode == 0, rest.stderr
    assert f", {count - kept} bodies" in rest.stdout, rest.stdout
    assert cached_bodies(world) == count
    found = _run(world, "search", "--json", f"obsidian{count - 1}")
    assert [json.loads(line)["subject"] for line in found.stdout.splitlines()] == [
        f"Harbour news {count - 1}"]
