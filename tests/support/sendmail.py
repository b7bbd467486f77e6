"""A sendmail command for tests: records how it was called and the message it was given."""

from __future__ import annotations

import stat
from pathlib import Path


def fake_sendmail(tmp_path: Path, exit_code: int = 0, message: str = "") -> str:
    """A sendmail stand-in that records its arguments and stdin, then exits with `exit_code`."""
    script = tmp_path / "sendmail"
    log = tmp_path / "calls"
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$*" >> {log}\n'
        f"cat > {tmp_path}/last-message\n"
        f'[ -n "{message}" ] && echo "{message}" >&2\n'
        f"exit {exit_code}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "calls"
    return log.read_text().splitlines() if log.exists() else []


def last_message(tmp_path: Path) -> bytes:
    """The message the last call of fake_sendmail(tmp_path) was given."""
    return (tmp_path / "last-message").read_bytes()
