"""Write the demo account into a cache file, once per version of the demo.

Building takes about a second (generating and parsing a few hundred messages), so the result is
kept: `demo_cache_path` names the file after the package version and a fingerprint of the demo's
data and code, and a file that exists is complete because it is built under a temporary name and
renamed into place. A later launch only checks that the file exists.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from importlib import resources
from itertools import groupby
from pathlib import Path

from tui_mail import __version__
from tui_mail.demo.generate import ACCOUNT, FOLDERS, generate
from tui_mail.store import NewMessage, Store

_SOURCES = ("data.toml", "generate.py", "build_message.py")


def demo_fingerprint() -> str:
    """Changes whenever the demo's data or generator changes (so a stale cache is rebuilt)."""
    digest = hashlib.sha256()
    package = resources.files("tui_mail.demo")
    for name in _SOURCES:
        digest.update((package / name).read_bytes())
    return digest.hexdigest()[:10]


def demo_cache_path(data_dir: Path) -> Path:
    """Where the demo cache for this version lives under the data folder."""
    return data_dir / f"demo-{__version__}-{demo_fingerprint()}.sqlite3"


def ensure_demo_cache(data_dir: Path) -> Path:
    """The demo cache for this version under `data_dir`, built if missing; older ones removed."""
    path = build_demo_cache(demo_cache_path(data_dir))
    for old in data_dir.glob("demo-*.sqlite3*"):
        if not old.name.startswith(path.name):
            with contextlib.suppress(OSError):
                old.unlink()
    return path


def build_demo_cache(store_path: Path) -> Path:
    """Make `store_path` a cache holding the demo account; does nothing if the file exists."""
    if store_path.exists():
        return store_path
    store_path.parent.mkdir(parents=True, exist_ok=True)
    temp = store_path.with_name(f".{store_path.name}.{os.getpid()}.building")
    _remove_database(temp)
    try:
        _write_demo(temp)
        os.replace(temp, store_path)
    finally:
        _remove_database(temp)
    return store_path


def _write_demo(path: Path) -> None:
    store = Store.open(path)
    try:
        for name, role in FOLDERS:
            store.ensure_folder(ACCOUNT, name, role)
        for folder, messages in groupby(generate(), key=lambda m: m.folder):
            store.add_messages(
                ACCOUNT,
                folder,
                (
                    NewMessage(
                        uid=m.uid,
                        flags=m.flags,
                        raw=m.raw,
                        raw_headers=m.raw_headers,
                        size=len(m.raw),
                        internaldate=m.internaldate,
                    )
                    for m in messages
                ),
            )
    finally:
        store.close()


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()
