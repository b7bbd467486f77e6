"""From "Sign in" to a synced inbox: the machine's share of the issue's "under a minute".

    /work/main/.venv/bin/python benchmarks/sign_in.py [--count 1000] [--runs 3]

Starts the test suite's servers (Dovecot, Postfix, the OAuth2 authorization server), puts
`count` generated messages in a new user's INBOX, then, each run with a new user:

  setup screen: the real app (Textual pilot) on the first-run setup screen, the suite's
      authorization server offered as the provider; from the press of "Sign in with ..."
      (the browser played over HTTP, as a user who signs in at once) to the mailbox listing
      every message (sign-in, config written, first sync);
  command line: `tui-mail accounts login work --browser` ($BROWSER plays the browser), then
      `tui-mail sync`, each timed as a whole process.

What it leaves out is the user's own part: typing the address and the client ID, and signing
in at the provider (a password, perhaps a second factor).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.gen_messages import generate  # noqa: E402
from tests.servers.mailservers import start_mail_servers  # noqa: E402
from tests.support.accounts import oauth2_config_toml, suite_provider  # noqa: E402
from tests.support.cli import TuiMail  # noqa: E402


async def setup_screen_run(servers: Any, user: Any, count: int, folder: Path) -> tuple[float, float]:
    """(seconds to the mailbox screen, seconds to every message listed) after "Sign in"."""
    from textual.widgets import Button

    from tests.support.setup_form import fill_oauth_setup_form
    from tui_mail.setup.oauth import OAuthSetup
    from tui_mail.ui.first_run import SetupFirstApp
    from tui_mail.ui.screens.mailbox import MailboxScreen
    from tui_mail.ui.widgets.message_list import MessageList

    oauth = servers.oauth
    app = SetupFirstApp(folder / "config.toml", folder / "cache.sqlite3", sync_after_setup=True,
                        state_dir=folder / "state")

    def browser(url: str) -> bool:
        threading.Thread(target=oauth.browse, args=(url, user), daemon=True).start()
        return True

    from tui_mail.model import OAuth2Flow

    app.oauth_setup = OAuthSetup(providers=(suite_provider(oauth),), ca_file=oauth.ca_file,
                                 flow=OAuth2Flow.BROWSER, open_browser=browser,
                                 mx_resolver=lambda d: [])
    async with app.run_test(size=(120, 50)) as pilot:
        await fill_oauth_setup_form(pilot, servers, user)
        screen = app.screen
        start = time.perf_counter()
        screen.query_one("#sign-in", Button).press()
        mailbox = listed = 0.0
        while time.perf_counter() - start < 300:
            await pilot.pause(0.02)
            if not mailbox and isinstance(app.screen, MailboxScreen):
                mailbox = time.perf_counter() - start
            if mailbox:
                lists = list(app.screen.query(MessageList))
                if lists and lists[0].row_count >= count:
                    listed = time.perf_counter() - start
                    break
        return mailbox, listed


def command_line_run(servers: Any, user: Any, folder: Path) -> tuple[float, float]:
    """(seconds of `accounts login`, seconds of the first `sync`), whole processes."""
    tui = TuiMail(folder)
    oauth = servers.oauth
    tui.config.write_text(oauth2_config_toml(servers, user))
    env = tui.env()
    env.update(BROWSER=f"{sys.executable} -m tests.support.oauth_browser %s",
               TEST_OAUTH_LOGIN=user.login, TEST_OAUTH_PASSWORD=user.password,
               TEST_OAUTH_CA=str(oauth.ca_file))
    times = []
    for args in (("accounts", "login", "work", "--browser"), ("sync",)):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "tui_mail", "--config", str(tui.config),
                               *args], env=env, cwd=ROOT, capture_output=True, text=True,
                              check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed: {done.stdout}{done.stderr}")
    return times[0], times[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    # The app's workers still syncing the other folders when a run ends would warn on stderr.
    logging.getLogger("tui_mail").addHandler(logging.NullHandler())
    logging.getLogger("tui_mail").propagate = False
    servers = start_mail_servers()
    messages = list(generate(args.count, seed=7))
    screen: list[tuple[float, float]] = []
    cli: list[tuple[float, float]] = []
    try:
        for _ in range(args.runs):
            for results, run in ((screen, "screen"), (cli, "cli")):
                user = servers.new_user()
                servers.dovecot.deliver_many(user, messages)
                with tempfile.TemporaryDirectory() as folder:
                    if run == "screen":
                        results.append(asyncio.run(
                            setup_screen_run(servers, user, args.count, Path(folder))))
                    else:
                        results.append(command_line_run(servers, user, Path(folder)))
    finally:
        servers.close()

    def median(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} s (runs: {', '.join(f'{v:.2f}' for v in values)})"

    print(f"{args.count} messages in INBOX, {args.runs} runs, median")
    print(f"setup screen: Sign in -> mailbox shown       {median([m for m, _ in screen])}")
    print(f"setup screen: Sign in -> all {args.count} listed      {median([done for _, done in screen])}")
    print(f"command line: accounts login --browser       {median([a for a, _ in cli])}")
    print(f"command line: first sync                     {median([b for _, b in cli])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
