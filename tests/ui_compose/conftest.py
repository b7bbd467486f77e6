"""Apps for the composer tests: a filled cache (the reading UI's fixture data) and a config
whose `work` account cannot reach any server, or one on the test servers."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tests.ui.conftest import NOW, fill_cache, screen_text, settle
from tui_mail.config import Config, UISettings
from tui_mail.model import Account, Address, Identity, Protocol, Security, ServerConfig
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.screens.composer import ComposerScreen

__all__ = ["NOW", "composer", "screen_text", "settle", "type_into"]

OFFLINE_IMAP = ServerConfig(Protocol.IMAP, "", 0, Security.NONE, "")


def work_account(**changes: object) -> Account:
    """The cache's `work` account: Sam, with a second identity, and no server."""
    base = dict(name="work", address=Address("Sam", "sam@example.com"), incoming=OFFLINE_IMAP,
                smtp=None, signature="Sam\nExample Corp",
                identities=(Identity(Address("Sam at home", "sam@home.example"), "S."),))
    base.update(changes)
    return Account(**base)  # type: ignore[arg-type]


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
             keys: dict[str, str] | None = None, **config: object) -> TuiMailApp:
        settings = None if demo else Config(
            path=tmp_path / "config.toml", accounts=accounts if accounts is not None else (
                work_account(),), ui=UISettings(attachments_dir=tmp_path / "attachments"),
            keys=keys or {}, **config)  # type: ignore[arg-type]
        app = TuiMailApp(settings, store_path or cache, demo=demo, clock=lambda: NOW,
                         themes_dir=tmp_path / "no-user-themes", state_dir=tmp_path / "state",
                         sync_on_start=False)
        app.autosave_seconds = autosave
        return app

    return make


def composer(app: TuiMailApp) -> ComposerScreen:
    screen = app.screen
    assert isinstance(screen, ComposerScreen), type(screen)
    return screen


async def type_into(pilot: Pilot[object], widget_id: str, text: str) -> None:
    """Put `text` in an Input (typed key by key) or replace a TextArea's text."""
    widget = pilot.app.screen.query_one(f"#{widget_id}")
    if isinstance(widget, TextArea):
        widget.load_text(text)
    else:
        assert isinstance(widget, Input)
        widget.focus()
        await pilot.pause()
        await pilot.press(*text)
    await pilot.pause()
