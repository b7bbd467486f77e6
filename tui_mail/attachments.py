"""Files a user attaches, read when the message is built (the composer and `tui-mail send`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tui_mail.errors import TuiMailError


def read_attachments(paths: Sequence[Path]) -> dict[Path, bytes]:
    """The bytes of each attachment file, with an error naming a file that cannot be read."""
    data: dict[Path, bytes] = {}
    for path in paths:
        try:
            data[path] = path.read_bytes()
        except OSError as exc:
            raise TuiMailError(
                f"attachment {str(path)!r}: cannot read it: {exc.strerror or exc}") from None
    return data
