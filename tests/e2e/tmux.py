"""Drive a real program in a real terminal: a private tmux server, keys in, screen text out."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

TMUX = shutil.which("tmux")


class ScreenTimeout(AssertionError):
    """What the test waited for never appeared; the message holds the last screen."""


class TmuxTerminal:
    """One program in one tmux session on its own server socket (so tests never share state).

    The program's exit status is written to a file, because the session disappears with it.
    """

    def __init__(self, workdir: Path, width: int = 120, height: int = 40) -> None:
        assert TMUX is not None
        self.socket = f"tui-mail-e2e-{uuid.uuid4().hex[:12]}"
        self.width = width
        self.height = height
        self.status_file = workdir / f"{self.socket}.status"
        self.started = False

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        assert TMUX is not None
        return subprocess.run(
            [TMUX, "-L", self.socket, "-f", os.devnull, *args],
            capture_output=True, text=True, check=check, timeout=10,
        )

    def start(self, argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> None:
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        # Textual draws on stderr, so nothing is redirected; after the exit the shell keeps the
        # pane open so that a traceback stays readable in the last screen.
        command = (
            f"cd {shlex.quote(str(cwd))} && env -i {exports} {shlex.join(argv)};"
            f" echo $? > {shlex.quote(str(self.status_file))}; sleep 600"
        )
        self.tmux(
            "new-session", "-d", "-s", "e2e", "-x", str(self.width), "-y", str(self.height),
            "sh", "-c", command,
        )
        self.started = True

    def send(self, *keys: str) -> None:
        """Press keys, by tmux key name: `Enter`, `Escape`, `q`, `C-q`."""
        self.tmux("send-keys", "-t", "e2e", *keys)

    def type(self, text: str) -> None:
        """Type text literally (no key names)."""
        self.tmux("send-keys", "-t", "e2e", "-l", text)

    def screen(self) -> str:
        done = self.tmux("capture-pane", "-p", "-t", "e2e", check=False)
        return done.stdout if done.returncode == 0 else ""

    def wait_for(self, *texts: str, absent: Sequence[str] = (), timeout: float = 15.0) -> str:
        """Poll the screen until every one of `texts` is on it and none of `absent`."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if all(t in screen for t in texts) and not any(t in screen for t in absent):
                return screen
            if self.exit_status() is not None:
                break
            time.sleep(0.05)
        raise ScreenTimeout(
            f"waited for {texts!r} without {tuple(absent)!r}; exit status {self.exit_status()}; last screen:\n{screen}"
        )

    def exit_status(self) -> int | None:
        try:
            return int(self.status_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def wait_exit(self, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.exit_status()
            if status is not None:
                return status
            time.sleep(0.05)
        raise ScreenTimeout(f"the program did not exit within {timeout} s:\n{self.screen()}")

    def modes(self) -> dict[str, str]:
        """The terminal modes the program left set: alternate screen, mouse reporting, cursor
        shown ("1" on, "0" off)."""
        names = ("alternate_on", "mouse_any_flag", "cursor_flag")
        shown = self.tmux("display-message", "-p", "-t", "e2e",
                           " ".join(f"#{{{n}}}" for n in names)).stdout.split()
        return dict(zip(names, shown, strict=True))

    def program_pid(self) -> int:
        """The process id of the program itself (the pane runs it under `sh -c`)."""
        shell = int(self.tmux("display-message", "-p", "-t", "e2e", "#{pane_pid}").stdout)
        children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
        assert len(children) == 1, f"expected one program under the pane's shell: {children}"
        return int(children[0])

    def close(self) -> None:
        if self.started:
            self.tmux("kill-server", check=False)
