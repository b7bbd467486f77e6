"""Fixtures of the journeys: a world of one's own (new users on the suite's servers), and a
way to start `tui-mail` in it, each run in its own tmux server, closed after the test; the
matrix's other IMAP servers (Cyrus, Courier) for journeys on them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


@pytest.fixture(scope="session")
def imap_servers(mail_servers_session: Any) -> Iterator[Callable[[str], Any]]:
    """`imap_servers("courier")`: a server of tests/matrix/servers.py ("cyrus", "courier",
    ...), started on first use with the suite's certificates (so the one CA trusts it and
    Postfix) and kept for the session; started again if a test left it stopped."""
    from tests.matrix.servers import close_server, start_server

    started: dict[str, Any] = {}

    def get(label: str) -> Any:
        if label not in started:
            started[label] = start_server(label, mail_servers_session.certs)
        server = started[label]
        if not server.running:
            server.start()
        return server

    yield get
    for server in started.values():
        close_server(server)
