"""Apps for the composer tests: a filled cache (the reading UI's fixture data) and a config
whose `work` account cannot reach any server, or one on the test servers."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import app as support
from tests.support.accounts import work_account
from tests.support.cache import fill_cache
from tui_mail.model import Account
from tui_mail.remote.wkd import HostMap
from tui_mail.ui.app import TuiMailApp


@pytest.fixture(scope="session")
def compose_cache_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("compose-cache") / "template.sqlite3"
    fill_cache(path, inbox_size=8).close()
    return path


@pytest.fixture
def make_app(compose_cache_template: Path, tmp_path: Path) -> Callable[..., TuiMailApp]:
    """`make_app(accounts=(...), demo=False, keys={...}, **Config fields)`; one cache file for
    all apps of a test."""
    cache = tmp_path / "cache.sqlite3"
    shutil.copyfile(compose_cache_template, cache)

    def make(*, accounts: tuple[Account, ...] | None = None, demo: bool = False,
             store_path: Path | None = None, autosave: float = 5.0,
             keys: dict[str, str] | None = None, host_map: HostMap | None = None,
             **config: Any) -> TuiMailApp:
        settings = None if demo else support.config_in(
            tmp_path, accounts if accounts is not None else (work_account(),), keys=keys,
            **config)
        return support.make_app(store_path or cache, settings, demo=demo,
                                themes_dir=tmp_path / "no-user-themes",
                                state_dir=tmp_path / "state", sync_on_start=False,
                                autosave=autosave, host_map=host_map)

    return make
