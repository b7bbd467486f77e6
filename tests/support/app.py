"""The one way tests build the interface: `make_app(cache, config)` with the options the tests
vary, and `config_in(folder)` for the Config most of them give it.

Every app starts with "now" frozen at `NOW` (the cache's dates, so lists and snapshots do not
change from day to day) and without the user's themes (a themes folder that does not exist).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.support.cache import NOW
from tui_mail.config import Config, UISettings
from tui_mail.model import Account
from tui_mail.remote.wkd import HostMap
from tui_mail.ui.app import TuiMailApp


def frozen_clock() -> datetime:
    return NOW


def config_in(folder: Path, accounts: tuple[Account, ...] = (), *,
              keys: dict[str, str] | None = None, ui: UISettings | None = None,
              **fields: Any) -> Config:
    """A Config as loaded from `folder`/config.toml; attachments are saved under `folder`."""
    settings = ui if ui is not None else UISettings(attachments_dir=folder / "attachments")
    return Config(path=folder / "config.toml", accounts=accounts, keys=keys or {},
                  ui=settings, **fields)


def make_app(cache: Path, config: Config | None = None, *, demo: bool = False,
             clock: Callable[[], datetime] = frozen_clock, themes_dir: Path | None = None,
             state_dir: Path | None = None, sync_on_start: bool = True, notice: str = "",
             autosave: float | None = None, replays: bool = True,
             host_map: HostMap | None = None) -> TuiMailApp:
    """The app over `cache`: with `config`'s accounts, or the demo account (`demo=True`).

    `themes_dir` defaults to a folder next to the cache that does not exist; `state_dir`
    defaults to the app's own (under XDG_STATE_HOME, a folder of the test's). `autosave`
    sets the composer's autosave period in seconds; `replays=False` leaves queued actions
    queued until the test replays them. `host_map`: where the app connects for a host it
    asks over HTTPS (a key directory), to reach the test's servers on 127.0.0.1."""
    app = TuiMailApp(config, cache, demo=demo, clock=clock,
                     themes_dir=themes_dir or cache.parent / "no-user-themes",
                     state_dir=state_dir, sync_on_start=sync_on_start, notice=notice)
    if autosave is not None:
        app.autosave_seconds = autosave
    if not replays:
        app.replay_delay = None
    if host_map is not None:
        app.service.settings.host_map = host_map
    return app


def app_over(folder: Path, raws: Sequence[bytes], account: Account) -> TuiMailApp:
    """An app over a cache of its own in `folder` holding `raws` in the account's INBOX
    (newest first), which does not sync on start."""
    from tui_mail.model import Flags, FolderRole
    from tui_mail.store.db import Store
    from tui_mail.store.types import NewMessage

    path = folder / f"{account.name}.sqlite3"
    with Store.open(path) as store:
        store.ensure_folder(account.name, "INBOX", FolderRole.INBOX)
        store.add_messages(account.name, "INBOX", [
            NewMessage(uid=10 + i, flags=Flags(), raw=raw, size=len(raw))
            for i, raw in enumerate(raws)])
    return make_app(path, config_in(folder, (account,)), sync_on_start=False,
                    state_dir=folder / "state")
