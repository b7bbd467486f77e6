"""The streaming mbox reader gives exactly the bytes `mailbox.mbox` gives, in order."""

from __future__ import annotations

import mailbox
import random
from pathlib import Path

import pytest

from benchmarks.gen_messages import generate, write_mbox
from tui_mail.store.mbox_reader import mbox_messages

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "corpus"
CORPUS = SHARED if SHARED.is_dir() else REPO / "tests" / "fixtures" / "corpus"


def _mailbox_bytes(path: Path) -> list[bytes]:
    box = mailbox.mbox(path, create=False)
    try:
        return [box.get_bytes(key) for key in box.iterkeys()]
    finally:
        box.close()


def _assert_same(path: Path, blocks: tuple[int, ...]) -> None:
    expected = _mailbox_bytes(path)
    for block in blocks:
        assert list(mbox_messages(path, block=block)) == expected, (path, block)


def test_generated_mbox_reads_as_mailbox_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "gen.mbox"
    write_mbox(path, generate(60, seed=11))
    _assert_same(path, (1 << 20, 4096, 97))


@pytest.mark.parametrize("path", sorted(CORPUS.glob("mimekit-mbox/*")), ids=lambda p: p.name)
def test_corpus_mbox_reads_as_mailbox_reads_it(path: Path) -> None:
    _assert_same(path, (1 << 20, 4096, 61))


def test_random_mbox_shapes_read_as_mailbox_reads_them(tmp_path: Path) -> None:
    """Envelope lines, blank lines, ">From " and CRLF in every order, split at every block
    size that could cut "\\nFrom " in two."""
    rng = random.Random(4155)
    pieces = [b"From ", b"From x\n", b"\n", b"\n\n", b"text", b">From ", b"a\r\n", b"\r\n\r\n",
              b"From", b"rom ", b" "]
    path = tmp_path / "x.mbox"
    for _ in range(150):
        path.write_bytes(b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))))
        _assert_same(path, (1, 2, 5, 6, 7, 64))


def test_an_escaped_from_line_is_kept_as_written(tmp_path: Path) -> None:
    path = tmp_path / "m.mbox"
    path.write_bytes(b"From a\nSubject: x\n\n>From here\nbody\n\nFrom b\nSubject: y\n\nz\n")
    assert list(mbox_messages(path)) == [b"Subject: x\n\n>From here\nbody\n",
                                         b"Subject: y\n\nz\n"]
