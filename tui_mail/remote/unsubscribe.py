"""One-click unsubscribe (RFC 8058): the HTTPS POST a list asks for in List-Unsubscribe-Post.

The URI comes from a message, so from a stranger: only https is posted to, the certificate
is verified (the system's trust store, or the context the caller gives), a redirect is
followed only to another https URI, and the whole exchange has a deadline. Blocking: call it
from a thread.
"""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit

from tui_mail.errors import TuiMailError

ONE_CLICK_BODY = b"List-Unsubscribe=One-Click"
TIMEOUT = 20.0  # seconds for the connection and each read
MAX_ANSWER = 64 * 1024  # bytes of the answer read (and thrown away)


class UnsubscribeError(TuiMailError):
    """The request could not be made or was refused; the text says which, in words."""


@dataclass(frozen=True)
class OneClickAnswer:
    """What the list's server answered."""

    status: int
    reason: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class _HttpsRedirectsOnly(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to another https URI (a POST answered by 301/302/303 becomes
    a GET, as browsers do; 307/308 are refused by urllib for a POST)."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int,
                         msg: str, headers: Any, newurl: str) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme.lower() != "https":
            raise UnsubscribeError(f"the server sent the request on to {newurl[:200]!r}, "
                                   "which is not https: not followed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def post_one_click(url: str, *, context: ssl.SSLContext | None = None,
                   timeout: float = TIMEOUT) -> OneClickAnswer:
    """POST `List-Unsubscribe=One-Click` (application/x-www-form-urlencoded) to `url`.

    Returns the HTTP status the server answered, an error status included; raises
    UnsubscribeError when no answer could be had (not https, unreachable, certificate not
    trusted, timeout)."""
    if urlsplit(url).scheme.lower() != "https" or not urlsplit(url).hostname:
        raise UnsubscribeError(f"{url[:200]!r} is not an https address: one-click needs https")
    context = context or ssl.create_default_context()
    if context.verify_mode != ssl.CERT_REQUIRED or not context.check_hostname:
        raise UnsubscribeError("one-click unsubscribe needs a TLS context that verifies "
                               "certificates")
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                         _HttpsRedirectsOnly())
    request = urllib.request.Request(
        url, data=ONE_CLICK_BODY, method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "User-Agent": "tui-mail"})
    try:
        with opener.open(request, timeout=timeout) as answer:
            answer.read(MAX_ANSWER)
            return OneClickAnswer(answer.status, str(answer.reason or ""))
    except urllib.error.HTTPError as exc:
        with exc:
            return OneClickAnswer(exc.code, str(exc.reason or ""))
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise UnsubscribeError(f"the certificate of {urlsplit(url).hostname} is not "
                                   f"trusted ({reason.verify_message})") from None
        raise UnsubscribeError(f"{urlsplit(url).hostname} could not be reached: "
                               f"{getattr(reason, 'strerror', None) or reason}") from None
    except (OSError, ValueError) as exc:  # a timeout while reading, a malformed answer
        raise UnsubscribeError(f"{urlsplit(url).hostname} did not answer properly: "
                               f"{exc}") from None
