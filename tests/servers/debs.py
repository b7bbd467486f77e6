"""Debian server packages that cannot be installed next to Dovecot, unpacked to run from a folder.

Cyrus IMAP and Courier-IMAP conflict with `dovecot-imapd`, so the suite does not apt-install
them: `apt-get download` fetches the .deb files and `dpkg -x` unpacks them into a cache folder
kept between runs (`$TUI_MAIL_SERVER_CACHE`, default `~/.cache/tui-mail/test-servers`). Their
shared-library dependencies are ordinary packages that `scripts/test` installs.

Several pytest-xdist workers may ask at once: an flock serialises the unpacking, and a marker
file written last says a folder is complete.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .netutil import ServerStartError

_DONE = ".unpacked"


def cache_root() -> Path:
    """Where unpacked packages live; outside the checkout so a clean clone reuses them."""
    configured = os.environ.get("TUI_MAIL_SERVER_CACHE")
    if configured:
        return Path(configured)
    # Not XDG_CACHE_HOME: the test suite points the XDG folders at temp dirs per test.
    return Path(os.path.expanduser("~")) / ".cache" / "tui-mail" / "test-servers"


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def unpacked(name: str, packages: Sequence[str]) -> Path:
    """A folder holding `packages` unpacked (`dpkg -x`) on top of each other, made on first use.

    `name` names the set (e.g. "cyrus"); the returned folder is like a root file system holding
    only those packages: `<folder>/usr/sbin/...`, `<folder>/usr/lib/...`.
    """
    root = cache_root()
    target = root / name
    if (target / _DONE).exists():
        return target
    with _locked(root):
        if (target / _DONE).exists():
            return target
        shutil.rmtree(target, ignore_errors=True)
        with tempfile.TemporaryDirectory(prefix=f"{name}-debs-", dir=root) as download:
            _download(packages, Path(download))
            staging = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
            try:
                for deb in sorted(Path(download).glob("*.deb")):
                    _run(["dpkg", "-x", str(deb), str(staging)], f"unpacking {deb.name}")
                (staging / _DONE).write_text("\n".join(packages) + "\n")
                staging.rename(target)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
    return target


def _download(packages: Sequence[str], into: Path) -> None:
    into.chmod(0o777)  # apt drops to the _apt user for downloads when it can
    _run(["apt-get", "download", "-q", *packages], "apt-get download " + " ".join(packages),
         cwd=into)


def _run(command: list[str], what: str, cwd: Path | None = None) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise ServerStartError(f"{what} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _apt_lists_present() -> bool:
    return any(Path("/var/lib/apt/lists").glob("*_Packages*"))


def main() -> int:
    """`python -m tests.servers.debs`: unpack Cyrus and Courier into the cache now (scripts/test
    runs it before the tests, so no test waits for a download)."""
    from .courier import COURIER_PACKAGES
    from .cyrus import PACKAGES as CYRUS_PACKAGES

    if not _apt_lists_present():  # `apt-get download` needs them; a fresh image has none
        _run(["apt-get", "update", "-qq"], "apt-get update")
    for name, packages in (("cyrus", CYRUS_PACKAGES), ("courier", COURIER_PACKAGES)):
        print(f"{name}: {unpacked(name, packages)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
