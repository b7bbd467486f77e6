"""Did the sender's domain pass authentication? Read from `Authentication-Results` (RFC 8601).

Anyone can write an Authentication-Results header into the mail they send, so only one is
believed: the topmost one whose authserv-id is the user's own server's. That id is either
configured for the account (`authserv_id`: the user says their server writes these headers,
and such a server removes the ones that arrive bearing its id, RFC 8601 section 5), or
discovered: an Authentication-Results header counts only when it stands above every Received
header, and its authserv-id is the host named in the "by" clause of the topmost Received (the
server that delivered the message wrote both, after every hop). A header below a Received can
have come with the message: a sender can write one naming the user's server, and a server
that writes none does not remove it. Otherwise nothing is said: no line is better than a line
an attacker wrote.

The sender's domain is verified when, in that header, DMARC passed for the From domain, or
DKIM passed with a signing domain (header.d) aligned with it, or SPF passed for an envelope
sender (smtp.mailfrom) aligned with it. "Aligned" is relaxed alignment approximated without
the public suffix list: the same domain, or one a subdomain of the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tui_mail.mail.sanitize import sanitize_line
from tui_mail.model import Address

MAX_HEADER_BLOCK = 256 * 1024  # bytes of a message searched for its header block
_PAIR = re.compile(r'([^\s=;"]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s;"]+)')
_BY = re.compile(r"(?:^|\s)by\s+([^\s;]+)", re.IGNORECASE)
_VERSION = re.compile(r"^\d+$")
METHODS = ("dmarc", "dkim", "spf")  # the order they are believed in


@dataclass(frozen=True)
class Result:
    """One resinfo: `dkim=pass header.d=example.com` is ("dkim", "pass", {"header.d": ...})."""

    method: str
    result: str
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AuthResults:
    """An Authentication-Results header: the server that wrote it and its results."""

    authserv_id: str
    results: tuple[Result, ...]


def _without_comments(value: str) -> str:
    """`value` with its (nested) comments removed; quoted strings are left as they are."""
    out: list[str] = []
    depth = 0
    quoted = escaped = False
    for ch in value:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(ch)
            continue
        if ch == "\\" and (quoted or depth):
            escaped = True
            if depth == 0:
                out.append(ch)
            continue
        if depth == 0 and ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
            continue
        elif not quoted and ch == ")" and depth:
            depth -= 1
            if depth == 0:
                out.append(" ")
            continue
        if depth == 0:
            out.append(ch)
    return "".join(out)


def _split(value: str) -> list[str]:
    """`value` split at the semicolons outside quoted strings."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for ch in value:
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse_authentication_results(value: str) -> AuthResults | None:
    """One Authentication-Results header value; None when it has no authserv-id."""
    parts = _split(_without_comments(" ".join(value.split())))
    head = parts[0].split()
    if not head or "=" in head[0]:
        return None
    if len(head) > 1 and not _VERSION.match(head[1]):
        return None  # "id garbage": not an authserv-id
    results = []
    for part in parts[1:]:
        pairs = [(k.lower(), _unquote(v)) for k, v in _PAIR.findall(part)]
        if not pairs:
            continue  # "none", or garbage
        method, result = pairs[0]
        method = method.split("/", 1)[0]
        if "." in method:
            continue  # "header.from=x" where a method should be: not a result
        props: dict[str, str] = {}
        for key, val in pairs[1:]:
            props.setdefault(key, val)
        results.append(Result(method, result.lower(), props))
    return AuthResults(head[0].lower().rstrip("."), tuple(results))


def header_block(raw: bytes) -> list[tuple[str, str]]:
    """(name, unfolded value) of each header of `raw`, in order, without parsing the body."""
    data = raw[:MAX_HEADER_BLOCK]
    end = len(data)
    for sep in (b"\r\n\r\n", b"\n\n"):
        at = data.find(sep)
        if at >= 0:
            end = min(end, at)
    text = data[:end].decode("utf-8", "replace").replace("\r\n", "\n")
    headers: list[tuple[str, str]] = []
    for line in text.split("\n"):
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
        elif ":" in line:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
    return headers


def _received_by(value: str) -> str:
    m = _BY.search(_without_comments(value))
    return m.group(1).lower().rstrip(".") if m else ""


def trusted_results(headers: list[tuple[str, str]],
                    authserv_id: str | None = None) -> AuthResults | None:
    """The one Authentication-Results header to believe (see the module's docstring)."""
    found = (parse_authentication_results(v) for n, v in headers
             if n == "authentication-results")
    parsed = [r for r in found if r is not None]
    if authserv_id:
        wanted = authserv_id.lower().rstrip(".")
        return next((r for r in parsed if r.authserv_id == wanted), None)
    first = next((i for i, (n, _) in enumerate(headers) if n == "received"), None)
    if first is None:
        return None
    above = (parse_authentication_results(v) for n, v in headers[:first]
             if n == "authentication-results")
    topmost = next((r for r in above if r is not None), None)
    if topmost is not None and _received_by(headers[first][1]) == topmost.authserv_id:
        return topmost
    return None


def _domain(value: str) -> str:
    return value.rpartition("@")[2].strip().strip("<>").lower().rstrip(".")


def aligned(domain: str, from_domain: str) -> bool:
    a, b = domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    return bool(a and b) and (a == b or a.endswith("." + b) or b.endswith("." + a))


def _passed_for(result: Result) -> str:
    """The domain a result speaks for."""
    props = result.properties
    if result.method == "dmarc":
        return _domain(props.get("header.from", ""))
    if result.method == "dkim":
        return _domain(props.get("header.d", "") or props.get("header.i", ""))
    if result.method == "spf":
        return _domain(props.get("smtp.mailfrom", ""))
    return ""


def verdict(results: AuthResults, from_domain: str) -> tuple[bool, str]:
    """(verified, what to show): "example.com (dmarc=pass)", or the results that failed."""
    from_domain = from_domain.lower().rstrip(".")
    for method in METHODS:
        for result in results.results:
            if result.method == method and result.result == "pass":
                domain = _passed_for(result)
                # DMARC's header.from is optional: the From it checked is the message's.
                if aligned(domain, from_domain) or (method == "dmarc" and not domain):
                    return True, f"{from_domain} ({method}=pass)"
    said: list[str] = []
    for method in METHODS:
        first = next((r for r in results.results if r.method == method), None)
        if first is None:
            continue
        text = f"{method}={first.result}"
        domain = _passed_for(first)
        if first.result == "pass" and not aligned(domain, from_domain):
            text += f" for {domain}" if domain else " (domain not named)"
        said.append(text)
    detail = ", ".join(said) if said else "no authentication"
    return False, f"{from_domain or 'no sender'} ({detail})"


def authentication_rows(raw: bytes, from_: tuple[Address, ...],
                        authserv_id: str | None = None) -> list[tuple[str, str]]:
    """The header block's line about the sender: [("Verified", "example.com (dmarc=pass)")],
    [("Not verified", "example.com (dmarc=fail)")], or [] when no header is to be believed."""
    results = trusted_results(header_block(raw), authserv_id)
    if results is None:
        return []
    domain = _domain(from_[0].email) if from_ else ""
    ok, text = verdict(results, domain)
    return [("Verified" if ok else "Not verified", sanitize_line(text))]
