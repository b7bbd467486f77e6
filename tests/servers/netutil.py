"""Small process and socket helpers shared by the Dovecot and Postfix runners."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

HOST = "127.0.0.1"
_PR_SET_PDEATHSIG = 1
INSTALL_HINT = "run scripts/test, which installs the Debian packages the test suite needs"


class ServerStartError(RuntimeError):
    """A test server did not come up; the message includes the tail of its log."""


def require_binary(name: str, package: str) -> str:
    """Return the path of `name`, or fail naming the package and the script that installs it."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if found is None:
        raise ServerStartError(f"{name} not found (Debian package {package}): {INSTALL_HINT}")
    return found


def free_ports(count: int) -> list[int]:
    """Ask the kernel for `count` distinct free TCP ports on the loopback address.

    All sockets stay open until every port is chosen, so the ports are distinct; another
    process may still take one before the server binds it, which callers handle by retrying.
    """
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((HOST, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def port_accepts(port: int, host: str = HOST) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_ports(ports: Iterable[int], timeout: float, is_alive=lambda: True) -> bool:
    """Poll until every port accepts a TCP connection; False on timeout or if the server died."""
    pending = set(ports)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        if not is_alive():
            return False
        pending = {port for port in pending if not port_accepts(port)}
        if pending:
            time.sleep(0.02)
    return not pending


def wait_until_closed(ports: Iterable[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    pending = set(ports)
    while pending and time.monotonic() < deadline:
        pending = {port for port in pending if port_accepts(port)}
        if pending:
            time.sleep(0.02)
    return not pending


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def children_of(parent_pid: int) -> list[tuple[int, str]]:
    """(pid, process name) of the direct children of `parent_pid`, read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The name is in parentheses and may itself contain spaces or parentheses.
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == parent_pid:
            found.append((int(entry.name), name))
    return found


def processes_titled(prefix: str) -> list[int]:
    """Pids whose command line (process title) starts with `prefix`."""
    found = []
    wanted = prefix.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if cmdline.startswith(wanted):
            found.append(int(entry.name))
    return found


def die_with_parent() -> None:
    """preexec_fn: have the kernel SIGTERM this child when the test process dies (Linux only)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def kill_quietly(pid: int, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


T = TypeVar("T")
START_ATTEMPTS = 3  # a random free port can be taken by someone else before the server binds it


def start_with_retries(make: Callable[[int], T]) -> T:
    """`make(attempt)` builds a server on fresh ports; it is started, and built again (up to
    START_ATTEMPTS times) when the start fails, e.g. because a port was taken meanwhile."""
    last: ServerStartError | None = None
    for attempt in range(START_ATTEMPTS):
        server = make(attempt)
        try:
            server.start()  # type: ignore[attr-defined]
            return server
        except ServerStartError as exc:
            last = exc
    assert last is not None
    raise last
