"""`tui-mail accounts login` and everything after it, run as the user runs it: the real command
in a subprocess, a config written from the README, the suite's authorization server, Dovecot
and Postfix; the browser is played over HTTP ($BROWSER) or by the test reading the terminal."""

from __future__ import annotations

import base64
import binascii
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.accounts import oauth2_config_toml
from tests.support.cli import REPO, TuiMail
from tests.support.oauth_browser import sign_in_at

pytestmark = pytest.mark.servers

TOKENISH = re.compile(r"[A-Za-z0-9+/=_-]{24,}")


def write_config(tui: TuiMail, servers: Any, user: Any) -> None:
    tui.config.write_text(oauth2_config_toml(servers, user))


@pytest.fixture
def tui(tmp_path: Path) -> TuiMail:
    return TuiMail(tmp_path)


def browser_env(tui: TuiMail, servers: Any, user: Any, *, deny: bool = False) -> dict[str, str]:
    env = tui.env()
    env.update(BROWSER=f"{sys.executable} -m tests.support.oauth_browser %s",
               TEST_OAUTH_LOGIN=user.login, TEST_OAUTH_PASSWORD=user.password,
               TEST_OAUTH_CA=str(servers.oauth.ca_file), TEST_OAUTH_DENY="1" if deny else "0")
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def run(tui: TuiMail, env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "tui_mail", "--config", str(tui.config), *args],
                          input=stdin, capture_output=True, text=True, env=env, timeout=120,
                          check=False, cwd=REPO)
    tui.outputs.append(done.stdout + done.stderr)
    return done


def login_on_a_headless_machine(tui: TuiMail, *args: str) -> subprocess.Popen[str]:
    """`tui-mail accounts login work` with no display and no $BROWSER, its terminal piped."""
    env = tui.env()
    for name in ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(name, None)
    return subprocess.Popen(
        [sys.executable, "-m", "tui_mail", "--config", str(tui.config), "accounts", "login",
         "work", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env, cwd=REPO)


def no_token_in(text: str, known: list[str]) -> None:
    """Neither a known token nor anything that decodes to a bearer login appears in `text`."""
    for token in known:
        assert token not in text
    for word in TOKENISH.findall(text):
        try:
            decoded = base64.b64decode(word + "=" * (-len(word) % 4))
        except (binascii.Error, ValueError):
            continue
        assert b"Bearer" not in decoded, "a SASL login string reached the output"


def test_login_in_the_browser_then_check_sync_and_send_with_no_password_anywhere(
        tui: TuiMail, mail_servers: Any, oauth_server: Any) -> None:
    user = mail_servers.new_user()
    write_config(tui, mail_servers, user)
    mail_servers.dovecot.deliver(user, b"From: a@example.com\r\nTo: " + user.address.encode()
                                 + b"\r\nSubject: Welcome aboard\r\n\r\nHello.\r\n")
    env = browser_env(tui, mail_servers, user)

    done = run(tui, env, "--debug", "accounts", "login", "work", "--browser")
    assert done.returncode == 0, done.stderr
    assert "Your browser was opened to sign in" in done.stdout
    assert "Signed in. The refresh token is kept in the keyring (service tui-mail, " \
        "work:oauth2)." in done.stdout
    assert "Logged in to imap://127.0.0.1:" in done.stdout and "ready" in done.stdout

    check = run(tui, env, "--debug", "accounts", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == 2
    synced = run(tui, env, "--debug", "sync")
    assert synced.returncode == 0, synced.stderr
    assert "1 new" in synced.stdout or "1 message" in synced.stdout, synced.stdout
    sent = run(tui, env, "--debug", "send", "-s", "Sent with a token", user.address,
               stdin="Body sent over SMTP with OAUTHBEARER.\n")
    assert sent.returncode == 0, sent.stderr

    deadline = time.monotonic() + 20
    while "Sent with a token" not in str(mail_servers.dovecot.doveadm(
            "search", "-u", user.login, "mailbox", "INBOX", "subject", "Sent with a token")):
        assert time.monotonic() < deadline, "the message sent with a token never arrived"
        time.sleep(0.3)
    # One sign-in, then each command renewed nothing it did not need to... and nothing
    # token-like was printed or logged, --debug included.
    keyring = json.loads(Path(env["TUI_MAIL_TEST_KEYRING"]).read_text())
    refresh = keyring["tui-mail\0work:oauth2"]
    log = (tui.home / "state" / "tui-mail" / "tui-mail.log").read_text()
    assert "AUTHENTICATE" in log or "AUTH" in log  # the protocol lines are there
    no_token_in("\n".join(tui.outputs) + log, [refresh])

    out = run(tui, env, "accounts", "logout", "work")
    assert out.returncode == 0 and "Forgot the sign-in of 'work'" in out.stdout
    assert "tui-mail\0work:oauth2" not in json.loads(Path(env["TUI_MAIL_TEST_KEYRING"]).read_text())
    check = run(tui, env, "accounts", "check")
    assert check.returncode != 0
    assert "has not signed in yet: sign in with `tui-mail accounts login work`" in check.stdout


def test_login_refused_in_the_browser_says_so_and_exits_non_zero(
        tui: TuiMail, mail_servers: Any, oauth_server: Any) -> None:
    user = mail_servers.new_user()
    write_config(tui, mail_servers, user)
    done = run(tui, browser_env(tui, mail_servers, user, deny=True), "accounts", "login", "work",
               "--browser")
    assert done.returncode != 0
    assert "The sign-in was refused: access_denied" in done.stderr
    assert "Allow tui-mail access to your mail when you sign in" in done.stderr
    assert "Run `tui-mail accounts login work` to try again." in done.stderr
    assert "Traceback" not in done.stderr


def test_over_ssh_the_user_pastes_the_address_the_browser_ended_on(
        tui: TuiMail, mail_servers: Any, oauth_server: Any) -> None:
    user = mail_servers.new_user()
    write_config(tui, mail_servers, user)
    process = login_on_a_headless_machine(tui, "--browser")
    assert process.stdout is not None and process.stdin is not None
    try:
        lines: list[str] = []
        while not any(line.strip().startswith("https://") for line in lines):
            line = process.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        assert "Open this address in a browser to sign in:" in "".join(lines)
        url = next(line.strip() for line in lines if line.strip().startswith("https://"))
        # On the user's own machine: the browser signs in and ends on a page that cannot load.
        ended_on = sign_in_at(url, user.login, user.password, str(oauth_server.ca_file))
        process.stdin.write("http://127.0.0.1:1/?state=wrong&code=x\n")
        process.stdin.write(ended_on + "\n")
        process.stdin.flush()
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "That is not the address this sign-in is waiting for" in out
    assert "Signed in." in out


def test_device_login_shows_a_code_and_finishes_when_it_is_entered_elsewhere(
        tui: TuiMail, mail_servers: Any, oauth_server: Any) -> None:
    user = mail_servers.new_user()
    write_config(tui, mail_servers, user)
    process = login_on_a_headless_machine(tui)  # `auto` chooses the device flow by itself
    assert process.stdout is not None
    try:
        first = process.stdout.readline() + process.stdout.readline()
        match = re.search(r"open (\S+) and enter the code: (\S+)", first)
        assert match, first
        assert match.group(1) == oauth_server.verification_url
        oauth_server.approve_device(match.group(2), user)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "Signed in." in out and "ready" in out


def test_after_the_sign_in_is_revoked_sync_says_how_to_sign_in_again_and_stops(
        tui: TuiMail, mail_servers: Any, oauth_server: Any) -> None:
    user = mail_servers.new_user()
    write_config(tui, mail_servers, user)
    env = browser_env(tui, mail_servers, user)
    assert run(tui, env, "accounts", "login", "work", "--browser").returncode == 0
    oauth_server.revoke_user(user)
    before = oauth_server.token_requests("refresh_token")

    synced = run(tui, env, "sync")
    assert synced.returncode != 0
    assert "the sign-in has expired or was revoked" in synced.stderr
    assert "sign in again with `tui-mail accounts login work`" in synced.stderr
    assert oauth_server.token_requests("refresh_token") - before == 1

    assert run(tui, env, "accounts", "login", "work", "--browser").returncode == 0
    assert run(tui, env, "sync").returncode == 0
