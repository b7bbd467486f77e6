"""Dovecot instances for the sync tests, built from tests/servers.

One shared instance per worker (fresh user per test, so tests do not see each other), one
variant without CONDSTORE/QRESYNC, and a dedicated instance for tests that stop the server.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.servers.certs import TestCertificates, write_certificates
from tests.servers.dovecot import CAPABILITY_WITHOUT_CONDSTORE, Dovecot, DovecotSettings
from tests.support.messages import numbered_message
from tests.support.sync_harness import Harness

pytestmark = pytest.mark.servers


@pytest.fixture(scope="session")
def sync_certs() -> Iterator[TestCertificates]:
    root = Path(tempfile.mkdtemp(prefix="tuimail-sync-certs-"))
    root.chmod(0o755)
    yield write_certificates(root)
    shutil.rmtree(root, ignore_errors=True)


def _start(tmp_path_factory: pytest.TempPathFactory, certs: TestCertificates, name: str,
           variant: DovecotSettings | None = None) -> Dovecot:
    # Dovecot's service user must reach its files: pytest's temp dirs are mode 0700.
    root = Path(tempfile.mkdtemp(prefix=f"tuimail-{name}-"))
    root.chmod(0o755)
    dovecot = Dovecot(root, certs.cert_file, certs.key_file, variant)
    dovecot.start()
    return dovecot


def _finish(server: Dovecot) -> None:
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory: pytest.TempPathFactory, sync_certs: TestCertificates) -> Iterator[Dovecot]:
    server = _start(tmp_path_factory, sync_certs, "sync-dovecot")
    yield server
    _finish(server)


@pytest.fixture(scope="session")
def plain_dovecot(tmp_path_factory: pytest.TempPathFactory, sync_certs: TestCertificates) -> Iterator[Dovecot]:
    """A Dovecot that announces neither CONDSTORE nor QRESYNC."""
    variant = DovecotSettings(settings={"imap_capability": CAPABILITY_WITHOUT_CONDSTORE})
    server = _start(tmp_path_factory, sync_certs, "sync-dovecot-plain", variant)
    yield server
    _finish(server)


@pytest.fixture
def own_dovecot(tmp_path_factory: pytest.TempPathFactory, sync_certs: TestCertificates) -> Iterator[Dovecot]:
    """A Dovecot for this test alone (it may be stopped and started)."""
    server = _start(tmp_path_factory, sync_certs, "sync-dovecot-own")
    yield server
    _finish(server)


@pytest.fixture
def make_harness(tmp_path: Path, sync_certs: TestCertificates) -> Iterator[Callable[[Dovecot], Harness]]:
    made: list[Harness] = []

    def make(server: Dovecot) -> Harness:
        h = Harness(server, sync_certs.ca_file, tmp_path / f"cache{len(made)}.sqlite3")
        made.append(h)
        return h

    yield make
    for h in made:
        h.store.close()


@pytest.fixture(name="message")
def message_fixture() -> Callable[..., bytes]:
    return numbered_message
