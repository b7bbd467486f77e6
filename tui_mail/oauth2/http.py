"""The two HTTP calls OAuth2 needs of a client: a form POST and its JSON answer.

Blocking (urllib), so callers run it off the event loop. Every call has the config's timeout;
the server's certificate is checked against the system's CAs, or the config's `ca_file`.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from tui_mail.errors import TuiMailError
from tui_mail.model import OAuth2Config
from tui_mail.remote.connection import server_text

# An answer larger than this is not a token response; reading stops there.
MAX_ANSWER = 1_000_000


class OAuthError(TuiMailError):
    """The identity provider refused or failed a request; `error` is its RFC 6749 error code."""

    def __init__(self, message: str, error: str = "", status: int = 0) -> None:
        super().__init__(message)
        self.error = error
        self.status = status


def _context(config: OAuth2Config) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or url


def post_form(config: OAuth2Config, url: str, fields: dict[str, str]) -> dict[str, Any]:
    """POST `fields` (plus the client's credentials) and return the JSON answer.

    An error answer raises OAuthError carrying the provider's `error` code and its description
    (cleaned of control characters; never a token, which error answers do not carry).
    """
    body = dict(fields, client_id=config.client_id)
    if config.client_secret:
        body["client_secret"] = config.client_secret
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode(body).encode("ascii"), method="POST",
        headers={"Accept": "application/json",
                 "Content-Type": "application/x-www-form-urlencoded"},
    )
    host = _host(url)
    try:
        with urllib.request.urlopen(request, timeout=config.timeout,
                                    context=_context(config)) as answer:
            raw = answer.read(MAX_ANSWER)
            status = answer.status
    except urllib.error.HTTPError as exc:
        raw = exc.read(MAX_ANSWER) if exc.fp else b""
        status = exc.code
    except ssl.SSLCertVerificationError as exc:
        raise OAuthError(f"{host}: the certificate is not trusted ({exc.verify_message}); "
                         "for a private identity provider set ca_file in the oauth2 table",
                         "tls") from None
    except TimeoutError:
        raise OAuthError(f"{host}: no answer within {config.timeout:.0f} s", "timeout") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise OAuthError(f"{host}: cannot connect: {server_text(str(reason))}",
                         "unreachable") from None
    try:
        answer_json = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        answer_json = None
    if not isinstance(answer_json, dict):
        raise OAuthError(f"{host}: the answer (HTTP {status}) is not the JSON an OAuth2 server "
                         "sends", "malformed", status)
    if status >= 400 or "error" in answer_json:
        code = server_text(str(answer_json.get("error", "") or f"HTTP {status}"))
        said = server_text(str(answer_json.get("error_description", "") or ""))
        words = f"{code}: {said}" if said else code
        raise OAuthError(f"{host} refused: {words}", code, status)
    return answer_json
