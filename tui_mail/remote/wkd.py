"""The OpenPGP Web Key Directory (draft-koch-openpgp-webkey-service): a correspondent's key
fetched over HTTPS from their mail domain, by address.

The advanced method (`https://openpgpkey.<domain>/.well-known/openpgpkey/<domain>/hu/<hash>`)
is used when that host exists, else the direct one (`https://<domain>/.well-known/openpgpkey/
hu/<hash>`). The certificate is verified (the system's trust store, or the caller's context),
a redirect is followed only to another https address, the answer is capped, and each step has a
deadline. What comes back is only bytes: crypto.autocrypt_keys checks it is one key for that
address before anything is encrypted to it. Blocking: call it from a thread.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from tui_mail.errors import TuiMailError
from tui_mail.mail.sanitize import sanitize_line

TIMEOUT = 10.0  # seconds to connect, and for each read
MAX_KEY = 512 * 1024  # bytes: a key with many signatures is large; more is not a key
MAX_REDIRECTS = 3
ZBASE32 = "ybndrfg8ejkmcpqxot1uwisza345h769"

# Where to connect for a host and port: the name itself, unless a caller (a test, a proxy of
# the user's) says otherwise. The certificate is always checked against the name.
HostMap = Callable[[str, int], tuple[str, int]]


class WkdError(TuiMailError):
    """The directory could not be asked; the text says why, in words."""


@dataclass(frozen=True)
class WkdPlace:
    """Where one method looks for an address's key."""

    host: str
    path: str

    @property
    def url(self) -> str:
        return f"https://{self.host}{self.path}"


def zbase32(data: bytes) -> str:
    """z-base-32 (as the directory names its files), most significant bits first."""
    bits = int.from_bytes(data, "big")
    count = len(data) * 8
    padded = count + (-count) % 5
    bits <<= padded - count
    return "".join(ZBASE32[(bits >> shift) & 31] for shift in range(padded - 5, -1, -5))


def places(address: str) -> tuple[WkdPlace, WkdPlace]:
    """The advanced and the direct place of `address`'s key. The local part is hashed lower-
    cased (ASCII letters only, as the draft says) and sent as written in `l=`."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain or "/" in domain:
        raise WkdError(f"{address!r} is not a mail address")
    domain = domain.lower().rstrip(".")
    lowered = local.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                            "abcdefghijklmnopqrstuvwxyz"))
    digest = zbase32(hashlib.sha1(lowered.encode("utf-8"), usedforsecurity=False).digest())
    query = f"?l={quote(local, safe='')}"
    return (WkdPlace(f"openpgpkey.{domain}",
                     f"/.well-known/openpgpkey/{domain}/hu/{digest}{query}"),
            WkdPlace(domain, f"/.well-known/openpgpkey/hu/{digest}{query}"))


def _as_named(host: str, port: int) -> tuple[str, int]:
    return host, port


def locate(address: str, *, context: ssl.SSLContext | None = None, timeout: float = TIMEOUT,
           host_map: HostMap = _as_named) -> bytes:
    """The key the directory of `address`'s domain publishes for it; empty when it publishes
    none (404). Raises WkdError when the directory cannot be asked or answers otherwise."""
    context = context or ssl.create_default_context()
    if context.verify_mode != ssl.CERT_REQUIRED or not context.check_hostname:
        raise WkdError("the key directory needs a TLS context that verifies certificates")
    advanced, direct = places(address)
    place = advanced if _exists(advanced.host, host_map) else direct
    return _get(place, context, timeout, host_map)


def _exists(host: str, host_map: HostMap) -> bool:
    """Whether `host` has an address: the draft's test for the advanced method."""
    try:
        name, port = host_map(host, 443)
        return bool(socket.getaddrinfo(name, port, type=socket.SOCK_STREAM))
    except (OSError, UnicodeError):
        return False


class _Connection(http.client.HTTPSConnection):
    """HTTPS to where `host_map` says, the certificate checked against the name asked for."""

    def __init__(self, host: str, host_map: HostMap, context: ssl.SSLContext,
                 timeout: float) -> None:
        super().__init__(host, 443, context=context, timeout=timeout)
        self._host_map = host_map
        self._verifying = context

    def connect(self) -> None:
        raw = socket.create_connection(self._host_map(self.host, 443), self.timeout)
        try:
            self.sock = self._verifying.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


def _get(place: WkdPlace, context: ssl.SSLContext, timeout: float, host_map: HostMap) -> bytes:
    for _ in range(MAX_REDIRECTS + 1):
        connection = _Connection(place.host, host_map, context, timeout)
        try:
            connection.request("GET", place.path, headers={"User-Agent": "tui-mail",
                                                           "Accept": "application/octet-stream"})
            answer = connection.getresponse()
            if answer.status in (301, 302, 303, 307, 308):
                place = _redirected(place, answer.getheader("Location") or "")
                continue
            if answer.status == 404:
                return b""
            if answer.status != 200:
                raise WkdError(f"{place.host} answered {answer.status}"
                               f" {sanitize_line(str(answer.reason))[:100]}".rstrip())
            data = answer.read(MAX_KEY + 1)
            if len(data) > MAX_KEY:
                raise WkdError(f"{place.host} sent more than {MAX_KEY // 1024} KiB: not a key")
            return data
        except ssl.SSLCertVerificationError as exc:
            raise WkdError(f"{place.host}'s certificate is not trusted"
                           f" ({exc.verify_message or exc.reason})") from None
        except TimeoutError:
            raise WkdError(f"{place.host} did not answer within {timeout:g} s") from None
        except (OSError, ValueError, http.client.HTTPException) as exc:  # ValueError: a bad URL
            raise WkdError(f"cannot reach {place.host}: {exc}") from None
        finally:
            connection.close()
    raise WkdError(f"{place.host} redirected more than {MAX_REDIRECTS} times")


def _redirected(place: WkdPlace, location: str) -> WkdPlace:
    try:
        target = urlsplit(location)
        target.port  # noqa: B018 - a port that is no number raises here
    except ValueError:
        raise WkdError(f"{place.host} sent the request on to an address that is none: not"
                       " followed") from None
    if not target.scheme and not target.netloc:  # relative: same host
        return WkdPlace(place.host, location or "/")
    if target.scheme.lower() != "https" or not target.hostname or target.port not in (None, 443):
        raise WkdError(f"{place.host} sent the request on to"
                       f" {sanitize_line(location)[:200]!r}, which is not https: not followed")
    if not re.fullmatch(r"[a-z0-9.-]+", target.hostname):
        raise WkdError(f"{place.host} sent the request on to a host name that is none: not"
                       " followed")
    path = target.path or "/"
    return WkdPlace(target.hostname, f"{path}?{target.query}" if target.query else path)


def locate_all(addresses: Sequence[str], *, context: ssl.SSLContext | None = None,
               timeout: float = TIMEOUT,
               host_map: HostMap = _as_named) -> tuple[dict[str, bytes], dict[str, str]]:
    """Each address's published key, asked of the directories at once: (address: key data)
    for those found, and (address: why, in words) for the others."""
    from concurrent.futures import ThreadPoolExecutor

    def one(address: str) -> tuple[str, bytes, str]:
        try:
            key = locate(address, context=context, timeout=timeout, host_map=host_map)
        except WkdError as exc:
            return address, b"", f"its key directory could not be asked: {exc}"
        return address, key, "" if key else "its domain publishes no key for it (WKD)"

    found: dict[str, bytes] = {}
    why: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=min(4, max(1, len(addresses)))) as pool:
        for address, key, reason in pool.map(one, addresses):
            if key:
                found[address] = key
            else:
                why[address] = reason
    return found, why
