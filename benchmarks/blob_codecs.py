"""zlib against zstd (with and without a trained dictionary) on what the cache compresses.

    /work/main/.venv/bin/python benchmarks/blob_codecs.py [--count 20000]

For whole messages and for the search text extracted from them (`extract.body_text`), on
`count` generated messages (gen_messages.py, seed 7) and on the real messages of the shared
corpus (../shared/corpus/**/*.eml), compressed one at a time as the cache stores them: the size
ratio (compressed / raw) and the CPU microseconds per message to compress and to decompress.
The dictionaries are trained on a sample of the same messages they are measured on, which
flatters them (a cache would train on its first messages and compress the later ones).
"""

from __future__ import annotations

import argparse
import functools
import random
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import zstandard

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.gen_messages import generate  # noqa: E402
from tui_mail.store.extract import body_text  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
Codec = tuple[str, Callable[[bytes], bytes], Callable[[bytes], bytes]]


def measure(name: str, items: Sequence[bytes], compress: Callable[[bytes], bytes],
            decompress: Callable[[bytes], bytes]) -> None:
    t0 = time.process_time()
    packed = [compress(m) for m in items]
    spent = time.process_time() - t0
    t0 = time.process_time()
    for blob in packed:
        decompress(blob)
    back = time.process_time() - t0
    ratio = sum(map(len, packed)) / sum(map(len, items))
    print(f"  {name:26} ratio {ratio:.3f}   compress {spent / len(items) * 1e6:7.1f} us"
          f"   decompress {back / len(items) * 1e6:6.1f} us")


def codecs(sample: Sequence[bytes], dict_size: int) -> list[Codec]:
    out: list[Codec] = []
    for level in (1, 6):
        out.append((f"zlib {level}", functools.partial(zlib.compress, level=level),
                    zlib.decompress))
    for level in (3, 9, 19):
        c, d = zstandard.ZstdCompressor(level=level), zstandard.ZstdDecompressor()
        out.append((f"zstd {level}", c.compress, d.decompress))
    trained = zstandard.train_dictionary(dict_size, list(sample))
    c = zstandard.ZstdCompressor(level=3, dict_data=trained)
    d = zstandard.ZstdDecompressor(dict_data=trained)
    out.append((f"zstd 3 + {dict_size // 1024} KiB dictionary", c.compress, d.decompress))
    return out


def texts(messages: Sequence[bytes]) -> list[bytes]:
    out = []
    for raw in messages:
        try:
            text = body_text(raw).text.encode()
        except Exception:  # noqa: BLE001 - a corpus message the extractor gives up on
            continue
        if text:
            out.append(text)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=20_000)
    args = ap.parse_args()
    sets = {"generated": list(generate(args.count, 7)),
            "corpus": [p.read_bytes() for p in sorted(CORPUS.rglob("*.eml"))]}
    for label, messages in sets.items():
        for what, items, dict_size in (("messages", messages, 112_640),
                                       ("search text", texts(messages), 65_536)):
            sample = random.Random(1).sample(items, min(2000, len(items)))
            size = sum(map(len, items))
            print(f"{label} {what}: {len(items)}, {size / 1e6:.1f} MB,"
                  f" {size / len(items):.0f} B each")
            for name, compress, decompress in codecs(sample, dict_size):
                measure(name, items, compress, decompress)


if __name__ == "__main__":
    main()
