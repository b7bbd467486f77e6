"""An app over a cache of its own holding the messages a test gives, for one account (which
may be on the test servers)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.ui.conftest import NOW, settle
from tui_mail.config import Config, UISettings
from tui_mail.model import Account, Address, Flags, FolderRole, Protocol, Security, ServerConfig
from tui_mail.store.db import Store
from tui_mail.store.types import NewMessage
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.widgets.message_list import MessageList

OFFLINE = Account(name="work", address=Address("Sam", "sam@example.com"),
                  incoming=ServerConfig(Protocol.IMAP, "", 0, Security.NONE, ""), smtp=None)


@pytest.fixture
def app_with(tmp_path: Path) -> Callable[..., TuiMailApp]:
    """`app_with(raws, account=...)`: the messages in the account's INBOX, newest first."""

    def make(raws: Sequence[bytes], account: Account = OFFLINE) -> TuiMailApp:
        path = tmp_path / f"{account.name}.sqlite3"
        with Store.open(path) as store:
            store.ensure_folder(account.name, "INBOX", FolderRole.INBOX)
            store.add_messages(account.name, "INBOX", [
                NewMessage(uid=10 + i, flags=Flags(), raw=raw, size=len(raw))
                for i, raw in enumerate(raws)])
        config = Config(path=tmp_path / "config.toml", accounts=(account,),
                        ui=UISettings(attachments_dir=tmp_path / "attachments"))
        return TuiMailApp(config, path, clock=lambda: NOW, sync_on_start=False,
                          state_dir=tmp_path / "state", themes_dir=tmp_path / "no-user-themes")

    return make


async def on_first_row(pilot: Pilot[object]) -> MessageList:
    await settle(pilot)
    message_list = pilot.app.screen.query_one(MessageList)
    message_list.cursor = 0
    await settle(pilot)
    return message_list


def said(app: TuiMailApp) -> str:
    return " | ".join(str(n.message) for n in app._notifications)  # noqa: SLF001
