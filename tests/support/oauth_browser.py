"""The user's browser for `tui-mail accounts login` in tests, over HTTP (no real browser).

As `$BROWSER` (`python -m tests.support.oauth_browser %s`): signs in at the URL it is given as
$TEST_OAUTH_LOGIN with $TEST_OAUTH_PASSWORD (Allow, or Deny with $TEST_OAUTH_DENY=1), trusting
$TEST_OAUTH_CA, and follows the redirect to the app's loopback listener, as a browser does.
`sign_in_at` stops before that redirect, for a user whose browser is on another machine and who
pastes the address it ended on.
"""

from __future__ import annotations

import http.client
import os
import ssl
import sys
from urllib.parse import urlencode, urljoin, urlsplit

from tests.servers.oauth import OAuthServerError, _only_form, _visible_text


def _request(method: str, url: str, context: ssl.SSLContext,
             form: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    parts = urlsplit(url)
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname or "", parts.port or 443,
                                                 context=context, timeout=20)
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port or 80,
                                                timeout=20)
    body = urlencode(form).encode() if form is not None else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if form is not None else {}
    try:
        target = f"{parts.path or '/'}?{parts.query}" if parts.query else parts.path or "/"
        connection.request(method, target, body=body, headers=headers)
        answer = connection.getresponse()
        return (answer.status, {k.lower(): v for k, v in answer.getheaders()},
                answer.read().decode("utf-8", "replace"))
    finally:
        connection.close()


def sign_in_at(url: str, login: str, password: str, ca_file: str, *, deny: bool = False) -> str:
    """Open the authorization URL, sign in, Allow (or Deny); the address the browser is sent to."""
    context = ssl.create_default_context(cafile=ca_file)
    status, _, page = _request("GET", url, context)
    if status != 200:
        raise OAuthServerError(f"the authorization page answered {status}: {_visible_text(page)}")
    form = _only_form(page)
    fields = {**form.fields, "username": login, "password": password,
              "decision": "deny" if deny else "allow"}
    status, headers, page = _request("POST", urljoin(url, form.action), context, fields)
    if status not in (302, 303):
        raise OAuthServerError(f"signing in answered {status}: {_visible_text(page)}")
    return headers["location"]


def main(url: str) -> int:
    location = sign_in_at(url, os.environ["TEST_OAUTH_LOGIN"], os.environ["TEST_OAUTH_PASSWORD"],
                          os.environ["TEST_OAUTH_CA"], deny=os.environ.get("TEST_OAUTH_DENY") == "1")
    _request("GET", location, ssl.create_default_context())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
