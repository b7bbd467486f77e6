"""Only the user reads their mail: the data folder (cache, its WAL, locks, the demo cache) is
closed up to its owner.

New files are made private where they are created (`Store.open`, the log, opened attachment
copies). An install made by an earlier version under the usual umask left the data folder 0755
and the cache 0644, readable by every local user; `close_up` fixes that at start, and says what
it changed so the user can be told once.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_MAX_ENTRIES = 1000  # the data folder holds a handful of files; never walk a huge tree


def close_up(data_dir: Path) -> list[Path]:
    """Make `data_dir` and what it holds readable by its owner only (folders 0700, files
    keep only their owner's bits: 0600 for the cache).

    Returns the paths whose mode changed. Symbolic links are not followed, entries of another
    owner and ones that cannot be changed are left as they are (opening the cache says what is
    wrong with it, if anything)."""
    changed: list[Path] = []
    if not data_dir.is_dir() or data_dir.is_symlink():
        return changed
    seen = 0
    for folder, subfolders, files in os.walk(data_dir):
        base = Path(folder)
        if _restrict(base):
            changed.append(base)
        for name in files:
            path = base / name
            if _restrict(path):
                changed.append(path)
        seen += len(subfolders) + len(files)
        if seen > _MAX_ENTRIES:
            break
    return changed


def _restrict(path: Path) -> bool:
    """Take the group's and others' bits off `path` (a folder keeps rwx for its owner)."""
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid():
            return False
        if not stat.S_IMODE(info.st_mode) & 0o077:
            return False
        owner_bits = 0o700 if stat.S_ISDIR(info.st_mode) else stat.S_IMODE(info.st_mode) & 0o700
        path.chmod(owner_bits)
        return True
    except OSError:
        return False


def closed_up_notice(data_dir: Path, changed: list[Path]) -> str:
    """What to tell the user once: their mail was readable by others, and now is not."""
    return (
        f"Your mail in {data_dir} could be read by other users of this machine (an earlier "
        f"version left {len(changed)} of its files and folders so); it is now yours alone."
    )
