"""Fixtures shared by the whole test suite."""

import pytest

from tests.servers.fixtures import (  # noqa: F401 - registered as fixtures by being imported
    dovecot_variant,
    mail_servers,
    mail_servers_session,
    oauth_server,
)


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
