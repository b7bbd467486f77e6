"""A real OAuth2 authorization server for the suite (oauth_app.py, run as its own process).

`OAuthServer` starts it over HTTPS on a loopback port with the suite's certificate, and plays
the parts a test cannot play through the client under test: the user's browser (`browse`,
`approve_device`), the administrator (`issue_tokens`, `revoke_user`, `expire_access_tokens`,
settings), and a failing server (`fail_token_requests`). Dovecot checks the tokens it is
given by asking this server (introspection), so a token is good for IMAP, POP3 and, through
Dovecot's SASL, for Postfix submission.

Nothing here prints or logs a token: a failure message names the endpoint and the status only.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from .certs import TestCertificates
from .dovecot import DovecotOAuth, MailUser
from .netutil import HOST, ServerStartError, die_with_parent, log_tail, wait_until_closed

APP = Path(__file__).with_name("oauth_app.py")
PUBLIC_CLIENT_ID = "tui-mail-test"
CONFIDENTIAL_CLIENT_ID = "tui-mail-test-confidential"
RESOURCE_SERVER_ID = "dovecot"
MAIL_SCOPE = "mail"
GRANT_TYPES = ["authorization_code", "refresh_token",
               "urn:ietf:params:oauth:grant-type:device_code"]


class OAuthServerError(RuntimeError):
    """The authorization server (or a page of it) did not answer as the harness expected."""


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class OAuthServer:
    """One authorization server under `root`; `start()` runs it (see the module docstring)."""

    def __init__(self, root: Path, certs: TestCertificates) -> None:
        self.root = root
        self.certs = certs
        self.log_file = root / "oauth.log"
        self.config_file = root / "config.json"
        self.state_file = root / "state.json"
        self._admin_secret = secrets.token_urlsafe(24)
        self.confidential_client_secret = secrets.token_urlsafe(24)
        self.resource_server_secret = secrets.token_urlsafe(24)
        self._process: subprocess.Popen[bytes] | None = None
        self._context = ssl.create_default_context(cafile=str(certs.ca_file))
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o700)
        # Bound now and kept until the first start, so nobody else can take the port that
        # Dovecot's config names; a restart binds the same port again.
        self._listener: socket.socket | None = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((HOST, 0))
        self.port: int = self._listener.getsockname()[1]

    # ----- where to connect ----------------------------------------------------------------

    client_id = PUBLIC_CLIENT_ID
    """The public client (no secret; PKCE required); any http://127.0.0.1:PORT/PATH redirect."""
    confidential_client_id = CONFIDENTIAL_CLIENT_ID
    resource_server_id = RESOURCE_SERVER_ID
    scope = MAIL_SCOPE

    @property
    def issuer(self) -> str:
        return f"https://{HOST}:{self.port}"

    base_url = issuer

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/oauth-authorization-server"

    @property
    def authorize_url(self) -> str:
        return f"{self.issuer}/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/token"

    @property
    def device_authorization_url(self) -> str:
        return f"{self.issuer}/device_authorization"

    @property
    def verification_url(self) -> str:
        return f"{self.issuer}/device"

    @property
    def introspection_url(self) -> str:
        return f"{self.issuer}/introspect"

    @property
    def revocation_url(self) -> str:
        return f"{self.issuer}/revoke"

    @property
    def ca_file(self) -> Path:
        return self.certs.ca_file

    def metadata(self) -> dict[str, Any]:
        """The RFC 8414 metadata document (endpoints, scopes, PKCE methods)."""
        return self._request("GET", self.metadata_url).json()

    def dovecot_settings(self) -> DovecotOAuth:
        """What Dovecot needs to check tokens here, as the `dovecot` resource server."""
        return DovecotOAuth(
            introspection_url=(f"https://{RESOURCE_SERVER_ID}:{self.resource_server_secret}"
                               f"@{HOST}:{self.port}/introspect"),
            ca_file=self.certs.ca_file, scope=MAIL_SCOPE)

    # ----- lifecycle -----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, wait: bool = True, timeout: float = 15.0) -> None:
        """Start (or restart, with the tokens it had) on the same port.

        The listening socket is made here and inherited by the server, so the port is known
        and connectable at once; with `wait=False` this returns before the server has even
        imported Flask (call `wait_until_ready()` later), which lets Dovecot start meanwhile.
        """
        if self.running:
            return
        listener = self._listener or self._bind_again()
        self._listener = None
        with listener:
            listener.listen(64)
            self._write_config(listener.fileno())
            with open(self.log_file, "ab") as log:
                self._process = subprocess.Popen(
                    [sys.executable, str(APP), str(self.config_file)],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                    pass_fds=(listener.fileno(),), preexec_fn=die_with_parent, cwd=self.root,
                )
        # Our copy is closed: once the server process ends, connections are refused.
        if wait:
            self.wait_until_ready(timeout)

    def _bind_again(self) -> socket.socket:
        listener = socket.socket()
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((HOST, self.port))
        except OSError as exc:
            listener.close()
            raise ServerStartError(f"OAuth server: port {self.port} is taken: {exc}") from exc
        return listener

    def wait_until_ready(self, timeout: float = 15.0) -> None:
        """Return once the server answers; ServerStartError (with its log) if it never does."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                answer = self._request("GET", self.metadata_url, timeout=timeout)
                if answer.status == 200:
                    return
                problem = f"status {answer.status}"
            except OSError as exc:
                problem = str(exc)
            if not self.running or time.monotonic() > deadline:
                self.stop()
                raise ServerStartError(
                    f"OAuth server ({self.config_file}) did not start: {problem}\n"
                    f"{log_tail(self.log_file)}")
            time.sleep(0.02)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (it saves its tokens for the next start); the port is then closed."""
        process, self._process = self._process, None
        if self._listener is not None:  # never started
            self._listener.close()
            self._listener = None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        wait_until_closed([self.port], timeout=5)

    def _write_config(self, fd: int) -> None:
        clients = [
            {"client_id": PUBLIC_CLIENT_ID, "client_secret": None, "grant_types": GRANT_TYPES,
             "pkce_required": True},
            {"client_id": CONFIDENTIAL_CLIENT_ID,
             "client_secret": self.confidential_client_secret, "grant_types": GRANT_TYPES},
            {"client_id": RESOURCE_SERVER_ID, "client_secret": self.resource_server_secret,
             "grant_types": [], "may_introspect": True},
        ]
        config = {
            "issuer": self.issuer, "fd": fd, "cert_file": str(self.certs.cert_file),
            "key_file": str(self.certs.key_file), "admin_secret": self._admin_secret,
            "state_file": str(self.state_file), "clients": clients,
        }
        staging = self.config_file.with_suffix(".new")
        staging.write_text(json.dumps(config))
        staging.chmod(0o600)
        os.replace(staging, self.config_file)

    # ----- users -----------------------------------------------------------------------------

    def register_user(self, user: MailUser) -> None:
        """Let `user` sign in (users of a passwd-file given to `read_passwords_from` can already)."""
        self._admin("users", {"users": {user.login: user.password}})

    def read_passwords_from(self, passwd_file: Path) -> None:
        """Sign users in with the passwords of this Dovecot passwd-file, re-read as it changes.

        So every user of `Dovecot.new_user()` can sign in, as on a real provider where the
        mailbox and the sign-in share one account.
        """
        self._admin("passwd-file", {"path": str(passwd_file)})

    # ----- the user's browser ------------------------------------------------------------------

    def browse(self, url: str, user: MailUser, *, deny: bool = False) -> str:
        """Play the browser: open the authorization URL, sign in as `user` and Allow (or Deny),
        then follow the redirect to the client's loopback listener. Returns that redirect URL
        (with code and state, or error=access_denied).

        If the server refuses the request outright (unknown client, redirect URI not allowed)
        this raises OAuthServerError; if it redirects an error to the client at once (e.g.
        missing PKCE challenge), the redirect is followed and returned like any other.

        It blocks: from a test whose event loop runs the client's listener, call it in a thread
        (`await asyncio.to_thread(oauth.browse, url, user)`), or the listener cannot answer.
        """
        page = self._request("GET", url)
        if page.status in (302, 303):
            return self._visit_loopback(page.headers["location"])
        if page.status != 200:
            raise OAuthServerError(f"the authorization page answered {page.status}: "
                                   f"{_visible_text(page.text)}")
        form = _only_form(page.text)
        fields = {**form.fields, "username": user.login, "password": user.password,
                  "decision": "deny" if deny else "allow"}
        answer = self._request("POST", urljoin(url, form.action), form=fields)
        if answer.status not in (302, 303):
            raise OAuthServerError(f"signing in answered {answer.status}: "
                                   f"{_visible_text(answer.text)}")
        return self._visit_loopback(answer.headers["location"])

    def _visit_loopback(self, location: str) -> str:
        """GET the redirect on the client's own listener; its page (or error) does not matter."""
        parts = urlsplit(location)
        if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "::1"):
            raise OAuthServerError(f"the server redirected off loopback, to {parts.scheme}://"
                                   f"{parts.hostname}")
        connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=10)
        try:
            target = parts.path or "/"
            connection.request("GET", f"{target}?{parts.query}" if parts.query else target)
            connection.getresponse().read()
        except (http.client.RemoteDisconnected, ConnectionResetError):
            pass  # a listener that hangs up once it has the request line has what it needs
        finally:
            connection.close()
        return location

    def approve_device(self, user_code: str, user: MailUser, *, deny: bool = False) -> None:
        """Enter `user_code` on the verification page, sign in as `user`, Allow (or Deny)."""
        page = self._request("GET", f"{self.verification_url}?{urlencode({'user_code': user_code})}")
        if page.status != 200:
            raise OAuthServerError(f"the verification page answered {page.status}")
        form = _only_form(page.text)
        fields = {**form.fields, "user_code": user_code, "username": user.login,
                  "password": user.password, "decision": "deny" if deny else "allow"}
        answer = self._request("POST", urljoin(self.verification_url, form.action), form=fields)
        if answer.status != 200 or "class='error'" in answer.text:
            raise OAuthServerError(f"the verification page refused: {_visible_text(answer.text)}")

    # ----- the administrator -------------------------------------------------------------------

    def issue_tokens(self, user: MailUser, scope: str = MAIL_SCOPE,
                     client_id: str | None = None) -> dict[str, Any]:
        """A token response for `user`, as if they had signed in through `client_id` (the
        public client by default): access_token, refresh_token, expires_in, scope, token_type."""
        answer = self._admin("issue", {"login": user.login, "scope": scope,
                                       "client_id": client_id or PUBLIC_CLIENT_ID})
        if "error" in answer:
            raise OAuthServerError(f"issue_tokens: {answer['error']}")
        return answer

    def revoke_user(self, user: MailUser) -> None:
        """Every access and refresh token of `user` stops working (as when a password changes)."""
        self._admin("revoke-user", {"login": user.login})

    def expire_access_tokens(self, user: MailUser) -> None:
        """The access tokens of `user` expire now (introspection says inactive); refresh
        tokens still work. The client, whose clock says they are good, learns it from Dovecot."""
        self._admin("expire-access-tokens", {"login": user.login})

    def set_access_token_lifetime(self, seconds: int) -> None:
        """expires_in of the tokens issued from now on."""
        self._settings(access_token_lifetime=seconds)

    def set_refresh_token_rotation(self, rotate: bool) -> None:
        """True (the default): a refresh answers a new refresh token and the old one stops
        working, as Microsoft does. False: no refresh_token in the answer, the old one stays
        good, as Google does."""
        self._settings(rotate_refresh_tokens=rotate)

    def set_device_flow(self, *, interval: int | None = None,
                        code_lifetime: int | None = None,
                        slow_down_step: int | None = None) -> None:
        """The device flow's polling interval (default 1 s), device code lifetime (600 s) and
        the interval increase after slow_down (5 s, RFC 8628 §3.5)."""
        changes = {"device_interval": interval, "device_code_lifetime": code_lifetime,
                   "slow_down_step": slow_down_step}
        self._settings(**{k: v for k, v in changes.items() if v is not None})

    def fail_token_requests(self, count: int, status: int = 500,
                            body: dict[str, Any] | None = None, *,
                            grant_type: str | None = None) -> None:
        """The next `count` token-endpoint calls (of `grant_type`, or any) answer `status`
        with `body` (default {"error": "server_error", ...}) instead of doing their work."""
        self._admin("fail-token-requests", {"count": count, "status": status, "body": body,
                                            "grant_type": grant_type})

    def token_requests(self, grant_type: str | None = None) -> int:
        """How many token-endpoint calls (of `grant_type`, or all) since the last `reset()`."""
        return len([r for r in self.token_request_log()
                    if grant_type is None or r["grant_type"] == grant_type])

    def token_request_log(self) -> list[dict[str, Any]]:
        """The token-endpoint calls since the last `reset()`: grant_type, status, error (the
        OAuth error code or None), time (epoch seconds), client_id and scope (as sent)."""
        return self._admin("token-log", {})["requests"]

    def introspect(self, token: str) -> dict[str, Any]:
        """{"active": bool, "kind": "access_token" | "refresh_token" | None, "scope": ...}."""
        return self._admin("introspect", {"token": token})

    def reset(self) -> None:
        """Default settings, no injected failures, an empty request log; tokens stay."""
        self._admin("reset", {})

    def _settings(self, **changes: Any) -> None:
        answer = self._admin("settings", changes)
        if "error" in answer:
            raise OAuthServerError(answer["error"])

    def _admin(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        answer = self._request("POST", f"{self.issuer}/admin/{action}", json_body=payload,
                               headers={"X-Admin-Secret": self._admin_secret})
        if answer.status != 200:
            raise OAuthServerError(f"admin {action} answered {answer.status}")
        return answer.json()

    # ----- HTTP ---------------------------------------------------------------------------------

    def _request(self, method: str, url: str, *, form: dict[str, str] | None = None,
                 json_body: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None, timeout: float = 10.0) -> HttpAnswer:
        """One HTTPS request to this server (trusting the suite's CA); no redirect is followed."""
        parts = urlsplit(url)
        if parts.hostname != HOST or parts.port != self.port:
            raise OAuthServerError(f"not a URL of this server: {parts.scheme}://{parts.netloc}")
        sent = dict(headers or {})
        body: bytes | None = None
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        connection = http.client.HTTPSConnection(HOST, self.port, context=self._context,
                                                 timeout=timeout)
        try:
            target = f"{parts.path or '/'}?{parts.query}" if parts.query else parts.path or "/"
            connection.request(method, target, body=body, headers=sent)
            response = connection.getresponse()
            return HttpAnswer(response.status,
                              {k.lower(): v for k, v in response.getheaders()},
                              response.read())
        finally:
            connection.close()


# ----- pages --------------------------------------------------------------------------------


@dataclass
class _Form:
    action: str
    fields: dict[str, str]


class _FormParser(HTMLParser):
    """The forms of a page: action, and the inputs' names and values (not the buttons')."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[_Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(_Form(found.get("action", ""), {}))
        elif tag == "input" and self.forms and "name" in found:
            self.forms[-1].fields[found["name"]] = found.get("value", "")


def _only_form(page: str) -> _Form:
    parser = _FormParser()
    parser.feed(page)
    if len(parser.forms) != 1:
        raise OAuthServerError(f"expected one form, found {len(parser.forms)}: "
                               f"{_visible_text(page)}")
    return parser.forms[0]


def _visible_text(page: str, limit: int = 300) -> str:
    """A page's words without its tags, shortened: for error messages."""
    class Text(HTMLParser):
        words: list[str] = []

        def handle_data(self, data: str) -> None:
            self.words.append(data.strip())

    parser = Text()
    parser.words = []
    parser.feed(page)
    return " ".join(w for w in parser.words if w)[:limit]


def sasl_xoauth2(login: str, token: str) -> str:
    """The base64 XOAUTH2 initial response (Google's format) for `login` and `token`."""
    return base64.b64encode(f"user={login}\x01auth=Bearer {token}\x01\x01".encode()).decode()


def sasl_oauthbearer(login: str, token: str, host: str = HOST, port: int = 0) -> str:
    """The base64 OAUTHBEARER initial response (RFC 7628) for `login` and `token`."""
    message = f"n,a={login},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01"
    return base64.b64encode(message.encode()).decode()
