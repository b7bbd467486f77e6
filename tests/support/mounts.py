"""Real small and read-only filesystems for the cache failure tests.

A full disk is a tmpfs mounted with a small size; a read-only file or folder is a read-only
bind mount of it onto itself. Both need root (CAP_SYS_ADMIN), which the suite has (it runs
Dovecot and Postfix): as root, chmod does not stop a write, so a read-only mount is what
reproduces "attempt to write a readonly database". Without the right to mount, the tests
that need it are skipped with that reason.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), capture_output=True, text=True, check=False)


@cache
def mount_problem() -> str | None:
    """Why this process cannot mount a tmpfs (None when it can)."""
    if os.geteuid() != 0:
        return "mounting a small tmpfs or a read-only bind mount needs root"
    with tempfile.TemporaryDirectory(prefix="tuimail-mount-probe-") as where:
        done = _run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", where)
        if done.returncode != 0:
            return f"mount is not permitted here: {done.stderr.strip()}"
        _run("umount", where)
    return None


def need_mount() -> None:
    problem = mount_problem()
    if problem is not None:
        pytest.skip(problem)


@contextmanager
def small_disk(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` (e.g. "512k") mounted on `where` (created) for the block."""
    need_mount()
    where.mkdir(parents=True, exist_ok=True)
    done = _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where))
    assert done.returncode == 0, done.stderr
    try:
        yield where
    finally:
        _run("umount", "-l", str(where))


def fill(folder: Path, leave: int) -> Path:
    """Fill the filesystem of `folder` with one file until `leave` bytes are left."""
    info = os.statvfs(folder)
    free = info.f_bavail * info.f_frsize
    filler = folder / "filler"
    with filler.open("wb") as fh:
        fh.write(b"\0" * max(free - leave, 0))
    return filler


@contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """`path` (a file or a folder) read-only for everyone, root included, for the block: a
    read-only bind mount of it onto itself."""
    need_mount()
    done = _run("mount", "--bind", "-o", "ro", str(path), str(path))
    assert done.returncode == 0, done.stderr
    try:
        if os.access(path, os.W_OK):  # an old mount(8) ignores ro on the first bind
            _run("mount", "-o", "remount,bind,ro", str(path))
        assert not os.access(path, os.W_OK), f"{path} is still writable"
        yield path
    finally:
        _run("umount", "-l", str(path))
