"""An app over a cache of its own holding the messages a test gives, for one account (which
may be on the test servers)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tests.support import app as support
from tests.support.accounts import OFFLINE
from tui_mail.model import Account, Flags, FolderRole
from tui_mail.store.db import Store
from tui_mail.store.types import NewMessage
from tui_mail.ui.app import TuiMailApp


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
        return support.make_app(path, support.config_in(tmp_path, (account,)),
                                sync_on_start=False, state_dir=tmp_path / "state")

    return make
