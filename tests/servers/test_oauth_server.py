"""The OAuth2 server and the token logins of Dovecot and Postfix, checked with stdlib clients.

What the client's own OAuth tests rely on: tokens open IMAP, POP3 and SMTP submission; the
authorization code flow (with PKCE) and the device flow give such tokens; expired, revoked
and wrongly scoped tokens are refused, with the SASL error payloads recorded here.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import imaplib
import json
import poplib
import secrets
import smtplib
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from tests.servers.dovecot import MailUser
from tests.servers.mailservers import MailServers
from tests.servers.oauth import (
    OAuthServer,
    OAuthServerError,
    sasl_oauthbearer,
    sasl_xoauth2,
)

pytestmark = pytest.mark.servers

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
XOAUTH2_FAILURE = {"status": "401", "schemes": "bearer", "scope": "mail"}
"""What Dovecot 2.3.19 sends (base64) in the continuation when an XOAUTH2 token is refused, in
IMAP, POP3 and SMTP (through Postfix). It is a constant: the same for an unknown, expired,
revoked or wrongly scoped token, and its "scope" stays "mail" whatever scope the passdb asks
for (checked with `scope = imap`), so it cannot tell a client why."""
OAUTHBEARER_FAILURE = {"status": "invalid_token"}
"""The same for OAUTHBEARER: a constant too, without "schemes" or "scope"."""


def tls_context(servers: MailServers) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(servers.ca_file))


def pop3_command(client: poplib.POP3, line: str) -> bytes:
    """One command and its answer line; poplib has no AUTH, so its own primitive is used (as
    tui_mail/remote/pop3.py does). A -ERR answer raises poplib.error_proto."""
    answer: bytes = client._shortcmd(line)  # type: ignore[attr-defined]  # not in the stubs
    return answer


# ----- the client's side of the HTTP exchanges ------------------------------------------------


def post(servers: MailServers, url: str, fields: dict[str, str],
         basic: tuple[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """POST a form as an OAuth client does; (status, JSON answer)."""
    import http.client

    parts = urlsplit(url)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if basic is not None:
        pair = f"{basic[0]}:{basic[1]}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    assert parts.hostname is not None
    connection = http.client.HTTPSConnection(parts.hostname, parts.port,
                                             context=tls_context(servers), timeout=10)
    try:
        connection.request("POST", parts.path, body=urlencode(fields), headers=headers)
        response = connection.getresponse()
        body = response.read()
        return response.status, json.loads(body) if body else {}
    finally:
        connection.close()


def refresh(servers: MailServers, refresh_token: str) -> tuple[int, dict[str, Any]]:
    return post(servers, servers.oauth.token_url, {
        "grant_type": "refresh_token", "refresh_token": refresh_token,
        "client_id": servers.oauth.client_id})


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


@dataclass
class Loopback:
    """The client's redirect listener: http://127.0.0.1:PORT/callback, answering a page."""

    url: str
    paths: list[str] = field(default_factory=list)


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            seen.append(self.path)
            page = b"<html><body>You may close this window.</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the request line holds the code

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield Loopback(f"http://127.0.0.1:{server.server_address[1]}/callback", seen)
    finally:
        server.shutdown()
        server.server_close()


def authorize_url(oauth: OAuthServer, redirect_uri: str, state: str, challenge: str | None,
                  scope: str = "mail") -> str:
    query = {"response_type": "code", "client_id": oauth.client_id,
             "redirect_uri": redirect_uri, "scope": scope, "state": state}
    if challenge is not None:
        query |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return f"{oauth.authorize_url}?{urlencode(query)}"


def redirect_params(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# ----- mail logins with a token ----------------------------------------------------------------


def imap_token_login(servers: MailServers, user: MailUser, token: str,
                     mechanism: str = "XOAUTH2") -> None:
    """Log in with imapclient's own token methods, SELECT INBOX, log out."""
    with IMAPClient(servers.host, servers.imap_tls_port, ssl_context=tls_context(servers),
                    timeout=10) as client:
        if mechanism == "XOAUTH2":
            client.oauth2_login(user.login, token)
        else:
            client.oauthbearer_login(user.login, token)
        client.select_folder("INBOX")
        client.logout()


def imap_token_refused(servers: MailServers, user: MailUser, token: str,
                       mechanism: str = "XOAUTH2") -> bool:
    try:
        imap_token_login(servers, user, token, mechanism)
    except LoginError as error:
        assert "AUTHENTICATIONFAILED" in str(error)
        return True
    return False


def sasl_initial(mechanism: str, user: MailUser, token: str) -> str:
    return (sasl_xoauth2 if mechanism == "XOAUTH2" else sasl_oauthbearer)(user.login, token)


def imap_failure_payload(servers: MailServers, user: MailUser, token: str,
                         mechanism: str) -> dict[str, Any]:
    """Authenticate with a bad token by hand; the JSON of the server's error continuation."""
    client = imaplib.IMAP4_SSL(servers.host, servers.imap_tls_port,
                               ssl_context=tls_context(servers), timeout=10)
    challenges: list[bytes] = []

    def answer(challenge: bytes) -> bytes:
        challenges.append(challenge)
        # The first (empty) challenge asks for the initial response; after the error
        # continuation a client sends an empty response (RFC 7628 §3.2.3: "\x01").
        if len(challenges) == 1:
            return base64.b64decode(sasl_initial(mechanism, user, token))
        return b"\x01" if mechanism == "OAUTHBEARER" else b""

    try:
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            client.authenticate(mechanism, answer)
    finally:
        client.shutdown()
    assert len(challenges) == 2
    return json.loads(challenges[1])


# ----- the authorization server itself ------------------------------------------------------


def test_the_metadata_document_names_the_harness_urls(oauth_server: OAuthServer,
                                                      mail_servers: MailServers) -> None:
    metadata = oauth_server.metadata()
    assert metadata["issuer"] == oauth_server.issuer
    assert metadata["token_endpoint"] == oauth_server.token_url
    assert metadata["authorization_endpoint"] == oauth_server.authorize_url
    assert metadata["device_authorization_endpoint"] == oauth_server.device_authorization_url
    assert metadata["code_challenge_methods_supported"] == ["S256"]


def test_the_server_certificate_is_the_suites(mail_servers: MailServers) -> None:
    wrong = ssl.create_default_context(cafile=str(mail_servers.wrong_ca_file))
    with socket.create_connection((mail_servers.host, mail_servers.oauth.port), timeout=10) \
            as raw, pytest.raises(ssl.SSLCertVerificationError):
        wrong.wrap_socket(raw, server_hostname=mail_servers.host)


def test_issued_tokens_have_the_fields_a_client_needs(oauth_server: OAuthServer,
                                                      mail_servers: MailServers) -> None:
    tokens = oauth_server.issue_tokens(mail_servers.users["alice"])
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == "mail"
    assert tokens["expires_in"] == 3600
    assert tokens["access_token"] != tokens["refresh_token"]
    oauth_server.set_access_token_lifetime(30)
    assert oauth_server.issue_tokens(mail_servers.users["alice"])["expires_in"] == 30


# ----- IMAP, POP3, SMTP with a token --------------------------------------------------------------


@pytest.mark.parametrize("mechanism", ["XOAUTH2", "OAUTHBEARER"])
def test_a_token_logs_in_to_imap(oauth_server: OAuthServer, mail_servers: MailServers,
                                 mechanism: str) -> None:
    user = mail_servers.new_user()
    imap_token_login(mail_servers, user, oauth_server.issue_tokens(user)["access_token"],
                     mechanism)


@pytest.mark.parametrize("mechanism", ["XOAUTH2", "OAUTHBEARER"])
def test_a_token_logs_in_to_pop3(oauth_server: OAuthServer, mail_servers: MailServers,
                                 mechanism: str) -> None:
    user = mail_servers.new_user()
    token = oauth_server.issue_tokens(user)["access_token"]
    client = poplib.POP3_SSL(mail_servers.host, mail_servers.pop3_tls_port,
                             context=tls_context(mail_servers), timeout=10)
    try:
        assert mechanism in client.capa()["SASL"]
        assert pop3_command(client, f"AUTH {mechanism} {sasl_initial(mechanism, user, token)}") \
            .startswith(b"+OK")
        assert client.stat() == (0, 0)
    finally:
        client.quit()


def test_submission_offers_the_token_mechanisms_after_tls(mail_servers: MailServers) -> None:
    with smtplib.SMTP(mail_servers.host, mail_servers.smtp_starttls_port, timeout=10) as client:
        client.ehlo()
        assert not client.has_extn("auth")
        client.starttls(context=tls_context(mail_servers))
        client.ehlo()
        assert client.esmtp_features["auth"].split() == \
            ["PLAIN", "LOGIN", "OAUTHBEARER", "XOAUTH2"]


@pytest.mark.parametrize("mechanism", ["XOAUTH2", "OAUTHBEARER"])
@pytest.mark.parametrize("implicit_tls", [True, False], ids=["implicit-tls", "starttls"])
def test_a_token_logs_in_to_smtp_submission_and_may_send(
    oauth_server: OAuthServer, mail_servers: MailServers, mechanism: str, implicit_tls: bool
) -> None:
    user = mail_servers.new_user()
    token = oauth_server.issue_tokens(user)["access_token"]
    context = tls_context(mail_servers)
    client: smtplib.SMTP
    if implicit_tls:
        client = smtplib.SMTP_SSL(mail_servers.host, mail_servers.smtp_tls_port,
                                  context=context, timeout=10)
    else:
        client = smtplib.SMTP(mail_servers.host, mail_servers.smtp_starttls_port, timeout=10)
        client.starttls(context=context)
    with client:
        client.ehlo()
        code, _ = client.docmd("AUTH", f"{mechanism} {sasl_initial(mechanism, user, token)}")
        assert code == 235
        refused = client.sendmail(user.address, ["someone@elsewhere.test"],
                                  b"Subject: token\r\n\r\nsent with a token\r\n")
    assert refused == {}


# ----- what Dovecot refuses -----------------------------------------------------------------------


def test_a_token_without_the_mail_scope_is_refused(oauth_server: OAuthServer,
                                                   mail_servers: MailServers) -> None:
    user = mail_servers.users["alice"]
    profile_only = oauth_server.issue_tokens(user, scope="profile")["access_token"]
    assert oauth_server.introspect(profile_only)["active"]
    assert imap_token_refused(mail_servers, user, profile_only)
    both = oauth_server.issue_tokens(user, scope="profile mail")["access_token"]
    imap_token_login(mail_servers, user, both)


def test_a_password_is_not_a_token_and_a_token_is_not_a_password(
    oauth_server: OAuthServer, mail_servers: MailServers
) -> None:
    user = mail_servers.users["bob"]
    assert imap_token_refused(mail_servers, user, user.password)
    token = oauth_server.issue_tokens(user)["access_token"]
    client = imaplib.IMAP4_SSL(mail_servers.host, mail_servers.imap_tls_port,
                               ssl_context=tls_context(mail_servers), timeout=10)
    try:
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            client.login(user.login, token)
    finally:
        client.shutdown()


def test_a_refresh_token_is_not_an_access_token(oauth_server: OAuthServer,
                                                mail_servers: MailServers) -> None:
    user = mail_servers.users["carol"]
    tokens = oauth_server.issue_tokens(user)
    assert imap_token_refused(mail_servers, user, tokens["refresh_token"])


def test_another_users_token_is_refused(oauth_server: OAuthServer,
                                        mail_servers: MailServers) -> None:
    alices = oauth_server.issue_tokens(mail_servers.users["alice"])["access_token"]
    assert imap_token_refused(mail_servers, mail_servers.users["dave"], alices)


@pytest.mark.parametrize(("mechanism", "expected"), [("XOAUTH2", XOAUTH2_FAILURE),
                                                     ("OAUTHBEARER", OAUTHBEARER_FAILURE)])
def test_imap_error_payload_of_a_refused_token(mail_servers: MailServers, mechanism: str,
                                               expected: dict[str, str]) -> None:
    user = mail_servers.users["alice"]
    assert imap_failure_payload(mail_servers, user, "no-such-token", mechanism) == expected


@pytest.mark.parametrize(("mechanism", "expected"), [("XOAUTH2", XOAUTH2_FAILURE),
                                                     ("OAUTHBEARER", OAUTHBEARER_FAILURE)])
def test_the_error_payload_is_the_same_for_a_token_out_of_scope(
    oauth_server: OAuthServer, mail_servers: MailServers, mechanism: str,
    expected: dict[str, str]
) -> None:
    user = mail_servers.users["alice"]
    token = oauth_server.issue_tokens(user, scope="profile")["access_token"]
    assert imap_failure_payload(mail_servers, user, token, mechanism) == expected


@pytest.mark.parametrize(("mechanism", "expected"), [("XOAUTH2", XOAUTH2_FAILURE),
                                                     ("OAUTHBEARER", OAUTHBEARER_FAILURE)])
def test_pop3_and_smtp_error_payloads_of_a_refused_token(
    mail_servers: MailServers, mechanism: str, expected: dict[str, str]
) -> None:
    user = mail_servers.users["alice"]
    initial = sasl_initial(mechanism, user, "no-such-token")
    pop3 = poplib.POP3_SSL(mail_servers.host, mail_servers.pop3_tls_port,
                           context=tls_context(mail_servers), timeout=10)
    try:
        continuation = pop3_command(pop3, f"AUTH {mechanism} {initial}")
        assert continuation.startswith(b"+ ")
        assert json.loads(base64.b64decode(continuation[2:])) == expected
        with pytest.raises(poplib.error_proto, match="Authentication failed"):
            pop3_command(pop3, "AQ==" if mechanism == "OAUTHBEARER" else "")
    finally:
        pop3.close()
    with smtplib.SMTP_SSL(mail_servers.host, mail_servers.smtp_tls_port,
                          context=tls_context(mail_servers), timeout=10) as smtp:
        smtp.ehlo()
        code, continuation = smtp.docmd("AUTH", f"{mechanism} {initial}")
        assert code == 334
        assert json.loads(base64.b64decode(continuation)) == expected
        code, _ = smtp.docmd("AQ==" if mechanism == "OAUTHBEARER" else "")
        assert code == 535


# ----- the authorization code flow ------------------------------------------------------------------


def sign_in(servers: MailServers, loopback: Loopback, user: MailUser) -> dict[str, Any]:
    """The whole authorization code flow with PKCE, as a native client does it."""
    oauth = servers.oauth
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(8)
    landed = oauth.browse(authorize_url(oauth, loopback.url, state, challenge), user)
    params = redirect_params(landed)
    assert params["state"] == state
    assert urlsplit(loopback.paths[-1]).query == urlsplit(landed).query
    status, tokens = post(servers, oauth.token_url, {
        "grant_type": "authorization_code", "code": params["code"],
        "redirect_uri": loopback.url, "client_id": oauth.client_id,
        "code_verifier": verifier})
    assert status == 200, tokens
    return tokens


def test_the_authorization_code_flow_gives_a_token_for_imap(
    oauth_server: OAuthServer, mail_servers: MailServers, loopback: Loopback
) -> None:
    user = mail_servers.new_user()
    tokens = sign_in(mail_servers, loopback, user)
    assert tokens["scope"] == "mail"
    assert {"access_token", "refresh_token", "expires_in"} <= set(tokens)
    imap_token_login(mail_servers, user, tokens["access_token"], "OAUTHBEARER")
    assert oauth_server.token_requests("authorization_code") == 1


def test_a_code_is_good_once_and_with_its_verifier_only(
    oauth_server: OAuthServer, mail_servers: MailServers, loopback: Loopback
) -> None:
    oauth, user = oauth_server, mail_servers.users["alice"]
    verifier, challenge = pkce_pair()
    code = redirect_params(oauth.browse(authorize_url(oauth, loopback.url, "s", challenge),
                                        user))["code"]
    exchange = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": loopback.url, "client_id": oauth.client_id}
    status, answer = post(mail_servers, oauth.token_url,
                          exchange | {"code_verifier": pkce_pair()[0]})
    assert (status, answer["error"]) == (400, "invalid_grant")
    status, _ = post(mail_servers, oauth.token_url, exchange | {"code_verifier": verifier})
    assert status == 200
    status, answer = post(mail_servers, oauth.token_url, exchange | {"code_verifier": verifier})
    assert (status, answer["error"]) == (400, "invalid_grant")


def test_the_public_client_must_send_a_pkce_challenge(
    oauth_server: OAuthServer, mail_servers: MailServers, loopback: Loopback
) -> None:
    landed = oauth_server.browse(authorize_url(oauth_server, loopback.url, "s", None),
                                 mail_servers.users["alice"])
    assert redirect_params(landed)["error"] == "invalid_request"
    assert redirect_params(landed)["state"] == "s"


def test_denying_redirects_access_denied(oauth_server: OAuthServer,
                                         mail_servers: MailServers, loopback: Loopback) -> None:
    landed = oauth_server.browse(authorize_url(oauth_server, loopback.url, "st", pkce_pair()[1]),
                                 mail_servers.users["alice"], deny=True)
    params = redirect_params(landed)
    assert (params["error"], params["state"]) == ("access_denied", "st")
    assert "code" not in params
    assert loopback.paths


def test_any_loopback_port_and_path_is_a_good_redirect_but_not_localhost(
    oauth_server: OAuthServer, mail_servers: MailServers, loopback: Loopback
) -> None:
    alice = mail_servers.users["alice"]
    other_path = loopback.url.replace("/callback", "/another/path")
    landed = oauth_server.browse(authorize_url(oauth_server, other_path, "s", pkce_pair()[1]),
                                 alice)
    assert "code" in redirect_params(landed)
    for refused in (loopback.url.replace("127.0.0.1", "localhost"),
                    "https://client.example.test/callback"):
        with pytest.raises(OAuthServerError, match="400"):
            oauth_server.browse(authorize_url(oauth_server, refused, "s", pkce_pair()[1]), alice)


def test_a_wrong_password_does_not_sign_in(oauth_server: OAuthServer,
                                           mail_servers: MailServers, loopback: Loopback) -> None:
    alice = mail_servers.users["alice"]
    wrong = MailUser(alice.login, alice.password + "x", alice.address)
    with pytest.raises(OAuthServerError, match="Wrong username or password"):
        oauth_server.browse(authorize_url(oauth_server, loopback.url, "s", pkce_pair()[1]),
                            wrong)
    assert not loopback.paths


# ----- the device flow --------------------------------------------------------------------------------


def start_device_flow(servers: MailServers) -> dict[str, Any]:
    status, answer = post(servers, servers.oauth.device_authorization_url,
                          {"client_id": servers.oauth.client_id, "scope": "mail"})
    assert status == 200, answer
    return answer


def poll(servers: MailServers, device_code: str) -> tuple[int, dict[str, Any]]:
    return post(servers, servers.oauth.token_url, {
        "grant_type": DEVICE_GRANT, "device_code": device_code,
        "client_id": servers.oauth.client_id})


def test_the_device_flow_gives_a_token_for_imap(oauth_server: OAuthServer,
                                                mail_servers: MailServers) -> None:
    oauth_server.set_device_flow(interval=0)
    user = mail_servers.new_user()
    device = start_device_flow(mail_servers)
    assert device["verification_uri"] == oauth_server.verification_url
    assert device["verification_uri_complete"].endswith(device["user_code"])
    assert device["interval"] == 0
    assert poll(mail_servers, device["device_code"]) == (400, {
        "error": "authorization_pending"})
    oauth_server.approve_device(device["user_code"], user)
    status, tokens = poll(mail_servers, device["device_code"])
    assert status == 200
    imap_token_login(mail_servers, user, tokens["access_token"])
    assert poll(mail_servers, device["device_code"])[0] == 400  # a device code is good once
    assert oauth_server.token_requests(DEVICE_GRANT) == 3


def test_the_device_flow_says_slow_down_denied_and_expired(oauth_server: OAuthServer,
                                                           mail_servers: MailServers) -> None:
    oauth_server.set_device_flow(interval=5)
    device = start_device_flow(mail_servers)
    assert poll(mail_servers, device["device_code"])[1]["error"] == "authorization_pending"
    assert poll(mail_servers, device["device_code"])[1]["error"] == "slow_down"
    oauth_server.approve_device(device["user_code"], mail_servers.users["alice"], deny=True)
    assert poll(mail_servers, device["device_code"])[1]["error"] == "access_denied"
    oauth_server.set_device_flow(code_lifetime=0)
    expired = start_device_flow(mail_servers)
    assert poll(mail_servers, expired["device_code"])[1]["error"] == "expired_token"
    with pytest.raises(OAuthServerError, match="Unknown or expired code"):
        oauth_server.approve_device(expired["user_code"], mail_servers.users["alice"])


# ----- refresh, expiry, revocation ------------------------------------------------------------------


def test_after_the_access_token_expires_a_refresh_gives_a_working_one(
    oauth_server: OAuthServer, mail_servers: MailServers
) -> None:
    user = mail_servers.new_user()
    tokens = oauth_server.issue_tokens(user)
    oauth_server.expire_access_tokens(user)
    assert imap_token_refused(mail_servers, user, tokens["access_token"])
    status, fresh = refresh(mail_servers, tokens["refresh_token"])
    assert status == 200
    assert fresh["refresh_token"] != tokens["refresh_token"]  # rotated
    assert fresh["expires_in"] == 3600 and fresh["scope"] == "mail"
    imap_token_login(mail_servers, user, fresh["access_token"])
    status, answer = refresh(mail_servers, tokens["refresh_token"])
    assert (status, answer["error"]) == (400, "invalid_grant")
    assert oauth_server.token_requests("refresh_token") == 2
    assert oauth_server.token_requests() == 2


def test_without_rotation_the_refresh_token_stays_and_is_not_sent_again(
    oauth_server: OAuthServer, mail_servers: MailServers
) -> None:
    oauth_server.set_refresh_token_rotation(False)
    tokens = oauth_server.issue_tokens(mail_servers.users["bob"])
    for _ in range(2):
        status, fresh = refresh(mail_servers, tokens["refresh_token"])
        assert status == 200
        assert "refresh_token" not in fresh


def test_revoking_the_user_ends_access_and_refresh_tokens(oauth_server: OAuthServer,
                                                          mail_servers: MailServers) -> None:
    user = mail_servers.new_user()
    tokens = oauth_server.issue_tokens(user)
    imap_token_login(mail_servers, user, tokens["access_token"])
    oauth_server.revoke_user(user)
    status, answer = refresh(mail_servers, tokens["refresh_token"])
    assert (status, answer["error"]) == (400, "invalid_grant")
    assert imap_token_refused(mail_servers, user, tokens["access_token"])


def test_the_client_can_revoke_its_refresh_token(oauth_server: OAuthServer,
                                                 mail_servers: MailServers) -> None:
    tokens = oauth_server.issue_tokens(mail_servers.users["carol"])
    status, _ = post(mail_servers, oauth_server.revocation_url, {
        "token": tokens["refresh_token"], "token_type_hint": "refresh_token",
        "client_id": oauth_server.client_id})
    assert status == 200
    assert refresh(mail_servers, tokens["refresh_token"])[1]["error"] == "invalid_grant"
    assert not oauth_server.introspect(tokens["access_token"])["active"]


def test_dovecot_introspects_as_the_resource_server(oauth_server: OAuthServer,
                                                    mail_servers: MailServers) -> None:
    tokens = oauth_server.issue_tokens(mail_servers.users["dave"])
    dovecot = (oauth_server.resource_server_id, oauth_server.resource_server_secret)
    status, answer = post(mail_servers, oauth_server.introspection_url,
                          {"token": tokens["access_token"]}, basic=dovecot)
    assert status == 200
    assert answer["active"] is True
    assert (answer["username"], answer["scope"]) == ("dave@example.test", "mail")
    for not_for_it in (tokens["refresh_token"], "no-such-token"):
        assert post(mail_servers, oauth_server.introspection_url, {"token": not_for_it},
                    basic=dovecot) == (200, {"active": False})
    status, _ = post(mail_servers, oauth_server.introspection_url,
                     {"token": tokens["access_token"], "client_id": oauth_server.client_id})
    assert status == 401  # the public client may not introspect


@pytest.mark.parametrize("basic", [True, False], ids=["client_secret_basic", "client_secret_post"])
def test_the_confidential_client_authenticates_with_its_secret(
    oauth_server: OAuthServer, mail_servers: MailServers, basic: bool
) -> None:
    client_id, secret = oauth_server.confidential_client_id, oauth_server.confidential_client_secret
    tokens = oauth_server.issue_tokens(mail_servers.users["alice"], client_id=client_id)
    fields = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}

    def call(secret_used: str) -> tuple[int, dict[str, Any]]:
        if basic:
            return post(mail_servers, oauth_server.token_url, fields, basic=(client_id,
                                                                             secret_used))
        return post(mail_servers, oauth_server.token_url,
                    fields | {"client_id": client_id, "client_secret": secret_used})

    status, answer = call(secret + "x")
    # authlib answers 401 to a wrong secret however it was sent (RFC 6749 §5.2 asks for it
    # when the secret came in the Authorization header, and allows it otherwise).
    assert (status, answer["error"]) == (401, "invalid_client")
    status, answer = call(secret)
    assert status == 200, answer
    # Its refresh token is not the public client's to use.
    assert refresh(mail_servers, answer["refresh_token"])[1]["error"] == "invalid_grant"


# ----- injected failures, restarts, users -------------------------------------------------------------


def test_token_requests_can_be_made_to_fail(oauth_server: OAuthServer,
                                            mail_servers: MailServers) -> None:
    tokens = oauth_server.issue_tokens(mail_servers.users["bob"])
    oauth_server.fail_token_requests(1)
    oauth_server.fail_token_requests(1, 400, {"error": "slow_down"}, grant_type=DEVICE_GRANT)
    assert refresh(mail_servers, tokens["refresh_token"]) == (500, {
        "error": "server_error", "error_description": "failure injected by the test"})
    status, fresh = refresh(mail_servers, tokens["refresh_token"])
    assert status == 200
    assert poll(mail_servers, "any")[1] == {"error": "slow_down"}
    log = oauth_server.token_request_log()
    assert [(r["grant_type"], r["status"], r["error"]) for r in log] == [
        ("refresh_token", 500, "server_error"), ("refresh_token", 200, None),
        (DEVICE_GRANT, 400, "slow_down")]


def test_a_restarted_server_keeps_its_tokens(oauth_server: OAuthServer,
                                             mail_servers: MailServers) -> None:
    user = mail_servers.users["dave"]
    tokens = oauth_server.issue_tokens(user)
    with mail_servers.oauth_stopped():
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((mail_servers.host, oauth_server.port), timeout=5)
        # Dovecot cannot ask: a temporary failure, not a refused token (the client should
        # retry later, not sign the user in again).
        with pytest.raises(LoginError, match=r"^\[UNAVAILABLE\] Temporary authentication"):
            imap_token_login(mail_servers, user, tokens["access_token"])
    imap_token_login(mail_servers, user, tokens["access_token"])
    assert refresh(mail_servers, tokens["refresh_token"])[0] == 200


def test_a_user_added_to_dovecot_can_sign_in_at_once(oauth_server: OAuthServer,
                                                     mail_servers: MailServers,
                                                     loopback: Loopback) -> None:
    user = mail_servers.new_user()
    landed = oauth_server.browse(authorize_url(oauth_server, loopback.url, "s", pkce_pair()[1]),
                                 user)
    assert "code" in redirect_params(landed)


def test_a_dovecot_variant_takes_tokens_too(oauth_server: OAuthServer,
                                            mail_servers: MailServers, dovecot_variant) -> None:
    variant = dovecot_variant(settings={"ssl": "no", "disable_plaintext_auth": "no"})
    alice = mail_servers.users["alice"]
    client = imaplib.IMAP4(mail_servers.host, variant.ports.imap_starttls, timeout=10)
    try:
        token = oauth_server.issue_tokens(alice)["access_token"]
        initial = base64.b64decode(sasl_xoauth2(alice.login, token))
        assert client.authenticate("XOAUTH2", lambda _: initial)[0] == "OK"
    finally:
        client.shutdown()
