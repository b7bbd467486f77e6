"""`mime_tree` builds the feed parser's tree, or declines: never a different tree.

Every corpus message, generated ones and seeded random shapes (boundaries, nesting, folding,
CRLF, envelope lines...) are read both ways; where `mime_tree` answers, its tree must be the
feed parser's, header by header and payload by payload, and `parse_message` the same."""

from __future__ import annotations

import mailbox
import random
from email.message import Message
from pathlib import Path

import pytest

from benchmarks.gen_messages import generate
from tui_mail.mail import parse
from tui_mail.mail.mime_tree import mime_tree
from tui_mail.mail.parse import MAX_DEPTH, MAX_PARTS, RAW_HEADERS, BoundedParser, parse_message

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "corpus"
CORPUS = SHARED if SHARED.is_dir() else REPO / "tests" / "fixtures" / "corpus"


def _messages() -> list[tuple[str, bytes]]:
    out = [(str(p.relative_to(CORPUS)), p.read_bytes()) for p in sorted(CORPUS.rglob("*.eml"))]
    for path in sorted(CORPUS.glob("mimekit-mbox/*")):
        for i, message in enumerate(mailbox.mbox(path)):
            out.append((f"{path.relative_to(CORPUS)}#{i}", message.as_bytes()))
    out += [(f"generated {i}", raw) for i, raw in enumerate(generate(100, seed=19))]
    return out


MESSAGES = _messages()


def _text(raw: bytes) -> str:
    return raw.removeprefix(b"\xef\xbb\xbf").decode("ascii", "surrogateescape")


def _feed(text: str) -> Message:
    parser = BoundedParser()
    parser.feed(text)
    return parser.close()


def _assert_same_tree(fast: Message, slow: Message, where: str = "root") -> None:
    assert type(fast) is type(slow), where
    assert fast._headers == slow._headers, where  # type: ignore[attr-defined]
    assert fast.get_default_type() == slow.get_default_type(), where
    assert fast.get_unixfrom() == slow.get_unixfrom(), where
    assert slow.defects == [] and fast.defects == [], where
    a, b = fast._payload, slow._payload  # type: ignore[attr-defined]
    if isinstance(b, list):
        assert isinstance(a, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same_tree(x, y, f"{where}.{i}")
    else:
        assert a == b, where


def _tree(text: str) -> Message | None:
    return mime_tree(text, RAW_HEADERS, MAX_PARTS, MAX_DEPTH)


def test_every_corpus_message_gets_the_feed_parsers_tree_or_none() -> None:
    taken = 0
    for name, raw in MESSAGES:
        text = _text(raw)
        fast = _tree(text)
        if fast is not None:
            taken += 1
            _assert_same_tree(fast, _feed(text), name)
    assert taken > 0.8 * len(MESSAGES)  # the quick way is the common one


def test_every_corpus_message_parses_as_with_the_feed_parser_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """End to end, on a quarter of them (the tree test above covers every one)."""
    sample = MESSAGES[::4]
    quick = [parse_message(raw) for _, raw in sample]
    bodies = [parse_message(raw, headers=False) for _, raw in sample]
    monkeypatch.setattr(parse, "mime_tree", lambda *args: None)
    for (name, raw), fast, body in zip(sample, quick, bodies, strict=True):
        slow = parse_message(raw)
        assert fast == slow, name
        assert (body.text_body, body.html_body, body.attachments) == (
            slow.text_body, slow.html_body, slow.attachments), name


PIECES = [
    "Content-Type: multipart/mixed; boundary=b\n",
    'Content-Type: multipart/alternative; boundary="c"\n',
    "Content-Type: multipart/mixed; boundary=b; boundary=c\n",
    "Content-Type: multipart/mixed\n",
    "Content-Type: multipart/digest; boundary=b\n",
    "Content-Type: text/plain\n",
    "Content-Type: text/html; charset=utf-8\n",
    "Content-Type: message/rfc822\n",
    "Content-Transfer-Encoding: base64\n",
    "Subject: x\n", "X: y\r\n", " folded\n", "\t\n", ":\n", "From x\n", "Bad header\n",
    "\n", "\r\n", "\r", "\x0c",
    "--b\n", "--b--\n", "--c\n", "--c--\n", "--b \n", "--b--  \r\n", "--bb\n", "--b--x\n",
    "--b", "--c--", "--\n", "body line\n", "text",
]  # fmt: skip


def test_random_shapes_get_the_feed_parsers_tree_or_none() -> None:
    rng = random.Random(2046)
    taken = 0
    for _ in range(20000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 25)))
        if rng.random() < 0.5:
            text = "Content-Type: multipart/mixed; boundary=b\n\n" + text
        fast = _tree(text)
        if fast is not None:
            taken += 1
            _assert_same_tree(fast, _feed(text), repr(text))
    assert taken > 200


def test_a_tree_near_the_parsers_bounds_is_left_to_it() -> None:
    parts = "".join(f"--b\nContent-Type: text/plain\n\n{i}\n" for i in range(MAX_PARTS + 5))
    text = f"Content-Type: multipart/mixed; boundary=b\n\n{parts}--b--\n"
    assert _tree(text) is None
    assert "more than" in parse_message(text.encode()).defects[0]
