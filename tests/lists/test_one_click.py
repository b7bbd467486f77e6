"""RFC 8058 one-click unsubscribe against a real local HTTPS server with a test CA."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.https_server import https_server
from tui_mail.remote.unsubscribe import UnsubscribeError, post_one_click


def test_the_post_carries_the_one_click_body_as_a_form(tmp_path: Path) -> None:
    with https_server(tmp_path) as server:
        answer = post_one_click(server.url("/u?id=42"), context=server.client_context())
    assert (answer.status, answer.ok) == (200, True)
    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/u?id=42")
    assert request.content_type == "application/x-www-form-urlencoded"
    assert request.body == b"List-Unsubscribe=One-Click"


def test_an_error_status_is_given_back_not_taken_for_success(tmp_path: Path) -> None:
    with https_server(tmp_path) as server:
        server.status = 500
        answer = post_one_click(server.url("/u"), context=server.client_context())
    assert (answer.status, answer.ok) == (500, False)


def test_a_server_the_system_does_not_trust_is_refused_before_anything_is_sent(
        tmp_path: Path) -> None:
    with https_server(tmp_path) as server, pytest.raises(UnsubscribeError, match="not trusted"):
        post_one_click(server.url("/u"))
    assert server.requests == []


def test_plain_http_and_a_context_that_does_not_verify_are_refused(tmp_path: Path) -> None:
    import ssl

    with pytest.raises(UnsubscribeError, match="not an https"):
        post_one_click("http://localhost/u")
    lax = ssl.create_default_context()
    lax.check_hostname = False
    lax.verify_mode = ssl.CERT_NONE
    with pytest.raises(UnsubscribeError, match="verifies"):
        post_one_click("https://localhost/u", context=lax)


def test_a_redirect_to_plain_http_is_not_followed(tmp_path: Path) -> None:
    with https_server(tmp_path) as server:
        server.redirect_to = "http://127.0.0.1:9/collect"
        with pytest.raises(UnsubscribeError, match="not https"):
            post_one_click(server.url("/u"), context=server.client_context())
    assert len(server.requests) == 1


def test_a_redirect_to_https_is_followed(tmp_path: Path) -> None:
    with https_server(tmp_path) as server:
        server.redirect_to = server.url("/done")
        answer = post_one_click(server.url("/u"), context=server.client_context())
    assert answer.status == 200
    assert [(r.method, r.path) for r in server.requests] == [("POST", "/u"), ("GET", "/done")]
