"""Fixtures of the journeys: a world of one's own (new users on the suite's servers), and a
way to start `tui-mail` in it, each run in its own tmux server, closed after the test. The
matrix's other IMAP servers (Cyrus, Courier) come from the suite's harness (`imap_servers`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.journeys.session import HEIGHT, WIDTH, Launch, StartApp, TuiMail
from tests.journeys.world import MailWorld


@pytest.fixture
def world(mail_servers: Any, tmp_path: Path) -> MailWorld:
    """A user with a home, a mailbox on the suite's Dovecot and a correspondent; the config
    is written by each test (its `[ui]` settings differ)."""
    return MailWorld(mail_servers, tmp_path / "home")


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Launch]:
    """`launch(world, width=120, height=40)`: `tui-mail` started in `world` as its user
    starts it."""
    opened: list[TuiMail] = []

    def start(in_world: MailWorld, *args: str, width: int = WIDTH,
              height: int = HEIGHT) -> TuiMail:
        app = TuiMail(in_world, tmp_path, width, height)
        opened.append(app)
        return app.start(*args)

    try:
        yield start
    finally:
        for app in opened:
            app.close()


@pytest.fixture
def start_app(world: MailWorld, launch: Launch) -> StartApp:
    """`start_app(width=120, height=40)`: `tui-mail` started as the user starts it."""

    def start(*args: str, width: int = WIDTH, height: int = HEIGHT) -> TuiMail:
        return launch(world, *args, width=width, height=height)

    return start
