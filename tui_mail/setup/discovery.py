"""Finding an address's server settings: the provider table, then DNS SRV records (RFC 6186),
then the conventional host names; each candidate is tried with a real login.

Every step is reported through `on_step` so the user sees what was tried and why it failed.
A refused login stops the search: the server is right and the password is wrong, and the
password must not be sent to other servers on a guess.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from tui_mail.errors import AuthError, TuiMailError
from tui_mail.model import Protocol, Security, ServerConfig
from tui_mail.remote.connection import Credentials
from tui_mail.setup.providers import Endpoint, provider_for

# (priority, weight, port, target) of one SRV record.
SrvRecord = tuple[int, int, int, str]
Resolver = Callable[[str], list[SrvRecord]]
Probe = Callable[[ServerConfig, Credentials], list[str]]
# Where a candidate is really reached; tests map names like imap.example.test to 127.0.0.1.
HostMap = Callable[[str, int], tuple[str, int]]
StepSink = Callable[[str], object]

PROBE_TIMEOUT = 8.0

_SRV_INCOMING = (
    ("_imaps._tcp", Protocol.IMAP, Security.TLS),
    ("_imap._tcp", Protocol.IMAP, Security.STARTTLS),
    ("_pop3s._tcp", Protocol.POP3, Security.TLS),
)
_SRV_SMTP = (
    ("_submissions._tcp", Protocol.SMTP, Security.TLS),
    ("_submission._tcp", Protocol.SMTP, Security.STARTTLS),
)


def dns_srv(name: str) -> list[SrvRecord]:
    """SRV records of `name` through the system's resolver (dnspython); [] when there are none."""
    import dns.exception
    import dns.resolver

    try:
        answer = dns.resolver.resolve(name, "SRV", lifetime=5.0)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException as exc:
        raise TuiMailError(f"DNS lookup failed: {exc}") from None
    return [(r.priority, r.weight, r.port, r.target.to_text().rstrip(".")) for r in answer]


def probe(server: ServerConfig, creds: Credentials | str) -> list[str]:
    """Log in to `server` (with credentials, or a password for its user name) and return its
    capabilities (blocking; run it in a thread)."""
    if isinstance(creds, str):
        creds = Credentials(server.username, password=creds)
    if server.protocol is Protocol.IMAP:
        from tui_mail.remote import imap

        return imap.probe(server, creds)
    if server.protocol is Protocol.POP3:
        from tui_mail.remote import pop3

        return pop3.probe(server, creds)
    from tui_mail.remote import smtp

    return asyncio.run(smtp.probe(server, creds))


@dataclass(frozen=True)
class Candidates:
    incoming: tuple[Endpoint, ...]
    smtp: tuple[Endpoint, ...]
    note: str = ""


def _srv_endpoints(domain: str, services: Iterable[tuple[str, Protocol, Security]],
                   resolver: Resolver, on_step: StepSink) -> list[Endpoint]:
    found: list[Endpoint] = []
    for service, protocol, security in services:
        name = f"{service}.{domain}"
        try:
            records = resolver(name)
        except TuiMailError as exc:
            on_step(f"Looking up SRV records for {name}… failed: {exc}")
            continue
        # RFC 6186: a target of "." means the service is deliberately not offered.
        targets = [(prio, weight, port, target.rstrip(".")) for prio, weight, port, target in records]
        usable = sorted((r for r in targets if r[3]), key=lambda r: (r[0], -r[1]))
        if not usable:
            on_step(f"Looking up SRV records for {name}… none")
            continue
        listed = ", ".join(f"{r[3]}:{r[2]}" for r in usable)
        on_step(f"Looking up SRV records for {name}… {listed}")
        found += [Endpoint(protocol, r[3], r[2], security, "SRV record") for r in usable]
    return found


def _conventional(domain: str) -> Candidates:
    source = "conventional name"
    incoming = tuple(
        Endpoint(Protocol.IMAP, f"{prefix}.{domain}", port, security, source)
        for prefix in ("imap", "mail")
        for port, security in ((993, Security.TLS), (143, Security.STARTTLS))
    )
    smtp = tuple(
        Endpoint(Protocol.SMTP, f"{prefix}.{domain}", port, security, source)
        for prefix in ("smtp", "mail")
        for port, security in ((465, Security.TLS), (587, Security.STARTTLS))
    )
    return Candidates(incoming, smtp)


def candidates(domain: str, resolver: Resolver, on_step: StepSink) -> Candidates:
    """Every server worth trying for `domain`, best first: provider table, SRV, conventional."""
    domain = domain.strip().lower().rstrip(".")
    provider = provider_for(domain)
    if provider is not None:
        on_step(f"{domain} is served by {provider.name} (from the table of known providers)")
        if provider.note:
            on_step(f"Note: {provider.name} {provider.note}")
        return Candidates(provider.incoming, provider.smtp, provider.note)
    on_step(f"{domain} is not in the table of known providers")
    incoming = _srv_endpoints(domain, _SRV_INCOMING, resolver, on_step)
    smtp = _srv_endpoints(domain, _SRV_SMTP, resolver, on_step)
    conventional = _conventional(domain)
    return Candidates(tuple(incoming) + conventional.incoming, tuple(smtp) + conventional.smtp)


@dataclass
class Discovery:
    """What the search found. `error` says what to fix when something is missing."""

    incoming: ServerConfig | None = None
    smtp: ServerConfig | None = None
    error: str = ""
    wrong_password: bool = False
    note: str = ""
    steps: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.incoming is not None and self.smtp is not None and not self.error


class _WrongPassword(Exception):
    def __init__(self, server: ServerConfig, error: AuthError) -> None:
        super().__init__(str(error))
        self.server = server
        self.error = error


def _server(endpoint: Endpoint, username: str, ca_file: Path | None) -> ServerConfig:
    return ServerConfig(endpoint.protocol, endpoint.host, endpoint.port, endpoint.security,
                        username, ca_file=ca_file, timeout=PROBE_TIMEOUT)


def _first_working(endpoints: Iterable[Endpoint], creds: Credentials, ca_file: Path | None,
                   probe_fn: Probe, host_map: HostMap, on_step: StepSink) -> ServerConfig | None:
    seen: set[tuple[Protocol, str, int, Security]] = set()
    for endpoint in endpoints:
        key = (endpoint.protocol, endpoint.host.lower(), endpoint.port, endpoint.security)
        if key in seen:
            continue
        seen.add(key)
        server = _server(endpoint, creds.username, ca_file)
        host, port = host_map(endpoint.host, endpoint.port)
        label = f"Trying {endpoint.protocol.value.upper()} {endpoint.describe()}"
        try:
            probe_fn(replace(server, host=host, port=port), creds)
        except AuthError as exc:
            said = ("could not check the login right now" if exc.temporary
                    else "refused the login")
            on_step(f"{label}… the server answered but {said}")
            raise _WrongPassword(server, exc) from None
        except TuiMailError as exc:
            on_step(f"{label}… {_short(exc)}")
            continue
        on_step(f"{label}… works")
        return replace(server, timeout=30.0)
    return None


def _short(exc: TuiMailError) -> str:
    """The reason without the `imap://host:port (tls): ` prefix the step already shows."""
    text = str(exc)
    head, sep, rest = text.partition("): ")
    return rest if sep and "://" in head else text


def _as_named(host: str, port: int) -> tuple[str, int]:
    return host, port


def discover(
    address: str, password: str, *, username: str | None = None,
    resolver: Resolver = dns_srv, on_step: StepSink = lambda _text: None,
    probe_fn: Probe = probe, host_map: HostMap | None = None,
    ca_file: Path | None = None, found: Candidates | None = None,
) -> Discovery:
    """Find working incoming and SMTP servers for `address` by logging in with `password`.

    `found` replaces the candidate search (tests, or a caller with its own list). `host_map`
    redirects each endpoint tried (tests: the suite's servers); None tries them as named.
    Blocking.
    """
    if host_map is None:
        host_map = _as_named
    result = Discovery()

    def step(text: str) -> None:
        result.steps.append(text)
        on_step(text)

    if "@" not in address or address.startswith("@") or address.endswith("@"):
        result.error = f"{address!r} is not an e-mail address: expected something like you@example.com"
        return result
    domain = address.rsplit("@", 1)[1]
    todo = found if found is not None else candidates(domain, resolver, step)
    result.note = todo.note
    creds = Credentials(username or address, password=password)
    try:
        result.incoming = _first_working(todo.incoming, creds, ca_file, probe_fn, host_map, step)
        if result.incoming is None:
            result.error = (f"no incoming (IMAP/POP3) server for {domain} accepted a connection; "
                            "enter the server under Advanced (your provider's help pages name it)")
            return result
        result.smtp = _first_working(todo.smtp, creds, ca_file, probe_fn, host_map, step)
        if result.smtp is None:
            result.error = (f"no SMTP server for {domain} accepted a connection; enter the "
                            "outgoing server under Advanced")
    except _WrongPassword as wrong:
        target = "incoming" if wrong.server.protocol is not Protocol.SMTP else "smtp"
        setattr(result, target, replace(wrong.server, timeout=30.0))
        if wrong.error.temporary:  # nothing says the password is wrong
            result.error = (f"the server could not check the password right now: "
                            f"{wrong.error}. Try again in a moment")
            return result
        result.wrong_password = True
        hint = f" ({todo.note})" if todo.note else ""
        result.error = (f"the password (or user name) is wrong: {wrong.error}. Check the "
                        f"password{hint}; no other servers were tried with it")
    return result
