"""The demo account: what it promises (folders, counts, kinds of mail) and that it never changes."""

from __future__ import annotations

import email
import hashlib
import shutil
from collections import Counter
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.support.messages import plain_body
from tui_mail import __version__
from tui_mail.demo.builder import build_demo_cache, demo_cache_path, ensure_demo_cache
from tui_mail.demo.generate import ACCOUNT, BASE_DATE, FOLDERS, LIST_FOLDER, DemoMessage, generate

PROMISED_COUNTS = {
    "INBOX": 120,
    "Sent": 83,
    "Drafts": 3,
    "Archive": 70,
    "Trash": 10,
    LIST_FOLDER: 60,
}


@pytest.fixture(scope="module")
def messages() -> list[DemoMessage]:
    return list(generate())


@pytest.fixture(scope="module")
def parsed(messages: list[DemoMessage]) -> list[EmailMessage]:
    return [email.message_from_bytes(m.raw, policy=policy.default) for m in messages]


def test_folders_and_counts_are_as_promised(messages: list[DemoMessage]) -> None:
    assert Counter(m.folder for m in messages) == PROMISED_COUNTS
    assert [name for name, _ in FOLDERS] == list(PROMISED_COUNTS)


def test_generation_is_deterministic(messages: list[DemoMessage]) -> None:
    again = list(generate())
    assert [(m.folder, m.uid, m.flags, m.internaldate) for m in again] == [
        (m.folder, m.uid, m.flags, m.internaldate) for m in messages
    ]
    digest = hashlib.sha256
    assert digest(b"".join(m.raw for m in again)).digest() == digest(
        b"".join(m.raw for m in messages)
    ).digest()


def test_every_message_parses_without_defects(parsed: list[EmailMessage]) -> None:
    for msg in parsed:
        assert msg.defects == []
        assert msg.get_body(("plain", "html")) is not None


def test_uids_ascend_with_date_and_nothing_is_newer_than_the_base_date(
    messages: list[DemoMessage],
) -> None:
    for folder in PROMISED_COUNTS:
        in_folder = [m for m in messages if m.folder == folder]
        assert [m.uid for m in in_folder] == list(range(1, len(in_folder) + 1))
        dates = [m.internaldate for m in in_folder]
        assert dates == sorted(dates)
    assert max(m.internaldate for m in messages) <= BASE_DATE


def test_addresses_only_use_example_domains(parsed: list[EmailMessage]) -> None:
    for msg in parsed:
        for header in ("From", "To", "Cc"):
            for addr in getattr(msg[header], "addresses", ()):
                assert addr.domain in {"example.com", "example.org", "example.net"}, addr


def test_there_is_non_ascii_html_attachments_and_threads(parsed: list[EmailMessage]) -> None:
    subjects = [str(m["Subject"]) for m in parsed]
    senders = [str(m["From"]) for m in parsed]
    assert any("Über" in s for s in subjects)
    assert any("来週" in s for s in subjects)
    assert any(ch in s for s in subjects for ch in "🎉☕🍜")
    assert any("山田 太郎" in s for s in senders)
    assert any("Jürgen Müller" in s for s in senders)
    assert any(m.get_content_charset() == "iso-2022-jp" for m in parsed)
    assert sum(1 for m in parsed if any(p.get_content_type() == "text/html" for p in m.walk())) >= 5
    names = {a.get_filename() for m in parsed for a in m.iter_attachments()}
    assert {"Präsentation.pdf", "見積書.pdf", "invite.ics"} <= names
    replies = [m for m in parsed if m["In-Reply-To"]]
    assert len(replies) >= 50
    assert all(str(m["In-Reply-To"]) in str(m["References"]) for m in replies)
    deep = [m for m in parsed if "\n>> " in plain_body(m)]
    assert deep, "some replies quote a reply (two quote levels)"


def test_attachments_are_small_and_real(parsed: list[EmailMessage]) -> None:
    for msg in parsed:
        for part in msg.iter_attachments():
            data = part.get_content()
            assert 0 < len(data) < 20_000
            if part.get_content_type() == "application/pdf":
                assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
            if part.get_content_type() == "image/png":
                assert data.startswith(b"\x89PNG\r\n\x1a\n")


def test_flags_tell_a_story(messages: list[DemoMessage]) -> None:
    inbox = [m for m in messages if m.folder == "INBOX"]
    unread = [m for m in inbox if not m.flags.seen]
    assert 3 <= len(unread) <= 30
    assert inbox[-1] in unread, "the newest message is unread"
    assert any(m.flags.flagged for m in inbox)
    assert any(m.flags.answered for m in inbox)
    assert all(m.flags.draft for m in messages if m.folder == "Drafts")
    assert all(m.flags.seen for m in messages if m.folder == "Sent")


def test_list_messages_carry_list_headers(parsed: list[EmailMessage], messages: list[DemoMessage]) -> None:
    in_list = [p for p, m in zip(parsed, messages, strict=True) if m.folder == LIST_FOLDER]
    assert all("python-dev.example.org" in str(p["List-Id"]) for p in in_list)
    assert all(str(p["List-Post"]) == "<mailto:python-dev@example.org>" for p in in_list)


# -- the cache file --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_cache(tmp_path_factory.mktemp("demo") / "demo.sqlite3")


def test_build_writes_every_folder_with_its_role_and_counts(built: Path) -> None:
    from tui_mail.store import Store

    with Store.open(built, readonly=True) as store:
        folders = {f.name: f for f in store.folders(ACCOUNT)}
        assert {name: f.total for name, f in folders.items()} == PROMISED_COUNTS
        assert {name: f.role for name, f in folders.items()} == dict(FOLDERS)
        assert folders["INBOX"].unread > 0
    leftovers = [p.name for p in built.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == [], "no temporary files are left behind"


def test_build_is_idempotent_and_keeps_the_existing_file(built: Path) -> None:
    stamp = built.stat().st_mtime_ns
    assert build_demo_cache(built) == built
    assert built.stat().st_mtime_ns == stamp


def test_the_cache_is_named_after_the_version_and_stale_ones_are_removed(
    built: Path, tmp_path: Path
) -> None:
    current = demo_cache_path(tmp_path)
    assert f"demo-{__version__}-" in current.name
    shutil.copyfile(built, current)
    stale = tmp_path / "demo-0.0.1-abcdef0123.sqlite3"
    stale.write_bytes(b"old")
    assert ensure_demo_cache(tmp_path) == current
    assert current.exists() and not stale.exists()
