"""The sync tests' Dovecots, all from the suite's one server harness (tests/servers/fixtures.py).

`dovecot` is the suite's own (a fresh user per test, so tests do not see each other),
`plain_dovecot` the session's shared variant without CONDSTORE/QRESYNC, and `own_dovecot` a
variant for one test, which may stop and start it without stopping anyone else's server.
All trust the harness's CA (`mail_servers.ca_file`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.servers.dovecot import CAPABILITY_WITHOUT_CONDSTORE, Dovecot
from tests.servers.fixtures import DovecotVariantFactory
from tests.servers.mailservers import MailServers
from tests.support.messages import numbered_message
from tests.support.sync_harness import Harness

pytestmark = pytest.mark.servers


@pytest.fixture
def dovecot(mail_servers: MailServers) -> Dovecot:
    """The suite's Dovecot, running (restarted if an earlier test left it stopped)."""
    return mail_servers.dovecot


@pytest.fixture
def plain_dovecot(mail_servers_session: MailServers) -> Dovecot:
    """A Dovecot that announces neither CONDSTORE nor QRESYNC (the session's shared one)."""
    return mail_servers_session.shared_dovecot_variant(
        {"imap_capability": CAPABILITY_WITHOUT_CONDSTORE})


@pytest.fixture
def own_dovecot(dovecot_variant: DovecotVariantFactory) -> Dovecot:
    """A Dovecot for this test alone (it may be stopped and started); gone after the test."""
    return dovecot_variant()


@pytest.fixture
def make_harness(tmp_path: Path, mail_servers_session: MailServers
                 ) -> Iterator[Callable[[Dovecot], Harness]]:
    made: list[Harness] = []

    def make(server: Dovecot) -> Harness:
        h = Harness(server, mail_servers_session, tmp_path / f"cache{len(made)}.sqlite3")
        made.append(h)
        return h

    yield make
    for h in made:
        h.store.close()


@pytest.fixture(name="message")
def message_fixture() -> Callable[..., bytes]:
    return numbered_message
