"""Exporting cached messages to an mbox or a Maildir that other mail readers (and `import`) read."""

from __future__ import annotations

import mailbox
import subprocess
import sys
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from benchmarks.gen_messages import generate, write_maildir
from tui_mail.errors import TuiMailError
from tui_mail.model import Flags
from tui_mail.store import Store
from tui_mail.store.exporter import (
    ExportFormat,
    export_messages,
    format_for,
    matching_ids,
    mbox_entry,
)
from tui_mail.store.importer import import_path
from tui_mail.store.types import NewMessage

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "corpus"
CORPUS = SHARED if SHARED.is_dir() else REPO / "tests" / "fixtures" / "corpus"
CORPUS_FILES = sorted(CORPUS.rglob("*.eml"))

TRICKY = (b"From: Ann <ann@example.org>\r\nTo: bob@example.org\r\nSubject: quoting\r\n"
          b"Status: RO\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000\r\nMessage-ID: <q@x>\r\n\r\n"
          b"From the start of a line\r\n>From already quoted\r\nlast line without newline")


def _flags_by_subject(store: Store, folder: str) -> dict[str, Flags]:
    return {row.subject: row.flags for row in store.listing.search("", folder=folder, limit=1000)}


def _cached(store: Store, tmp_path: Path, count: int = 40) -> list[int]:
    write_maildir(tmp_path / "src", generate(count, seed=12))
    import_path(store, tmp_path / "src", "local", "Src")
    return matching_ids(store, "", folder="Src")


def test_an_mbox_export_reads_back_in_python_mailbox_with_bodies_and_flags(
        store: Store, tmp_path: Path) -> None:
    ids = _cached(store, tmp_path)
    store.set_flags_local(ids[:5], flagged=True)
    store.set_flags_local(ids[5:8], answered=True)
    dest = tmp_path / "out.mbox"
    result = export_messages(store, ids, dest, ExportFormat.MBOX)
    assert (result.written, result.not_downloaded) == (40, 0)
    box = mailbox.mbox(dest, create=False)
    try:
        read = list(box)
        box_bytes = [box.get_bytes(key) for key in box.iterkeys()]
    finally:
        box.close()
    assert len(read) == 40
    for n, (message_id, got) in enumerate(zip(ids, read, strict=True)):
        raw = (store.raw_message(message_id) or b"").replace(b"\r\n", b"\n")
        row = store.message_row(message_id)
        assert row is not None
        assert got["Subject"] == message_from_bytes(raw, policy=default)["Subject"]
        assert box_bytes[n].partition(b"\n\n")[2] == \
            raw.partition(b"\n\n")[2].replace(b"\nFrom ", b"\n>From ")
        assert ("R" in got.get_flags()) == row.flags.seen
        assert ("F" in got.get_flags()) == row.flags.flagged
        assert ("A" in got.get_flags()) == row.flags.answered


def test_an_mbox_export_imports_back_with_the_same_flags(store: Store, tmp_path: Path) -> None:
    ids = _cached(store, tmp_path)
    store.set_flags_local(ids[::3], flagged=True)
    store.set_flags_local(ids[1::4], seen=False)
    export_messages(store, ids, tmp_path / "out.mbox", ExportFormat.MBOX)
    import_path(store, tmp_path / "out.mbox", "local", "Back")
    assert _flags_by_subject(store, "Back") == _flags_by_subject(store, "Src")


def test_from_lines_in_the_body_are_quoted_and_old_status_headers_replaced() -> None:
    entry = mbox_entry(TRICKY, Flags(flagged=True), "ann@example.org",
                       datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    assert entry.startswith(b"From ann@example.org Mon Mar 02 10:00:00 2026\n")
    assert b"\r" not in entry
    assert b"\n>From the start of a line\n>From already quoted\n" in entry
    assert entry.count(b"Status: ") == 2 and b"\nStatus: O\n" in entry
    assert b"\nX-Status: F\n" in entry and b"Status: RO" not in entry
    assert entry.endswith(b"last line without newline\n\n")


def test_an_unusable_sender_gives_the_mailer_daemon_envelope() -> None:
    when = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    for sender in ("", "two words@example.org", "\x1b[31m@x", "naïve@example.org"):
        assert mbox_entry(b"Subject: x\n\nbody\n", Flags(), sender, when).startswith(
            b"From MAILER-DAEMON Mon Mar 02 10:00:00 2026\n")


def test_appending_to_an_mbox_without_a_final_newline_keeps_its_last_message(
        store: Store, tmp_path: Path) -> None:
    ids = _cached(store, tmp_path, 3)
    dest = tmp_path / "old.mbox"
    dest.write_bytes(b"From a@b Mon Mar  2 10:00:00 2026\nSubject: kept\n\nold body")
    export_messages(store, ids, dest, ExportFormat.MBOX)
    box = mailbox.mbox(dest, create=False)
    try:
        subjects = [m["Subject"] for m in box]
        first = box.get_bytes(box.keys()[0])
    finally:
        box.close()
    assert len(subjects) == 4 and subjects[0] == "kept"
    assert first.endswith(b"old body\n")


def test_a_locked_mbox_is_refused_and_left_as_it_was(store: Store, tmp_path: Path) -> None:
    ids = _cached(store, tmp_path, 3)
    dest = tmp_path / "locked.mbox"
    dest.write_bytes(b"From a@b Mon Mar  2 10:00:00 2026\nSubject: kept\n\nold\n\n")
    before = dest.read_bytes()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys; f = open(sys.argv[1], 'ab');"
         " fcntl.lockf(f, fcntl.LOCK_EX); print('locked', flush=True); sys.stdin.read()",
         str(dest)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        with pytest.raises(TuiMailError, match="locked by another program"):
            export_messages(store, ids, dest, ExportFormat.MBOX)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait()
    assert dest.read_bytes() == before


def test_a_maildir_export_keeps_the_bytes_and_flags_and_adds_nothing_twice(
        store: Store, tmp_path: Path) -> None:
    ids = _cached(store, tmp_path)
    store.set_flags_local(ids[:4], flagged=True)
    dest = tmp_path / "Exported"
    first = export_messages(store, ids, dest, ExportFormat.MAILDIR)
    assert (first.written, first.already_there) == (40, 0)
    files = sorted((dest / "cur").iterdir())
    assert len(files) == 40 and not any((dest / "tmp").iterdir())
    raws = {store.raw_message(i) for i in ids}
    assert {f.read_bytes() for f in files} == raws
    again = export_messages(store, ids, dest, ExportFormat.MAILDIR)
    assert (again.written, again.already_there) == (0, 40)
    import_path(store, dest, "local", "Back")
    assert _flags_by_subject(store, "Back") == _flags_by_subject(store, "Src")


def test_messages_not_downloaded_are_counted_and_not_written(store: Store, tmp_path: Path) -> None:
    ids = _cached(store, tmp_path, 5)
    raw = b"From: x@example.org\r\nSubject: headers only\r\n\r\n"
    missing = store.add_messages("work", "INBOX", [NewMessage(uid=1, raw_headers=raw,
                                                              size=5000)])
    result = export_messages(store, ids + missing, tmp_path / "o.mbox", ExportFormat.MBOX)
    assert (result.written, result.not_downloaded) == (5, 1)
    assert b"headers only" not in (tmp_path / "o.mbox").read_bytes()


def test_a_query_selects_what_is_exported_oldest_first(store: Store, tmp_path: Path) -> None:
    ids = _cached(store, tmp_path)
    store.set_flags_local(ids[10:13], flagged=True)
    picked = matching_ids(store, "is:flagged", folder="Src")
    assert picked == ids[10:13]
    dates = [store.message_row(i).date for i in ids]  # type: ignore[union-attr]
    assert dates == sorted(dates)


def test_the_format_follows_the_destination(tmp_path: Path) -> None:
    assert format_for(str(tmp_path)) is ExportFormat.MAILDIR
    assert format_for(f"{tmp_path}/new/") is ExportFormat.MAILDIR
    assert format_for(str(tmp_path / "x.mbox")) is ExportFormat.MBOX


def test_every_corpus_message_survives_an_mbox_export(store: Store, tmp_path: Path) -> None:
    src = tmp_path / "corpus"
    (src / "cur").mkdir(parents=True)
    (src / "new").mkdir()
    for n, path in enumerate(CORPUS_FILES):
        (src / "cur" / f"{n}.corpus:2,S").write_bytes(path.read_bytes())
    imported = import_path(store, src, "local", "Corpus")
    ids = matching_ids(store, "", folder="Corpus")
    assert len(ids) == imported.added > 10
    result = export_messages(store, ids, tmp_path / "c.mbox", ExportFormat.MBOX)
    assert result.written == len(ids)
    box = mailbox.mbox(tmp_path / "c.mbox", create=False)
    try:
        assert len(box) == len(ids)
    finally:
        box.close()
    back = import_path(store, tmp_path / "c.mbox", "local", "Back")
    # A few corpus files differ only in line ends or Status headers, which an mbox rewrites:
    # importing them back finds them the same message.
    assert (back.added + back.skipped, back.failed) == (len(ids), 0)
    assert {r.subject for r in store.listing.search("", folder="Back", limit=10_000)} == \
        {r.subject for r in store.listing.search("", folder="Corpus", limit=10_000)}


FULL_DISK = """
import resource, signal, sys
from pathlib import Path
from tui_mail.errors import TuiMailError
from tui_mail.store import Store
from tui_mail.store.exporter import ExportFormat, export_messages, matching_ids
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
dest = Path(sys.argv[2])
resource.setrlimit(resource.RLIMIT_FSIZE, (dest.stat().st_size + 3000,) * 2)
with Store.open(Path(sys.argv[1])) as store:
    try:
        export_messages(store, matching_ids(store, "", folder="Src"), dest, ExportFormat.MBOX)
    except TuiMailError as exc:
        print(exc)
"""


def test_an_export_that_cannot_finish_leaves_the_mbox_as_it_was(store: Store,
                                                                 tmp_path: Path) -> None:
    _cached(store, tmp_path, 30)
    dest = tmp_path / "kept.mbox"
    dest.write_bytes(b"From a@b Mon Mar  2 10:00:00 2026\nSubject: kept\n\nold")
    before = dest.read_bytes()
    done = subprocess.run([sys.executable, "-c", FULL_DISK, str(store.path), str(dest)],
                          capture_output=True, text=True, cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr
    assert "cannot write" in done.stdout and "nothing was added to it" in done.stdout
    assert dest.read_bytes() == before


def test_a_new_mbox_and_maildir_files_are_readable_by_their_owner_only(
        store: Store, tmp_path: Path) -> None:
    ids = _cached(store, tmp_path, 2)
    export_messages(store, ids, tmp_path / "private.mbox", ExportFormat.MBOX)
    export_messages(store, ids, tmp_path / "Private", ExportFormat.MAILDIR)
    assert (tmp_path / "private.mbox").stat().st_mode & 0o777 == 0o600
    assert {f.stat().st_mode & 0o777 for f in (tmp_path / "Private" / "cur").iterdir()} == {0o600}
