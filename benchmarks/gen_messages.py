"""Generate N realistic synthetic RFC 5322 messages, deterministically (seeded).

Senders from a pool, threads with In-Reply-To/References, ~300-word bodies, some HTML, some
attachments, dates spread over years. Output is an mbox file or a Maildir.

    python benchmarks/gen_messages.py --count 10000 --mbox /tmp/mail.mbox
    python benchmarks/gen_messages.py --count 1000 --maildir /tmp/Maildir

`generate(count, seed)` yields raw messages for use from other scripts and tests.
"""

from __future__ import annotations

import argparse
import base64
import random
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from itertools import accumulate
from pathlib import Path

FIRST = [
    "Alice",
    "Bob",
    "Carol",
    "Dave",
    "Erin",
    "Frank",
    "Grace",
    "Heidi",
    "Ivan",
    "Judy",
    "Mallory",
    "Niaj",
    "Olivia",
    "Peggy",
    "Rupert",
    "Sybil",
    "Trent",
    "Victor",
    "Walter",
    "Zoë",
    "Jürgen",
    "Amélie",
    "Søren",
    "Chen",
    "Priya",
]
LAST = [
    "Smith",
    "Jones",
    "Müller",
    "García",
    "Rossi",
    "Dubois",
    "Kowalski",
    "Nakamura",
    "Okafor",
    "Larsen",
    "Novak",
    "Silva",
    "Cohen",
    "Ivanova",
    "Patel",
]
DOMAINS = ["example.com", "example.org", "mail.example.net", "corp.example", "lists.example.io"]
TOPICS = [
    "quarterly report",
    "release plan",
    "budget review",
    "team offsite",
    "server outage",
    "design review",
    "hiring update",
    "customer feedback",
    "security audit",
    "roadmap",
    "invoice",
    "travel booking",
    "conference talk",
    "migration",
    "performance numbers",
]
# A Zipf-like vocabulary: common words appear in nearly every message, the tail rarely.
VOCAB = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "that",
    "for",
    "it",
    "as",
    "was",
    "with",
    "be",
    "by",
    "on",
    "not",
    "he",
    "this",
    "are",
    "or",
    "his",
    "from",
    "at",
    "which",
    "but",
    "have",
    "an",
    "they",
    "you",
    "were",
    "her",
    "she",
    "all",
    "there",
    "been",
    "their",
    "has",
    "would",
    "when",
    "we",
    "will",
    "more",
    "no",
    "if",
    "out",
    "so",
    "said",
    "what",
    "up",
    "its",
    "about",
    "into",
    "than",
    "them",
    "can",
    "only",
    "other",
    "new",
    "some",
    "time",
    "could",
    "these",
    "two",
    "may",
    "then",
    "first",
    "any",
    "like",
    "now",
    "my",
    "such",
    "make",
    "over",
    "our",
    "even",
    "most",
    "after",
    "also",
    "did",
    "many",
    "before",
    "must",
    "through",
    "back",
    "years",
    "where",
    "much",
    "your",
    "way",
    "well",
    "down",
    "should",
    "because",
    "each",
    "just",
    "those",
    "people",
    "how",
    "too",
    "little",
    "state",
    "good",
    "very",
    "world",
    "still",
    "own",
    "see",
    "men",
    "work",
    "long",
    "get",
    "here",
    "between",
    "both",
    "life",
    "being",
    "under",
    "never",
    "day",
    "same",
    "another",
    "know",
    "while",
    "last",
    "might",
    "us",
    "great",
    "old",
    "year",
    "off",
    "come",
    "since",
    "against",
    "go",
    "came",
    "right",
    "used",
    "take",
    "three",
    "project",
    "deadline",
    "server",
    "database",
    "meeting",
    "schedule",
    "review",
    "customer",
    "release",
    "budget",
    "numbers",
    "team",
    "plan",
    "update",
    "question",
    "answer",
    "issue",
    "ticket",
    "deploy",
    "branch",
    "commit",
    "merge",
    "test",
    "build",
    "report",
    "quarter",
    "revenue",
    "forecast",
    "contract",
    "invoice",
    "payment",
    "shipment",
    "warehouse",
    "inventory",
    "vendor",
    "kubernetes",
    "postgres",
    "latency",
    "throughput",
    "regression",
    "benchmark",
    "profiler",
    "allocation",
    "cache",
    "xylophone",
    "quixotic",
    "zeppelin",
    "fjord",
    "sphinx",
    "wizard",
    "jukebox",
    "bazaar",
    "rhythm",
    "syzygy",
]
RARE = [
    "aardvark",
    "bumblebee",
    "cormorant",
    "dromedary",
    "echidna",
    "flamingo",
    "gazelle",
    "hedgehog",
    "ibis",
    "jackal",
    "kookaburra",
    "lemur",
    "mongoose",
    "narwhal",
    "ocelot",
]


# Cumulative weights computed once (`choices(weights=...)` accumulates the same sums per call).
_CUM_WEIGHTS = list(accumulate(1.0 / (i + 1) for i in range(len(VOCAB))))
THREAD_WINDOW = 50  # a reply answers one of the 50 newest threads
REFS_KEPT = 10  # References lists the last 10 message ids of its thread


def _words(rng: random.Random, n: int) -> str:
    words = rng.choices(VOCAB, cum_weights=_CUM_WEIGHTS, k=n)
    if rng.random() < 0.01:
        words[rng.randrange(n)] = rng.choice(RARE)
    return " ".join(words)


def _paragraphs(rng: random.Random, total: int) -> list[str]:
    out = []
    while total > 0:
        n = min(total, rng.randint(30, 90))
        text = _words(rng, n)
        out.append(text[0].upper() + text[1:] + ".")
        total -= n
    return out


def _wrap(text: str, width: int = 72) -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return "\r\n".join(lines)


def generate(count: int, seed: int = 1, start: datetime | None = None) -> Iterator[bytes]:
    """Yield `count` raw messages, oldest first, spread over about five years.

    Memory stays flat in `count` (1M messages stream in a few MB): only the newest
    THREAD_WINDOW threads are kept, each with its last REFS_KEPT ids. The random draws are the
    same as when every thread was kept, so a seed gives the same messages as before.
    """
    rng = random.Random(seed)
    people = [
        (f"{rng.choice(FIRST)} {rng.choice(LAST)}", f"user{i}@{rng.choice(DOMAINS)}")
        for i in range(400)
    ]
    start = start or datetime(2020, 1, 1, tzinfo=UTC)
    step = (5 * 365 * 86400) / max(count, 1)
    threads: deque[tuple[str, list[str]]] = deque(maxlen=THREAD_WINDOW)  # (subject, ids)
    for n in range(count):
        date = start + timedelta(seconds=n * step + rng.random() * step)
        name, addr = people[min(int(rng.paretovariate(1.2)) - 1, len(people) - 1)]
        to_name, to_addr = rng.choice(people)
        msgid = f"<{n}.{seed}.{rng.getrandbits(32):x}@gen.example>"
        headers = [
            f"From: {name} <{addr}>",
            f"To: {to_name} <{to_addr}>",
            f"Date: {format_datetime(date)}",
            f"Message-ID: {msgid}",
            "MIME-Version: 1.0",
        ]
        if rng.random() < 0.2:
            cc_name, cc_addr = rng.choice(people)
            headers.append(f"Cc: {cc_name} <{cc_addr}>")
        if threads and rng.random() < 0.4:
            subject, ids = threads[rng.randrange(len(threads))]
            headers.append(f"Subject: Re: {subject}")
            headers.append(f"In-Reply-To: {ids[-1]}")
            headers.append("References: " + " ".join(ids[-REFS_KEPT:]))
            ids.append(msgid)
            if len(ids) > REFS_KEPT:
                del ids[0]
        else:
            subject = f"{rng.choice(TOPICS)} {rng.choice(VOCAB)} #{n % 997}"
            headers.append(f"Subject: {subject}")
            threads.append((subject, [msgid]))
        paras = _paragraphs(rng, rng.randint(150, 450))
        kind = rng.random()
        if kind < 0.15:
            html = "".join(f"<p>{p}</p>" for p in paras)
            body = f"<html><body>{html}</body></html>"
            headers.append("Content-Type: text/html; charset=utf-8")
            headers.append("Content-Transfer-Encoding: 8bit")
            payload = _wrap(body)
        elif kind < 0.25:
            boundary = f"b{n:08d}"
            data = base64.encodebytes(rng.randbytes(rng.randint(2000, 20000))).decode()
            fname = f"{rng.choice(['report', 'invoice', 'photo', 'notes'])}-{n}.pdf"
            headers.append(f'Content-Type: multipart/mixed; boundary="{boundary}"')
            payload = "\r\n".join(
                [
                    f"--{boundary}",
                    "Content-Type: text/plain; charset=utf-8",
                    "",
                    "\r\n\r\n".join(_wrap(p) for p in paras),
                    f"--{boundary}",
                    f'Content-Type: application/pdf; name="{fname}"',
                    f'Content-Disposition: attachment; filename="{fname}"',
                    "Content-Transfer-Encoding: base64",
                    "",
                    data.replace("\n", "\r\n"),
                    f"--{boundary}--",
                    "",
                ]
            )
        else:
            headers.append("Content-Type: text/plain; charset=utf-8")
            headers.append("Content-Transfer-Encoding: 8bit")
            payload = "\r\n\r\n".join(_wrap(p) for p in paras)
        yield ("\r\n".join(headers) + "\r\n\r\n" + payload + "\r\n").encode("utf-8")


def write_mbox(path: Path, messages: Iterator[bytes]) -> int:
    n = 0
    with path.open("wb") as fh:
        for raw in messages:
            body = raw.replace(b"\r\n", b"\n")
            body = b"\n".join(
                b">" + line if line.startswith(b"From ") else line for line in body.split(b"\n")
            )
            fh.write(b"From gen@example.com Thu Jan  1 00:00:00 2020\n" + body + b"\n")
            n += 1
    return n


def write_maildir(path: Path, messages: Iterator[bytes]) -> int:
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    n = 0
    for n, raw in enumerate(messages, 1):
        flags = ":2,S" if n % 3 else ":2,"
        (path / "cur" / f"{n:08d}.gen{flags}").write_bytes(raw)
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    out = ap.add_mutually_exclusive_group(required=True)
    out.add_argument("--mbox", type=Path)
    out.add_argument("--maildir", type=Path)
    args = ap.parse_args()
    messages = generate(args.count, args.seed)
    n = write_mbox(args.mbox, messages) if args.mbox else write_maildir(args.maildir, messages)
    print(f"wrote {n} messages to {args.mbox or args.maildir}")


if __name__ == "__main__":
    main()
