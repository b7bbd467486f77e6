"""The pieces of a sign-in that need no provider: the loopback listener, PKCE, the choice of
flow, and not starting a text browser in the user's terminal."""

from __future__ import annotations

import base64
import hashlib
import http.client
import threading

import pytest

from tui_mail.model import OAuth2Config, OAuth2Flow
from tui_mail.oauth2 import flows


def config(flow: OAuth2Flow = OAuth2Flow.AUTO, device: str | None = "https://id.test/device"
           ) -> OAuth2Config:
    return OAuth2Config(provider="custom", client_id="c", authorization_url="https://id.test/a",
                        token_url="https://id.test/t", scopes=("mail",),
                        device_authorization_url=device, flow=flow)


def get(receiver: flows.LoopbackReceiver, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=5)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    finally:
        connection.close()


def test_the_loopback_listener_takes_only_the_answer_with_its_own_state() -> None:
    receiver = flows.LoopbackReceiver("s1")
    try:
        assert receiver.redirect_uri == f"http://127.0.0.1:{receiver.port}"
        status, page = get(receiver, "/?state=forged&code=evil")
        assert status == 400 and "not the answer" in page
        status, page = get(receiver, "/favicon.ico")
        assert status == 400
        status, page = get(receiver, "/?state=s1&code=good")
        assert status == 200 and "Signed in" in page
        assert receiver.wait(threading.Event(), 5) == {"state": "s1", "code": "good"}
    finally:
        receiver.close()


def test_a_redirect_pasted_by_the_user_is_taken_like_one_the_browser_delivered() -> None:
    receiver = flows.LoopbackReceiver("s2", host_name="localhost")
    try:
        assert receiver.redirect_uri.startswith("http://localhost:")
        assert not receiver.deliver("http://localhost:1234/?code=x&state=other")
        assert receiver.deliver(f"  http://localhost:{receiver.port}/?code=abc&state=s2\n")
        assert receiver.wait(threading.Event(), 5)["code"] == "abc"
    finally:
        receiver.close()


def test_waiting_ends_when_the_user_cancels() -> None:
    receiver = flows.LoopbackReceiver("s3")
    cancel = threading.Event()
    cancel.set()
    try:
        with pytest.raises(flows.SignInCancelled, match="cancelled"):
            receiver.wait(cancel, 5)
    finally:
        receiver.close()


def test_pkce_challenge_is_the_s256_of_the_verifier() -> None:
    verifier, challenge = flows.pkce_pair()
    assert 43 <= len(verifier) <= 128
    digest = hashlib.sha256(verifier.encode()).digest()
    assert challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert flows.pkce_pair()[0] != verifier


def test_auto_means_the_device_code_without_a_display_and_the_browser_with_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flows.sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(name, raising=False)
    assert flows.chosen_flow(config()) is OAuth2Flow.DEVICE
    assert flows.chosen_flow(config(device=None)) is OAuth2Flow.BROWSER  # Google
    assert flows.chosen_flow(config(OAuth2Flow.BROWSER)) is OAuth2Flow.BROWSER
    monkeypatch.setenv("DISPLAY", ":0")
    assert flows.chosen_flow(config()) is OAuth2Flow.BROWSER


def test_no_browser_is_started_without_a_display(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python's webbrowser would start lynx or w3m in the terminal the app is drawn in."""
    monkeypatch.setattr(flows.sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(name, raising=False)
    opened: list[str] = []

    def open_browser(url: str) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr("webbrowser.open", open_browser)
    assert flows.open_in_browser("https://id.test/a") is False
    assert opened == []


def test_the_authorization_url_carries_pkce_state_scopes_and_the_providers_extras() -> None:
    url = flows.authorization_url(config(), "http://127.0.0.1:5/", "st", "ch", "me@x.test")
    assert url.startswith("https://id.test/a?response_type=code&client_id=c&")
    for part in ("redirect_uri=http%3A%2F%2F127.0.0.1%3A5%2F", "scope=mail", "state=st",
                 "code_challenge=ch", "code_challenge_method=S256", "login_hint=me%40x.test"):
        assert part in url
    google = OAuth2Config(provider="google", client_id="c", token_url="https://t",
                          authorization_url="https://accounts.google.com/o/oauth2/v2/auth",
                          scopes=("https://mail.google.com/",))
    assert "access_type=offline" in flows.authorization_url(google, "http://x/", "s", "c")
