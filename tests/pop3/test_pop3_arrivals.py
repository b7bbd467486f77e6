"""New-mail events of a POP3 download against the real Dovecot: the first download of a
maildrop is silent, later mail is news."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tui_mail.store.db import Store
from tui_mail.sync.events import MailArrived
from tui_mail.sync.pop3_sync import sync_pop3_account

from .env import Pop3Env, message

pytestmark = pytest.mark.servers


def test_the_first_download_is_silent_and_later_mail_is_news(pop3: Pop3Env,
                                                              store: Store) -> None:
    account = pop3.account()
    pop3.deliver_many([message(n) for n in range(5)])
    events: list[object] = []
    assert sync_pop3_account(store, account, pop3.creds, events.append).ok
    assert not [e for e in events if isinstance(e, MailArrived)]

    pop3.deliver_many([message(n, "new") for n in range(2)])
    assert sync_pop3_account(store, account, pop3.creds, events.append).ok
    (arrived,) = [e for e in events if isinstance(e, MailArrived)]
    assert (arrived.account, arrived.folder, arrived.count) == (account.name, "INBOX", 2)
    assert arrived.newest == (("Sender 1", "new number 1"), ("Sender 0", "new number 0"))

    events.clear()
    pop3.deliver_many([message(n, "quiet") for n in range(2)])
    assert sync_pop3_account(store, replace(account, notify=False), pop3.creds,
                             events.append).ok
    assert not [e for e in events if isinstance(e, MailArrived)]
