"""Fixtures of the journeys: a world of one's own (new users on the suite's servers), and a
way to start `tui-mail` in it, each run in its own tmux server, closed after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.journeys.session import HEIGHT, WIDTH, TuiMail
from tests.journeys.world import MailWorld


@pytest.fixture
def world(mail_servers: Any, tmp_path: Path) -> MailWorld:
    """A user with a home, a mailbox on the suite's Dovecot and a correspondent; the config
    is written by each test (its `[ui]` settings differ)."""
    return MailWorld(mail_servers, tmp_path / "home")


StartApp = Callable[..., TuiMail]


@pytest.fixture
def start_app(world: MailWorld, tmp_path: Path) -> Iterator[StartApp]:
    """`start_app(width=120, height=40)`: `tui-mail` started as the user starts it."""
    opened: list[TuiMail] = []

    def start(*args: str, width: int = WIDTH, height: int = HEIGHT) -> TuiMail:
        app = TuiMail(world, tmp_path, width, height)
        opened.append(app)
        return app.start(*args)

    try:
        yield start
    finally:
        for app in opened:
            app.close()
