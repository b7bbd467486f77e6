"""The app on a Gmail account (a Dovecot set up to look like Gmail, tests/support/gmail.py):
every message is in INBOX and in All Mail, yet the inbox and a search show it once; `A` moves
it to All Mail (Gmail's archive) and makes no Archive folder; `d` moves it to [Gmail]/Trash,
not to the label called Trash. Copies are told apart by Message-ID here: Dovecot has no
X-GM-MSGID."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from tests.servers.dovecot import Dovecot
from tests.servers.mailservers import MailServers
from tests.support.cache import NOW, plain_message
from tests.support.gmail import (
    ALL_MAIL,
    OLD_TRASH_LABEL,
    TRASH,
    deliver_labelled,
    folders_on_server,
    gmail_account,
    gmail_like,
)
from tests.support.pilot import screen_text, settle, type_query
from tests.support.synced import Synced
from tui_mail.config import Config, UISettings
from tui_mail.store.db import Store
from tui_mail.sync.credentials import provider
from tui_mail.sync.engine import SyncEngine, connector
from tui_mail.ui.widgets.message_list import MessageList
from tui_mail.ui.widgets.search_bar import SearchBar, SearchScope

pytestmark = pytest.mark.servers

SUBJECTS = ["Gmail report 1", "Gmail report 2", "Gmail report 3"]


@dataclass
class GmailApp(Synced):
    """The suite's app factory on the harness's Dovecot set up like Gmail (`dovecot`)."""

    dovecot: Dovecot

    def on_server(self, folder: str) -> list[str]:
        listing = self.dovecot.doveadm("-f", "tab", "fetch", "-u", self.user.login,
                                       "hdr.subject", "mailbox", folder, "all").stdout
        return sorted(line.strip() for line in listing.splitlines()[1:])


@pytest.fixture
def gmail_app(mail_servers: MailServers, tmp_path: Path) -> Iterator[GmailApp]:
    dovecot = gmail_like(mail_servers)
    user = dovecot.new_user()
    for i, subject in enumerate(SUBJECTS):
        deliver_labelled(dovecot, user, plain_message(
            subject, "Alice Archer <alice@example.com>", NOW - timedelta(hours=3 - i),
            f"Body of {subject}.", to=user.address))
    secret = tmp_path / "password"
    secret.write_text(user.password)
    account = gmail_account(mail_servers, dovecot, user, password_command=f"cat {secret}")
    cache = tmp_path / "cache.sqlite3"
    with Store.open(cache) as store:
        engine = SyncEngine(account, store, connector(account, provider(account, "incoming")))
        try:
            assert engine.sync().ok
        finally:
            engine.close()
    config = Config(path=tmp_path / "config.toml", accounts=(account,),
                    ui=UISettings(attachments_dir=tmp_path / "attachments"))
    yield GmailApp(mail_servers, user, account, cache, config, dovecot)


def rows(message_list: MessageList) -> list[tuple[str, str]]:
    summaries = [message_list.summary_at(i) for i in range(message_list.row_count)]
    assert None not in summaries, "a row of the list has no message"
    return [(s.subject, s.folder) for s in summaries if s is not None]


async def test_each_message_shows_once_and_archive_and_delete_do_what_gmail_does(gmail_app):
    labels_before = folders_on_server(gmail_app.dovecot, gmail_app.user)
    app = gmail_app.app()
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        message_list = app.screen.query_one(MessageList)
        newest_first = list(reversed(SUBJECTS))
        assert rows(message_list) == [(s, "INBOX") for s in newest_first]

        # Search every account: each message once, though it is in INBOX and All Mail.
        await type_query(pilot, "gmail report")
        bar = app.screen.query_one(SearchBar)
        while bar.scope is not SearchScope.ALL:
            await pilot.press("ctrl+s")
            await settle(pilot)
        assert rows(message_list) == [(s, "INBOX") for s in newest_first]
        assert "3 results" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)

        assert message_list.selected.subject == SUBJECTS[2]
        await pilot.press("A")  # archive: Gmail drops the Inbox label
        await settle(pilot)
        assert message_list.selected.subject == SUBJECTS[1]
        await pilot.press("d")  # delete: to Gmail's Trash
        await settle(pilot)
        assert rows(message_list) == [(SUBJECTS[0], "INBOX")]
        app.replay_now()
        await settle(pilot)

    assert gmail_app.on_server("INBOX") == [SUBJECTS[0]]
    assert SUBJECTS[2] in gmail_app.on_server(ALL_MAIL)
    assert gmail_app.on_server(TRASH) == [SUBJECTS[1]]
    assert gmail_app.on_server(OLD_TRASH_LABEL) == []
    assert folders_on_server(gmail_app.dovecot, gmail_app.user) == labels_before  # no Archive
