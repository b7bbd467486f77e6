"""The day of a Microsoft 365 user on a headless machine over SSH: a config written from the
README's OAuth2 example (no password anywhere, and no keyring on this machine), `tui-mail
accounts login work` in the terminal showing a device code that is entered on another device,
then the app: the inbox, new mail arriving through IDLE with a token whose time the server cut
short, a message sent over SMTP with a token, and a sign-in revoked at the provider.
"""

from __future__ import annotations

import re
import stat
import time

import pytest

from tests.e2e.tmux import TMUX
from tests.journeys.session import Launch, StartApp, log_text, wait_for_log
from tests.journeys.world import MailWorld, unique

pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)"),
    pytest.mark.servers,
]


def test_sign_in_with_a_device_code_then_read_receive_send_and_meet_a_revoked_sign_in(
        world: MailWorld, launch: Launch, start_app: StartApp) -> None:
    world.write_oauth2_config()
    welcome = unique("Welcome to the team")
    world.deliver(welcome, "Glad to have you.\n")
    oauth = world.servers.oauth

    login = launch(world, "accounts", "login", "work")
    screen = login.wait_for("enter the code:")
    code = re.search(r"enter the code: (\S+)", screen)
    assert code, screen
    oauth.approve_device(code.group(1), world.user)  # on the user's phone
    login.wait_for("Logged in to imap://", "ready", timeout=30)
    assert login.term.wait_exit() == 0
    token_file = world.data_dir / "oauth2" / "work.refresh-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600  # no keyring on this machine

    app = start_app()
    app.wait_for_mailbox(welcome)
    oauth.expire_access_tokens(world.user)  # the next login needs a renewed token
    arrived = unique("Arrived while reading")
    world.deliver(arrived, "New mail, through IDLE.\n")
    app.wait_for_mailbox(arrived, timeout=30)

    subject = unique("Sent with a token")
    app.write(world.friend.address, subject, "No password was typed today.")
    app.press("C-t")
    app.until(lambda: subject in world.subjects(user=world.friend),
              "the message sent with a token reached the correspondent", timeout=30)

    oauth.revoke_user(world.user)
    # The app's connections drop (the shared Dovecot is not restarted: Postfix's link to its
    # auth service would break for the next test); the next login needs the sign-in.
    world.servers.dovecot.kill_imap_processes()
    app.wait_for("the sign-in has expired or was revoked", timeout=40)
    stopped = r"account_worker: work: offline: account 'work': the sign-in has expired"
    wait_for_log(world, stopped)
    time.sleep(6)  # the first retries of a lost connection would come after 2 s and 3 s
    assert len(re.findall(stopped, log_text(world))) == 1, \
        "a revoked sign-in became a loop of failing logins"
    assert "could be read by other users" not in log_text(world)
    assert app.quit() == 0
