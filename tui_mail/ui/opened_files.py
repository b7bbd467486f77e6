"""Where attachments handed to a viewer are written, and how that place is kept tidy.

A viewer started in the background (xdg-open, an image viewer) may read its file long after we
handed it over, even after tui-mail exits, so a copy cannot be removed when the viewer returns.
Instead each copy gets its own folder under one private root, `$XDG_RUNTIME_DIR/tui-mail/opened`
(a per-login tmpfs, emptied at logout) or `<tmp>/tui-mail-<uid>/opened`, and folders older
than `KEEP_FOR_SECONDS` are removed the next time an attachment is opened.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

KEEP_FOR_SECONDS = 24 * 3600


def opened_root(environ: Mapping[str, str] | None = None) -> Path:
    """The private folder holding the copies handed to viewers (not created here)."""
    env = os.environ if environ is None else environ
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / "tui-mail" / "opened"
    return Path(tempfile.gettempdir()) / f"tui-mail-{os.getuid()}" / "opened"


def prune_opened(root: Path, *, now: float | None = None,
                 keep_for: float = KEEP_FOR_SECONDS) -> int:
    """Remove the copies older than `keep_for` seconds; returns how many folders went."""
    limit = (time.time() if now is None else now) - keep_for
    removed = 0
    try:
        folders = list(root.iterdir())
    except OSError:
        return 0
    for folder in folders:
        try:
            if folder.is_dir() and not folder.is_symlink() and folder.stat().st_mtime < limit:
                shutil.rmtree(folder)
                removed += 1
        except OSError:
            continue
    return removed


def fresh_opened_folder(root: Path | None = None) -> Path:
    """A new private folder for one copy, after clearing out old ones.

    The root is made 0700 and must be ours: in a shared /tmp another user could have made it
    first, and then it is not used (a folder of our own under the system temp dir is).
    """
    base = opened_root() if root is None else root
    try:
        for folder in (base.parent, base):
            folder.mkdir(mode=0o700, exist_ok=True)
            info = folder.lstat()
            if info.st_uid != os.getuid() or folder.is_symlink():
                raise PermissionError(f"{folder} is not ours")
        prune_opened(base)
        return Path(tempfile.mkdtemp(prefix="tui-mail-", dir=base))
    except OSError:
        return Path(tempfile.mkdtemp(prefix="tui-mail-"))
