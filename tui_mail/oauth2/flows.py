"""The two ways to sign in: a browser with a loopback redirect, or a code typed elsewhere.

- Authorization code with PKCE (RFC 7636) and a loopback redirect (RFC 8252): a one-shot HTTP
  listener on 127.0.0.1 on a port the system picks; the URL is opened in the browser and shown
  too. Over SSH the browser is on another machine, so the redirect it ends on (which fails to
  load there) can be pasted back instead: `LoopbackReceiver.deliver`.
- Device authorization grant (RFC 8628): the user types a short code at the provider's page on
  any device; the token endpoint is polled at the interval the provider asks for.

Both are blocking and meant for a worker thread; `cancel` (a threading.Event) ends them.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
import secrets
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from tui_mail.model import OAuth2Config, OAuth2Flow
from tui_mail.oauth2.http import OAuthError, post_form
from tui_mail.oauth2.providers import PROVIDERS
from tui_mail.remote.connection import server_text

SIGN_IN_TIMEOUT = 600.0  # seconds the user has to finish in the browser
DEVICE_CODE_LIMIT = 1800.0  # seconds at most a device code is waited for (its expires_in rules)
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class SignInCancelled(OAuthError):
    """The user gave up (Escape, Ctrl+C) or the time to sign in ran out."""


@dataclass(frozen=True)
class DeviceCode:
    """What the user needs to sign in on another device."""

    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: float


class SignInPrompt(Protocol):
    """What a sign-in tells the user; the CLI prints it, the setup screen shows it."""

    def open_url(self, url: str, opened: bool) -> None:
        """The authorization URL: `opened` says whether a browser was started with it."""

    def enter_code(self, code: DeviceCode) -> None:
        """The device flow's code and where to type it."""


def has_display() -> bool:
    """Whether a browser started here would show on the user's screen."""
    if sys.platform in ("darwin", "win32"):
        return not os.environ.get("SSH_CONNECTION")
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_in_browser(url: str) -> bool:
    """Open `url` in the user's browser when one would show on their screen ($BROWSER, or a
    display). Without, Python's webbrowser would start a text browser in this very terminal."""
    import webbrowser

    if not (os.environ.get("BROWSER") or has_display()):
        return False
    return bool(webbrowser.open(url))


def chosen_flow(config: OAuth2Config) -> OAuth2Flow:
    """The flow `auto` means here: the device code without a display (when the provider has a
    device endpoint that allows the mail scopes), else the browser."""
    if config.flow is not OAuth2Flow.AUTO:
        return config.flow
    if not has_display() and config.device_authorization_url:
        return OAuth2Flow.DEVICE
    return OAuth2Flow.BROWSER


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge), RFC 7636 section 4."""
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(48)).rstrip(b"=").decode("ascii")
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


_PAGE = """<!doctype html><meta charset="utf-8"><title>tui-mail</title>
<body style="font-family: sans-serif; margin: 3em"><h1>{title}</h1><p>{text}</p></body>"""


class LoopbackReceiver:
    """A one-shot HTTP listener on 127.0.0.1 that waits for the provider's redirect.

    The answer is checked against `state` (RFC 6749 section 10.12): a redirect with another
    state, from another tab or a forged link, is refused and the wait goes on.
    """

    def __init__(self, state: str, host_name: str = "127.0.0.1") -> None:
        self.state = state
        self._result: dict[str, str] | None = None
        self._done = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # A connection that says nothing (a browser's speculative pre-connect, any local
            # process) gives up its thread after this, and never holds up the redirect.
            timeout = 5

            def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
                accepted = receiver.deliver(self.path)
                title, text = (("Signed in", "You can close this tab and return to tui-mail.")
                               if accepted else
                               ("Not for tui-mail", "This address is not the answer tui-mail "
                                "is waiting for."))
                if accepted and receiver._result and "error" in receiver._result:
                    title, text = "Sign-in refused", html.escape(receiver._result["error"])
                page = _PAGE.format(title=title, text=text).encode("utf-8")
                self.send_response(200 if accepted else 400)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """The request line carries the code: never written anywhere."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        # No path: what desktop apps register (Microsoft: http://localhost, any port).
        self.redirect_uri = f"http://{host_name}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="oauth2-loopback")
        self._thread.start()

    def deliver(self, url_or_path: str) -> bool:
        """Take a redirect (the path the listener got, or a whole URL pasted by the user);
        False when it is not the answer to this sign-in."""
        query = urllib.parse.urlsplit(url_or_path.strip()).query
        params = {k: v[0] for k, v in urllib.parse.parse_qs(query).items()}
        if params.get("state") != self.state or not ("code" in params or "error" in params):
            return False
        if not self._done.is_set():
            self._result = params
            self._done.set()
        return True

    def wait(self, cancel: threading.Event, timeout: float) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while not self._done.wait(0.2):
            if cancel.is_set():
                raise SignInCancelled("sign-in cancelled", "cancelled")
            if time.monotonic() > deadline:
                raise SignInCancelled(f"no answer from the browser within {timeout:.0f} s",
                                      "timeout")
        assert self._result is not None
        return self._result

    def close(self) -> None:
        """Stop listening; a request being answered finishes in its own daemon thread."""
        self._server.shutdown()
        self._server.server_close()


def authorization_url(config: OAuth2Config, redirect_uri: str, state: str, challenge: str,
                      login_hint: str = "") -> str:
    params = {
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(config.scopes),
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if login_hint:
        params["login_hint"] = login_hint
    provider = PROVIDERS.get(config.provider)
    if provider:
        params.update(provider.extra_authorize_params)
    separator = "&" if "?" in config.authorization_url else "?"
    return config.authorization_url + separator + urllib.parse.urlencode(params)


def browser_sign_in(config: OAuth2Config, prompt: SignInPrompt, cancel: threading.Event, *,
                    login_hint: str = "", open_browser: Any = None,
                    receiver_ready: Any = None, timeout: float = SIGN_IN_TIMEOUT) -> dict[str, Any]:
    """Authorization code with PKCE: returns the token endpoint's answer.

    `open_browser(url) -> bool` defaults to `open_in_browser`; `receiver_ready(receiver)` lets
    a caller feed a pasted redirect URL to the listener.
    """
    provider = PROVIDERS.get(config.provider)
    state = secrets.token_urlsafe(24)
    verifier, challenge = pkce_pair()
    receiver = LoopbackReceiver(state, provider.loopback_host if provider else "127.0.0.1")
    try:
        url = authorization_url(config, receiver.redirect_uri, state, challenge, login_hint)
        if receiver_ready is not None:
            receiver_ready(receiver)
        opener = open_browser or open_in_browser
        try:
            opened = bool(opener(url))
        except Exception:  # noqa: BLE001 - no browser is a normal case, not a failure
            opened = False
        prompt.open_url(url, opened)
        answer = receiver.wait(cancel, timeout)
    finally:
        receiver.close()
    if "error" in answer:
        said = server_text(answer.get("error_description", "") or "")
        code = server_text(answer["error"])
        raise OAuthError(f"the sign-in was refused: {code}" + (f": {said}" if said else ""),
                         code)
    return post_form(config, config.token_url, {
        "grant_type": "authorization_code",
        "code": answer["code"],
        "redirect_uri": receiver.redirect_uri,
        "code_verifier": verifier,
    })


def device_sign_in(config: OAuth2Config, prompt: SignInPrompt, cancel: threading.Event,
                   *, sleep: Any = None) -> dict[str, Any]:
    """Device authorization grant: returns the token endpoint's answer."""
    if not config.device_authorization_url:
        raise OAuthError(f"{config.provider}: this provider offers no device sign-in for mail; "
                         "use flow = \"browser\" (over SSH, paste the address the browser "
                         "ends on)", "unsupported")
    start = post_form(config, config.device_authorization_url, {"scope": " ".join(config.scopes)})
    try:
        device_code = str(start["device_code"])
        code = DeviceCode(
            user_code=server_text(start["user_code"]),
            verification_uri=server_text(start.get("verification_uri")
                                         or start.get("verification_url", "")),
            verification_uri_complete=(server_text(start["verification_uri_complete"])
                                       if start.get("verification_uri_complete") else None),
            expires_in=min(float(start.get("expires_in", SIGN_IN_TIMEOUT)), DEVICE_CODE_LIMIT),
        )
        interval = float(start.get("interval", 5))
    except (KeyError, TypeError, ValueError):
        raise OAuthError("the device sign-in answer lacks device_code, user_code or "
                         "verification_uri", "malformed") from None
    prompt.enter_code(code)
    deadline = time.monotonic() + min(code.expires_in, DEVICE_CODE_LIMIT)
    wait = sleep or (lambda seconds: cancel.wait(seconds))
    while True:
        wait(interval)
        if cancel.is_set():
            raise SignInCancelled("sign-in cancelled", "cancelled")
        if time.monotonic() > deadline:
            raise SignInCancelled("the code expired before it was entered; sign in again",
                                  "expired_token")
        try:
            return post_form(config, config.token_url,
                             {"grant_type": DEVICE_GRANT, "device_code": device_code})
        except OAuthError as exc:
            if exc.error == "authorization_pending":
                continue
            if exc.error == "slow_down":
                interval += 5  # RFC 8628 section 3.5
                continue
            if exc.error in ("access_denied", "authorization_declined"):  # Microsoft: the latter
                raise OAuthError("the sign-in was declined on the other device",
                                 "access_denied") from None
            if exc.error == "expired_token":
                raise SignInCancelled("the code expired before it was entered; sign in again",
                                      exc.error) from None
            raise
