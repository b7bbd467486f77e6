"""Fixtures shared by the whole test suite."""

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest

from tests.servers.fixtures import (  # noqa: F401 - registered as fixtures by being imported
    dovecot_variant,
    imap_servers,
    mail_servers,
    mail_servers_session,
    oauth_server,
)
from tests.support.crypto import Keyring, keyring_iterator
from tests.support.filekeyring import FileKeyring
from tests.support.mail_users import User, make_user


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real user's config, data or state folders."""
    home = tmp_path_factory.mktemp("home")
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state")):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.delenv("TUI_MAIL_CONFIG", raising=False)
    runtime = home / "runtime"  # where opened attachments are copied (ui/opened_files.py)
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))


@pytest.fixture(autouse=True)
def no_keyring_from_another_test() -> Iterator[None]:
    """Every test starts with no usable keyring (as on a server without one); a test that
    wants one asks for `test_keyring`. The backend is process-wide state of the keyring
    package, so it is put back after each test whatever the test did."""
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(fail.Keyring())


@pytest.fixture
def test_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A keyring of this test's own (a JSON file, shared with a `tui-mail` it starts)."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("TUI_MAIL_TEST_KEYRING", str(path))
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    try:
        yield path
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(scope="session")
def empty_gnupg_home() -> Iterator[Path]:
    """A GnuPG home with no keys, for every test that does not ask for `gnupg`."""
    home = Path(tempfile.mkdtemp(prefix="e", dir="/tmp"))  # short: the agent's socket is in it
    home.chmod(0o700)
    yield home
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True,
                   check=False, timeout=30)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(autouse=True)
def no_gnupg_of_the_user(empty_gnupg_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the real user's keys (GnuPG takes its home from GNUPGHOME)."""
    monkeypatch.setenv("GNUPGHOME", str(empty_gnupg_home))


@pytest.fixture(scope="session")
def gnupg_keyring() -> Iterator[Keyring]:
    yield from keyring_iterator()


@pytest.fixture
def gnupg(gnupg_keyring: Keyring, monkeypatch: pytest.MonkeyPatch) -> Keyring:
    """The suite's keys (tests/support/crypto.py) as the user's: GNUPGHOME is their home."""
    monkeypatch.setenv("GNUPGHOME", str(gnupg_keyring.home))
    return gnupg_keyring


@pytest.fixture
def own_gnupg(gnupg_keyring: Keyring, monkeypatch: pytest.MonkeyPatch) -> Iterator[Keyring]:
    """The suite's keys in a copy of their home, for a test that changes the keyring (an
    import): the others keep theirs as made."""
    home = Path(tempfile.mkdtemp(prefix="c", dir="/tmp"))
    shutil.copytree(gnupg_keyring.home, home, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("S.*", "*.lock"))
    home.chmod(0o700)
    monkeypatch.setenv("GNUPGHOME", str(home))
    yield Keyring(home, gnupg_keyring.other, dict(gnupg_keyring.fingerprints),
                  home / "smime")
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True,
                   check=False, timeout=30)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(autouse=True)
def no_access_token_from_another_test() -> Iterator[None]:
    """OAuth2 access tokens live in a module-level cache: none crosses from test to test."""
    from tui_mail.oauth2 import tokens

    tokens.forget_access_tokens()
    yield
    tokens.forget_access_tokens()


@pytest.fixture
def fresh(mail_servers: Any) -> Callable[..., User]:  # noqa: F811 - the fixture above
    """`fresh("alice")`: a new, empty mailbox on the servers; "alice" names its account."""

    def make(prefix: str, **kw: Any) -> User:
        login, password, address = mail_servers.new_user()
        return make_user(mail_servers, prefix, login, password, address, **kw)

    return make


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    """An empty cache of this test's own."""
    from tui_mail.store import Store

    with Store.open(tmp_path / "cache.sqlite3") as opened:
        yield opened
