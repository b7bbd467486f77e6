"""Quitting while a message is being handed to the SMTP server lets it finish: killed half-way
it would wait for the next start (or be held as "may have been sent")."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from tests.support.accounts import work_account
from tests.support.composer import composer, type_into
from tests.support.pilot import settle
from tests.support.smtp_peer import Peer
from tui_mail.store.db import Store


async def test_quitting_while_a_message_is_being_sent_waits_until_the_server_answered(
        make_app, tmp_path) -> None:
    peer = Peer(lambda line: None, end_delay=1.5)  # a server slow to answer the end of DATA
    peer.server = await asyncio.start_server(peer.handle, "127.0.0.1", 0)
    try:
        smtp = replace(peer.server_config(), password_command="echo pw")
        app = make_app(accounts=(work_account(smtp=smtp),))
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot)
            await pilot.press("m")
            await settle(pilot)
            await type_into(pilot, "to", "bob@example.com")
            await type_into(pilot, "subject", "Leaving now")
            composer(app).body.load_text("Sent on the way out.\n")
            await pilot.press("ctrl+t")
            deadline = time.monotonic() + 20
            while peer.ended == 0:  # the end of DATA is on its way; the answer is not
                assert time.monotonic() < deadline, peer.lines
                await pilot.pause(0.05)
            await pilot.press("q")
        with Store.open(app.store_path, readonly=True) as store:
            # The server's answer was in before the app ended: the message is "accepted"
            # (this account has no IMAP server to copy it to Sent, so it stays there).
            assert [e.state for e in store.queues.outbox_list()] == ["accepted"]
        assert peer.ended == 1
    finally:
        peer.server.close()
