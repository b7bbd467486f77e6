"""Print the per-message cost of parse_headers and parse_message over the shared corpus."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tui_mail.mail import parse_headers, parse_message, render_message

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS
    raws = [p.read_bytes() for p in sorted(root.rglob("*.eml"))]
    heads = [r.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0] for r in raws]
    for label, func, data in (
        ("parse_headers (header block)", parse_headers, heads),
        ("parse_message", parse_message, raws),
    ):
        start = time.perf_counter()
        for raw in data:
            func(raw)
        per = (time.perf_counter() - start) / len(data)
        print(f"{label:32} {per * 1e6:9.1f} us/message over {len(data)} messages")
    msgs = [parse_message(r) for r in raws]
    start = time.perf_counter()
    for m in msgs:
        render_message(m, prefer_html=True)
    per = (time.perf_counter() - start) / len(msgs)
    print(f"{'render_message(prefer_html)':32} {per * 1e6:9.1f} us/message")


if __name__ == "__main__":
    main()
