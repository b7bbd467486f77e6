"""Journey of a reply: open a message from a correspondent, `r`, write a line, save a draft
(ctrl+s), send (ctrl+t). The reply reaches the correspondent (through the suite's Postfix and
Dovecot), the original is marked answered on the server (\\Answered, which other mail
programs then show) and the draft leaves the server's Drafts folder, as the README says.
"""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from tests.e2e.tmux import TMUX
from tests.journeys.session import (
    StartApp,
    eventually,
    server_copies,
    text_of,
    wait_for_server_copy,
)
from tests.journeys.world import MailWorld, minutes_ago, unique

pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)"),
    pytest.mark.servers,
]


def test_a_reply_reaches_the_correspondent_and_marks_the_original_answered(
        world: MailWorld, start_app: StartApp) -> None:
    world.write_config(ui="sync_every_minutes = 0")
    subject = unique("Dinghy for the weekend")
    original = world.deliver(subject, "May I borrow the dinghy on Saturday morning?\n",
                             sender=f"Fran Friend <{world.friend.address}>",
                             when=minutes_ago(10))
    answer = "Of course, the oars are in the shed."

    app = start_app()
    app.open_newest(subject, "May I borrow the dinghy on Saturday morning?")
    app.press("r")
    app.wait_for(f"Re: {subject}", world.friend.address)
    app.wait_for_field("Subject", f"Re: {subject}")
    app.type(answer)
    app.wait_for(answer)
    app.press("C-s")  # a draft on the server first, as a careful writer does
    app.wait_for("Draft saved to Drafts.")
    wait_for_server_copy(world, f"Re: {subject}", folder="Drafts")
    app.press("C-t")
    app.wait_for("Sent.")

    _flags, reply = wait_for_server_copy(world, f"Re: {subject}", user=world.friend)
    assert answer in text_of(reply)
    assert world.user.address in str(reply["From"])
    assert reply["In-Reply-To"] == message_from_bytes(original, policy=policy.default)[
        "Message-ID"]

    def answered() -> bool:
        [(flags, _msg)] = server_copies(world, subject)
        return b"\\Answered" in flags

    eventually(answered, "the original marked \\Answered on the server")
    # The draft it was written from has left the server's Drafts folder.
    eventually(lambda: not server_copies(world, f"Re: {subject}", folder="Drafts"),
               "the draft gone from Drafts on the server")
    assert app.quit() == 0
