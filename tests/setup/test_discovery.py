"""Finding server settings: provider table, SRV records, conventional names, each step shown.

No test sends traffic anywhere but 127.0.0.1: the resolver is a fake, and a host map sends the
candidates' names to the test servers.
"""

from __future__ import annotations

import pytest

from tui_mail.errors import AuthError, ConnectError
from tui_mail.model import Protocol, Security, ServerConfig
from tui_mail.setup.discovery import Candidates, candidates, discover
from tui_mail.setup.providers import Endpoint, provider_for


def no_srv(name: str) -> list[tuple[int, int, int, str]]:
    return []


def forbidden_resolver(name: str) -> list[tuple[int, int, int, str]]:
    raise AssertionError(f"no DNS lookup expected, got {name}")


def test_known_provider_comes_from_the_table_without_dns() -> None:
    steps: list[str] = []
    found = candidates("GoogleMail.com", forbidden_resolver, steps.append)
    assert found.incoming[0] == Endpoint(Protocol.IMAP, "imap.gmail.com", 993, Security.TLS,
                                         "provider table")
    assert found.smtp[0].host == "smtp.gmail.com"
    assert "app password" in found.note
    assert any("Gmail" in s for s in steps)


def test_every_gmx_domain_and_proton_bridge_are_known() -> None:
    gmx = provider_for("gmx.de")
    assert gmx is not None and gmx.incoming[0].host == "imap.gmx.net"
    assert provider_for("gmx.at") is provider_for("gmx.net")
    bridge = provider_for("proton.me")
    assert bridge is not None
    assert (bridge.incoming[0].host, bridge.incoming[0].port) == ("127.0.0.1", 1143)
    assert bridge.smtp[0].security is Security.STARTTLS
    assert provider_for("example.test") is None


def test_srv_records_come_in_priority_order_before_conventional_names() -> None:
    records = {
        "_imaps._tcp.example.test": [(20, 0, 993, "backup.example.test."),
                                     (10, 0, 993, "primary.example.test.")],
        "_submission._tcp.example.test": [(0, 1, 587, "out.example.test.")],
        "_imap._tcp.example.test": [(0, 0, 0, ".")],  # "not offered" (RFC 6186)
    }
    steps: list[str] = []
    found = candidates("example.test", lambda name: records.get(name, []), steps.append)
    hosts = [e.host for e in found.incoming]
    assert hosts[:2] == ["primary.example.test", "backup.example.test"]
    assert hosts[2:] == ["imap.example.test", "imap.example.test", "mail.example.test",
                         "mail.example.test"]
    assert found.smtp[0] == Endpoint(Protocol.SMTP, "out.example.test", 587, Security.STARTTLS,
                                     "SRV record")
    assert "Looking up SRV records for _imap._tcp.example.test… none" in steps
    assert "Looking up SRV records for _pop3s._tcp.example.test… none" in steps


def test_conventional_names_cover_tls_then_starttls() -> None:
    found = candidates("example.test", no_srv, lambda _s: None)
    assert [(e.host, e.port, e.security) for e in found.smtp] == [
        ("smtp.example.test", 465, Security.TLS), ("smtp.example.test", 587, Security.STARTTLS),
        ("mail.example.test", 465, Security.TLS), ("mail.example.test", 587, Security.STARTTLS),
    ]


@pytest.mark.servers
def test_falls_back_to_conventional_names_and_finds_the_test_servers(mail_servers) -> None:
    s = mail_servers
    user = s.new_user()
    # Only imap.example.test:993 and smtp.example.test:587 exist (on 127.0.0.1 test ports).
    where = {("imap.example.test", 993): ("127.0.0.1", s.imap_tls_port),
             ("smtp.example.test", 587): ("127.0.0.1", s.smtp_starttls_port)}
    closed = ("127.0.0.1", 1)

    steps: list[str] = []
    result = discover(user.address, user.password, resolver=no_srv, on_step=steps.append,
                      host_map=lambda host, port: where.get((host, port), closed),
                      ca_file=s.ca_file)
    assert result.ok, result.error
    incoming, smtp = result.incoming, result.smtp
    assert incoming is not None and smtp is not None
    assert (incoming.host, incoming.port) == ("imap.example.test", 993)
    assert incoming.security is Security.TLS
    assert (smtp.host, smtp.port) == ("smtp.example.test", 587)
    assert "Trying IMAP imap.example.test:993 (tls)… works" in steps
    assert any(s.startswith("Trying SMTP smtp.example.test:465 (tls)… connection refused")
               for s in steps), steps


@pytest.mark.servers
def test_wrong_password_stops_the_search_and_says_so(mail_servers) -> None:
    s = mail_servers
    user = s.new_user()
    tried: list[tuple[str, int]] = []

    def host_map(host: str, port: int) -> tuple[str, int]:
        tried.append((host, port))
        return ("127.0.0.1", s.imap_tls_port)

    result = discover(user.address, "not-the-password", resolver=no_srv, host_map=host_map,
                      ca_file=s.ca_file)
    assert result.wrong_password
    assert "password" in result.error and "no other servers were tried" in result.error
    assert tried == [("imap.example.test", 993)]
    assert result.incoming is not None and result.incoming.host == "imap.example.test"


def test_a_failing_candidate_shows_its_step_and_the_next_is_tried() -> None:
    def fake_probe(server: ServerConfig, creds) -> list[str]:
        if server.host == "bad.example.test":
            raise ConnectError(f"imap://{server.host}:{server.port} (tls): connection refused: "
                               "nothing accepts connections")
        return ["IMAP4rev1"]

    todo = Candidates(
        (Endpoint(Protocol.IMAP, "bad.example.test", 993, Security.TLS),
         Endpoint(Protocol.IMAP, "good.example.test", 993, Security.TLS)),
        (Endpoint(Protocol.SMTP, "good.example.test", 465, Security.TLS),),
    )
    steps: list[str] = []
    result = discover("me@example.test", "pw", found=todo, probe_fn=fake_probe,
                      on_step=steps.append)
    assert result.ok
    assert steps[0] == ("Trying IMAP bad.example.test:993 (tls)… connection refused: nothing "
                        "accepts connections")
    assert result.incoming is not None and result.incoming.host == "good.example.test"


def test_auth_error_on_smtp_keeps_the_found_incoming_server() -> None:
    def fake_probe(server: ServerConfig, creds) -> list[str]:
        if server.protocol is Protocol.SMTP:
            raise AuthError("smtp://x:465 (tls): login failed; the server said: 535 bad")
        return []

    todo = Candidates((Endpoint(Protocol.IMAP, "in.test", 993, Security.TLS),),
                      (Endpoint(Protocol.SMTP, "out.test", 465, Security.TLS),
                       Endpoint(Protocol.SMTP, "other.test", 465, Security.TLS)))
    result = discover("me@example.test", "pw", found=todo, probe_fn=fake_probe)
    assert result.wrong_password and "535 bad" in result.error
    assert result.incoming is not None and result.incoming.host == "in.test"
    assert result.smtp is not None and result.smtp.host == "out.test"


def test_a_login_the_server_could_not_check_is_not_called_a_wrong_password() -> None:
    def fake_probe(server: ServerConfig, creds) -> list[str]:
        if server.protocol is Protocol.SMTP:
            raise AuthError("smtp://x:465 (tls): login failed; the server said: 454 4.7.0 "
                            "Temporary authentication failure", temporary=True)
        return []

    todo = Candidates((Endpoint(Protocol.IMAP, "in.test", 993, Security.TLS),),
                      (Endpoint(Protocol.SMTP, "out.test", 465, Security.TLS),))
    steps: list[str] = []
    result = discover("me@example.test", "pw", found=todo, probe_fn=fake_probe,
                      on_step=steps.append)
    assert not result.wrong_password and not result.ok
    assert result.error.startswith("the server could not check the password right now: ")
    assert result.error.endswith("454 4.7.0 Temporary authentication failure. Try again in a "
                                 "moment")
    assert steps[-1] == ("Trying SMTP out.test:465 (tls)… the server answered but could not "
                         "check the login right now")


def test_nothing_found_says_to_enter_the_server_under_advanced() -> None:
    def refuse(server: ServerConfig, creds) -> list[str]:
        raise ConnectError("refused")

    result = discover("me@example.test", "pw", resolver=no_srv, probe_fn=refuse)
    assert not result.ok and "Advanced" in result.error
    assert result.incoming is None


def test_not_an_address_is_refused_before_any_lookup() -> None:
    result = discover("example.test", "pw", resolver=forbidden_resolver)
    assert "not an e-mail address" in result.error
