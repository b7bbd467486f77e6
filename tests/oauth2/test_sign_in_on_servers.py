"""Signing in with OAuth2 against the suite's real authorization server, Dovecot and Postfix:
the browser flow with PKCE (the test plays the browser over HTTP), the device flow, tokens
renewed on expiry and after a refusal, a revoked sign-in, a token without the mail scope, and
IMAP, POP3 and SMTP submission all logged in with a token."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.support.accounts import oauth2_account
from tui_mail import secrets as tui_secrets
from tui_mail.errors import AuthError, ConnectError, SecretError
from tui_mail.model import Account, OAuth2Flow, Protocol, Security, ServerConfig
from tui_mail.oauth2 import flows, tokens
from tui_mail.oauth2.flows import DeviceCode
from tui_mail.oauth2.http import OAuthError
from tui_mail.remote import imap, pop3, smtp
from tui_mail.sync.credentials import credentials

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("test_keyring")]


class Logged(logging.Handler):
    """Every record logged while `at_debug()` lasts, formatted with its arguments."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @contextmanager
    def at_debug(self) -> Iterator[None]:
        root = logging.getLogger()
        level = root.level
        root.addHandler(self)
        root.setLevel(logging.DEBUG)
        try:
            yield
        finally:
            root.removeHandler(self)
            root.setLevel(level)


class Browser:
    """The user: signs in at whatever URL the app opens, in a thread, as a browser would."""

    def __init__(self, oauth: Any, user: Any, *, deny: bool = False) -> None:
        self.oauth, self.user, self.deny = oauth, user, deny
        self.urls: list[str] = []
        self.shown: list[tuple[str, bool]] = []
        self.codes: list[DeviceCode] = []
        self.errors: list[BaseException] = []

    def open(self, url: str) -> bool:
        self.urls.append(url)
        threading.Thread(target=self._visit, args=(url,), daemon=True).start()
        return True

    def _visit(self, url: str) -> None:
        try:
            self.oauth.browse(url, self.user, deny=self.deny)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(exc)

    # SignInPrompt
    def open_url(self, url: str, opened: bool) -> None:
        self.shown.append((url, opened))

    def enter_code(self, code: DeviceCode) -> None:
        self.codes.append(code)
        threading.Thread(target=self._approve, args=(code.user_code,), daemon=True).start()

    def _approve(self, user_code: str) -> None:
        try:
            self.oauth.approve_device(user_code, self.user, deny=self.deny)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(exc)


def sign_in(account: Account, browser: Browser, **kw: Any) -> OAuth2Flow:
    return tokens.sign_in(account, browser, open_browser=browser.open, **kw)


def pop3_server(servers: Any, user: Any) -> ServerConfig:
    return ServerConfig(Protocol.POP3, "127.0.0.1", servers.pop3_tls_port, Security.TLS,
                        user.login, ca_file=servers.ca_file, timeout=20.0)


def log_in_everywhere(servers: Any, account: Account, user: Any) -> None:
    assert account.smtp is not None
    caps = imap.probe(account.incoming, credentials(account, "incoming"))
    assert "IDLE" in caps
    pop3.probe(pop3_server(servers, user), credentials(account, "incoming"))
    extensions = asyncio.run(smtp.probe(account.smtp, credentials(account, "smtp")))
    assert any(e.startswith("SIZE") for e in extensions)


def test_browser_sign_in_with_pkce_then_imap_pop3_and_smtp_log_in_with_the_token(
        mail_servers: Any, oauth_server: Any, test_keyring: Path) -> None:
    user = mail_servers.new_user()
    account = oauth2_account(mail_servers, user)
    browser = Browser(oauth_server, user)

    assert sign_in(account, browser) is OAuth2Flow.BROWSER

    assert not browser.errors
    (url, opened), = browser.shown
    assert opened and url.startswith(oauth_server.authorize_url)
    assert "code_challenge_method=S256" in url and "redirect_uri=http%3A%2F%2F127.0.0.1%3A" in url
    assert f"login_hint={user.login.replace('@', '%40')}" in url
    assert "tui-mail\\u0000work:oauth2" in test_keyring.read_text()  # the refresh token
    log_in_everywhere(mail_servers, account, user)
    # One access token served all three logins: no refresh was needed.
    assert oauth_server.token_requests("refresh_token") == 0
    assert oauth_server.token_requests("authorization_code") == 1


def test_device_sign_in_shows_the_code_and_polls_until_it_is_approved(
        mail_servers: Any, oauth_server: Any) -> None:
    user = mail_servers.new_user()
    account = oauth2_account(mail_servers, user, flow=OAuth2Flow.DEVICE)
    browser = Browser(oauth_server, user)

    assert sign_in(account, browser) is OAuth2Flow.DEVICE

    assert not browser.errors
    (code,) = browser.codes
    assert code.user_code and code.verification_uri.startswith("https://127.0.0.1:")
    assert oauth_server.token_requests("urn:ietf:params:oauth:grant-type:device_code") >= 1
    imap.probe(account.incoming, credentials(account, "incoming"))


def test_a_declined_sign_in_says_so_and_keeps_nothing(
        mail_servers: Any, oauth_server: Any, test_keyring: Path) -> None:
    user = mail_servers.new_user()
    account = oauth2_account(mail_servers, user)
    with pytest.raises(OAuthError, match="the sign-in was refused: access_denied"):
        sign_in(account, Browser(oauth_server, user, deny=True))
    device = oauth2_account(mail_servers, user, flow=OAuth2Flow.DEVICE)
    with pytest.raises(OAuthError, match="declined on the other device"):
        sign_in(device, Browser(oauth_server, user, deny=True))
    with pytest.raises(tokens.SignInRequired, match="has not signed in yet: sign in with "
                       "`tui-mail accounts login work`"):
        credentials(account, "incoming")


def test_an_access_token_the_server_refuses_is_renewed_once_and_the_login_goes_on(
        mail_servers: Any, oauth_server: Any) -> None:
    user = mail_servers.new_user()
    account = oauth2_account(mail_servers, user)
    sign_in(account, Browser(oauth_server, user))
    oauth_server.expire_access_tokens(user)  # the client's clock still says it is good

    imap.probe(account.incoming, credentials(account, "incoming"))
    assert oauth_server.token_requests("refresh_token") == 1
    # The scope goes with each refresh: Microsoft's token endpoint requires it.
    assert [r["scope"] for r in oauth_server.token_request_log()
            if r["grant_type"] == "refresh_token"] == ["mail"]
    assert account.smtp is not None
    asyncio.run(smtp.probe(account.smtp, credentials(account, "smtp")))
    pop3.probe(pop3_server(mail_servers, user), credentials(account, "incoming"))
    assert oauth_server.token_requests("refresh_token") == 1  # the renewed one served on


def test_an_access_token_about_to_expire_is_renewed_before_use(
        mail_servers: Any, oauth_server: Any) -> None:
    user = mail_servers.new_user()
    account = oauth2_account(mail_servers, user)
    oauth_server.set_access_token_lifetime(30)  # under tokens.RENEW_BEFORE
    sign_in(account, Browser(oauth_server, user))
    imap.probe(account.incoming, credentials(account, "incoming"))
    imap.probe(account.incoming, credentials(account, "incoming"))
    assert oauth_server.token_requests("refresh_token") == 2
    # The refresh token rotates (as Microsoft's do): each new one was kept and worked.
    assert not [r for r in oauth_server.token_request_log() if r["error"]]


def test_a_revoked_sign_in_asks_to_sign_in_again_after_one_refresh_not_a_loop(
        mail_servers: Any, oauth_server: Any) -> None:
    user = mail_servers.new_user()
    account = oauth2_account(mail_servers, user)
    sign_in(account, Browser(oauth_server, user))
    oauth_server.revoke_user(user)

    for _ in range(2):
        with pytest.raises(tokens.SignInRequired) as info:
            imap.probe(account.incoming, credentials(account, "incoming"))
        message = str(info.value)
        assert "the sign-in has expired or was revoked" in message
        assert "invalid_grant" in message
        assert "sign in again with `tui-mail accounts login work`" in message
    # Each attempt: the refused token, one refresh refused. Never more.
    assert oauth_server.token_requests("refresh_token") == 2


def test_a_token_without_the_mail_scope_is_refused_with_the_servers_reason(
        mail_servers: Any, oauth_server: Any) -> None:
    user = mail_servers.new_user()
    account = oauth2_account(mail_servers, user, scopes=("profile",))
    sign_in(account, Browser(oauth_server, user))

    with pytest.raises(AuthError) as info:
        imap.probe(account.incoming, credentials(account, "incoming"))
    message = str(info.value)
    assert f"signing in as '{user.login}' with OAuth2 failed: the token was refused " \
        "(expired, revoked, or without mail access)" in message  # Dovecot's OAUTHBEARER words
    # Renewed once (the new token has the same scope), then refused again: never a loop.
    assert oauth_server.token_requests("refresh_token") == 1
    assert account.smtp is not None
    with pytest.raises(AuthError, match="without mail access"):
        asyncio.run(smtp.probe(account.smtp, credentials(account, "smtp")))
    with pytest.raises(AuthError, match="without mail access"):
        pop3.probe(pop3_server(mail_servers, user), credentials(account, "incoming"))


def test_an_unreachable_or_failing_token_endpoint_is_a_connection_problem_retried_later(
        mail_servers: Any, oauth_server: Any) -> None:
    user = mail_servers.new_user()
    account = oauth2_account(mail_servers, user)
    sign_in(account, Browser(oauth_server, user))
    tokens.forget_access_tokens()
    oauth_server.fail_token_requests(1, status=503)
    with pytest.raises(ConnectError, match="renewing the sign-in failed: .* server_error"):
        credentials(account, "incoming")
    imap.probe(account.incoming, credentials(account, "incoming"))  # the next try works

    assert account.oauth2 is not None
    closed = replace(account, oauth2=replace(account.oauth2,
                                             token_url="https://127.0.0.1:1/token"))
    tokens.forget_access_tokens()
    with pytest.raises(ConnectError, match="127.0.0.1:1: cannot connect"):
        credentials(closed, "incoming")


def test_a_server_offering_only_xoauth2_as_microsoft_does_gets_xoauth2(
        mail_servers: Any, oauth_server: Any, dovecot_variant: Any) -> None:
    variant = dovecot_variant(settings={"auth_mechanisms": "plain login xoauth2"})
    user = mail_servers.new_user()
    account = oauth2_account(mail_servers, user)
    account = replace(account, incoming=replace(account.incoming, port=variant.ports.imap_tls))
    sign_in(account, Browser(oauth_server, user))

    caps = imap.probe(account.incoming, credentials(account, "incoming"))
    assert "AUTH=OAUTHBEARER" not in caps
    pop3.probe(replace(pop3_server(mail_servers, user), port=variant.ports.pop3_tls),
               credentials(account, "incoming"))
    oauth_server.revoke_user(user)
    with pytest.raises(tokens.SignInRequired, match="revoked"):
        imap.probe(account.incoming, credentials(account, "incoming"))


def test_xoauth2_refusal_payload_becomes_words_with_the_scope_the_server_needs(
        mail_servers: Any, oauth_server: Any, dovecot_variant: Any) -> None:
    variant = dovecot_variant(settings={"auth_mechanisms": "plain login xoauth2"})
    user = mail_servers.new_user()
    account = oauth2_account(mail_servers, user, scopes=("profile",))
    account = replace(account, incoming=replace(account.incoming, port=variant.ports.imap_tls))
    sign_in(account, Browser(oauth_server, user))
    with pytest.raises(AuthError) as info:
        imap.probe(account.incoming, credentials(account, "incoming"))
    assert "the token was refused (expired, revoked, or without mail access; it needs scope " \
        "mail). Check that this mailbox may use IMAP with OAuth2 and that the account's oauth2 " \
        "scopes are right, then sign in again" in str(info.value)


def test_a_refresh_token_rotated_by_another_tui_mail_meanwhile_is_picked_up_not_a_sign_in(
        mail_servers: Any, oauth_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app and a `tui-mail sync` from cron renew at the same time; the provider rotates
    refresh tokens (Microsoft does), so the one that comes second holds a used token."""
    user = mail_servers.new_user()
    account = oauth2_account(mail_servers, user)
    sign_in(account, Browser(oauth_server, user))
    assert account.oauth2 is not None
    name = tokens.keyring_name(account)
    stale = tui_secrets.keyring_read(name, "refresh token")  # what "we" read at start
    assert stale
    tokens.access_token(account, renew=True)  # the other tui-mail: rotates and keeps a new one
    reads = iter([stale])
    real = tui_secrets.keyring_read
    monkeypatch.setattr(tui_secrets, "keyring_read",  # our first read of the keyring was then
                        lambda key, what: (next(reads, None) if key == name else None)
                        or real(key, what))

    assert tokens.access_token(account, renew=True)
    log = oauth_server.token_request_log()
    assert [r["error"] for r in log if r["grant_type"] == "refresh_token"] == \
        [None, "invalid_grant", None]


def test_connections_refused_together_renew_once_and_share_the_new_token(
        mail_servers: Any, oauth_server: Any) -> None:
    """The sync, IDLE and outbox connections meet an expired token at the same moment."""
    user = mail_servers.new_user()
    account = oauth2_account(mail_servers, user)
    sign_in(account, Browser(oauth_server, user))
    first, second = credentials(account, "incoming"), credentials(account, "smtp")
    oauth_server.expire_access_tokens(user)

    imap.probe(account.incoming, first)
    assert account.smtp is not None
    asyncio.run(smtp.probe(account.smtp, second))
    assert oauth_server.token_requests("refresh_token") == 1


def test_with_a_refresh_token_command_tui_mail_reads_the_token_and_never_signs_in_itself(
        mail_servers: Any, oauth_server: Any, tmp_path: Path) -> None:
    user = mail_servers.new_user()
    kept_elsewhere = tmp_path / "token"
    kept_elsewhere.write_text(oauth_server.issue_tokens(user)["refresh_token"] + "\n")
    account = oauth2_account(mail_servers, user)
    assert account.oauth2 is not None
    account = replace(account, oauth2=replace(account.oauth2,
                                              refresh_token_command=f"cat {kept_elsewhere}"))

    imap.probe(account.incoming, credentials(account, "incoming"))
    assert tokens.kept_where(account) == "refresh_token_command (kept by another tool)"
    with pytest.raises(SecretError, match="kept by another tool: sign in with that tool"):
        sign_in(account, Browser(oauth_server, user))


def test_access_tokens_never_show_in_a_repr(mail_servers: Any, oauth_server: Any) -> None:
    user = mail_servers.new_user()
    account = oauth2_account(mail_servers, user)
    sign_in(account, Browser(oauth_server, user))
    logged = Logged()
    with logged.at_debug():
        creds = credentials(account, "incoming")
        imap.probe(account.incoming, creds)
    assert creds.oauth2_token and creds.oauth2_token not in repr(creds)
    assert logged.lines and creds.oauth2_token not in "\n".join(logged.lines)


def test_device_polling_slows_down_when_the_provider_asks(
        mail_servers: Any, oauth_server: Any) -> None:
    """RFC 8628 section 3.5: after `slow_down` every later poll waits 5 s longer."""
    user = mail_servers.new_user()
    account = oauth2_account(mail_servers, user, flow=OAuth2Flow.DEVICE)
    assert account.oauth2 is not None
    oauth_server.set_device_flow(interval=1, slow_down_step=1)
    codes: list[DeviceCode] = []
    waits: list[float] = []

    class Prompt:
        def open_url(self, url: str, opened: bool) -> None:
            raise AssertionError("the device flow opens no browser")

        def enter_code(self, code: DeviceCode) -> None:
            codes.append(code)

    def sleep(seconds: float) -> None:  # polls as fast as it may, to be told to slow down
        waits.append(seconds)
        if len(waits) == 3:
            oauth_server.approve_device(codes[0].user_code, user)
            time.sleep(2.1)  # the interval the server now wants

    answer = flows.device_sign_in(account.oauth2, Prompt(), threading.Event(), sleep=sleep)
    assert answer["access_token"]
    assert waits == [1, 1, 6]
    errors = [r["error"] for r in oauth_server.token_request_log()]
    assert errors == ["authorization_pending", "slow_down", None]


def test_a_device_code_not_entered_in_time_says_it_expired(
        mail_servers: Any, oauth_server: Any) -> None:
    user = mail_servers.new_user()
    account = oauth2_account(mail_servers, user, flow=OAuth2Flow.DEVICE)
    assert account.oauth2 is not None
    oauth_server.set_device_flow(interval=1, code_lifetime=1)

    class Prompt:
        def open_url(self, url: str, opened: bool) -> None: ...
        def enter_code(self, code: DeviceCode) -> None: ...

    with pytest.raises(flows.SignInCancelled, match="the code expired before it was entered"):
        flows.device_sign_in(account.oauth2, Prompt(), threading.Event(),
                             sleep=lambda seconds: time.sleep(1.2))
