"""An app over a cache of its own holding the messages a test gives, for one account (which
may be on the test servers)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tests.support import app as support
from tests.support.accounts import OFFLINE
from tui_mail.model import Account
from tui_mail.ui.app import TuiMailApp


@pytest.fixture
def app_with(tmp_path: Path) -> Callable[..., TuiMailApp]:
    """`app_with(raws, account=...)`: the messages in the account's INBOX, newest first."""

    def make(raws: Sequence[bytes], account: Account = OFFLINE) -> TuiMailApp:
        return support.app_over(tmp_path, raws, account)

    return make
