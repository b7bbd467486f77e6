"""The reading UI's fixtures: a copy of the filled cache (tests/support/cache.py) for each test,
and apps over it."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import app as support
from tests.support.cache import fill_cache
from tui_mail.config import UISettings
from tui_mail.ui.app import TuiMailApp


@pytest.fixture(scope="session")
def cache_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cache") / "template.sqlite3"
    fill_cache(path).close()
    return path


@pytest.fixture
def cache_path(cache_template: Path, tmp_path: Path) -> Iterator[Path]:
    """A fresh copy of the filled cache for each test (tests write flags into it)."""
    path = tmp_path / "cache.sqlite3"
    shutil.copyfile(cache_template, path)
    yield path


@pytest.fixture
def make_app(cache_path: Path, tmp_path: Path) -> Callable[..., TuiMailApp]:
    """`make_app(keys={...}, theme=..., **UISettings fields)`: an app over this test's cache
    with no account."""
    def make(*, keys: dict[str, str] | None = None, theme: str = "tui-mail-dark",
             **ui: object) -> TuiMailApp:
        settings = UISettings(attachments_dir=tmp_path / "attachments", **ui)  # type: ignore[arg-type]
        return support.make_app(cache_path, support.config_in(tmp_path, keys=keys, ui=settings,
                                                              theme=theme))
    return make
