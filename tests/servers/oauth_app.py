"""The OAuth2 authorization server of the test suite: a program, started by oauth.py.

    python oauth_app.py CONFIG.json

It serves HTTPS on a listening socket it inherits (file descriptor `fd` of the config), so the
harness knows the port before this process has even imported Flask, and no other process can
take the port in between. Built on authlib's grant and endpoint classes (the maintained RFC
implementations), with the storage in memory: the authorization code grant with PKCE (RFC 7636),
refresh tokens (rotated by default), the device authorization grant (RFC 8628), introspection
(RFC 7662) for Dovecot, revocation (RFC 7009) and the metadata document (RFC 8414).

On SIGTERM the state (tokens, codes, settings, counters) is written to `state_file` and read
back at the next start, so a test can stop and restart the server without losing tokens.

Tokens are never logged: werkzeug's request lines carry paths and query strings only (tokens
travel in bodies), and authlib's debug lines, which do name tokens, stay below the log level.

This file imports nothing from the test suite: it runs as its own program, from any directory.
"""

from __future__ import annotations

import hmac
import html
import json
import logging
import secrets
import signal
import ssl
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    ClientMixin,
    OAuth2Error,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc8628 import (
    DEVICE_CODE_GRANT_TYPE,
    DeviceAuthorizationEndpoint,
    DeviceCodeGrant,
    DeviceCredentialDict,
)
from flask import Flask, Response, request

SCOPES = ("mail", "profile", "offline_access")
"""`mail` opens the mailbox; `profile` is a scope Dovecot must refuse; `offline_access` is
accepted (and changes nothing) because Microsoft's clients ask for it."""
DEFAULT_SCOPE = "mail"
CODE_LIFETIME = 600
LOOPBACK_HOSTS = ("127.0.0.1", "::1")
"""RFC 8252 §7.3 loopback redirects. `localhost` is refused (§8.3: NOT RECOMMENDED), so a
client that uses it fails here rather than on a firewall that resolves it elsewhere."""


# ----- settings a test may change at run time --------------------------------------------


@dataclass
class Settings:
    access_token_lifetime: int = 3600
    rotate_refresh_tokens: bool = True
    """True: each refresh answers a new refresh token and the old one stops working (as
    Microsoft does). False: the refresh answer has no refresh_token and the old one keeps
    working (as Google does)."""
    device_interval: int = 1
    device_code_lifetime: int = 600
    slow_down_step: int = 5
    """RFC 8628 §3.5: after `slow_down` the client must wait this much longer between polls."""


# ----- stored records --------------------------------------------------------------------


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str | None
    grant_types: list[str]
    may_introspect: bool = False
    pkce_required: bool = False

    @property
    def auth_methods(self) -> list[str]:
        if self.client_secret is None:
            return ["none"]
        return ["client_secret_basic", "client_secret_post"]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # a native client names its loopback port in every request

    def get_allowed_scope(self, scope: str | None) -> str:
        return scope or DEFAULT_SCOPE

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Any port and path on a loopback IP literal over http (RFC 8252 §7.3)."""
        try:
            parts = urlsplit(redirect_uri)
            parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        except ValueError:
            return False
        return (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
                and not parts.fragment and not parts.username)

    def check_client_secret(self, client_secret: str) -> bool:
        return self.client_secret is not None and hmac.compare_digest(
            self.client_secret.encode(), client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in self.auth_methods

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


@dataclass(frozen=True)
class User:
    login: str

    def get_user_id(self) -> str:
        return self.login


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    login: str
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass
class TokenRecord:
    """One token response: its access token and (maybe) refresh token."""

    access_token: str
    refresh_token: str | None
    client_id: str
    login: str
    scope: str
    issued_at: float
    expires_in: int
    family: str
    """Tokens refreshed from one grant share it: revoking a refresh token ends them all."""
    access_revoked: bool = False
    refresh_revoked: bool = False

    @property
    def access_expires_at(self) -> float:
        return self.issued_at + self.expires_in

    # authlib's TokenMixin, for the refresh grant
    def check_client(self, client: ClientMixin) -> bool:
        return client.get_client_id() == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return time.time() >= self.access_expires_at

    def is_revoked(self) -> bool:
        return self.access_revoked


@dataclass
class FoundToken:
    """A token string looked up for introspection or revocation: which half of which record."""

    record: TokenRecord
    kind: str  # "access_token" or "refresh_token"

    def check_client(self, client: ClientMixin) -> bool:
        return self.record.check_client(client)

    @property
    def active(self) -> bool:
        if self.kind == "refresh_token":
            return not self.record.refresh_revoked
        return not self.record.access_revoked and not self.record.is_expired()


@dataclass
class InjectedFailure:
    status: int
    body: dict[str, Any]
    grant_type: str | None


@dataclass
class State:
    """Everything the server remembers; JSON-able, to survive a restart."""

    settings: Settings = field(default_factory=Settings)
    users: dict[str, str] = field(default_factory=dict)
    passwd_files: list[str] = field(default_factory=list)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    tokens: list[TokenRecord] = field(default_factory=list)
    devices: dict[str, dict[str, Any]] = field(default_factory=dict)
    device_decisions: dict[str, tuple[str, bool]] = field(default_factory=dict)
    failures: list[InjectedFailure] = field(default_factory=list)
    token_log: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> State:
        if not path.exists():
            return cls()
        raw = json.loads(path.read_text())
        return cls(
            settings=Settings(**raw["settings"]),
            users=raw["users"],
            passwd_files=raw["passwd_files"],
            codes={k: AuthCode(**v) for k, v in raw["codes"].items()},
            tokens=[TokenRecord(**t) for t in raw["tokens"]],
            devices=raw["devices"],
            device_decisions={k: (v[0], v[1]) for k, v in raw["device_decisions"].items()},
            failures=[InjectedFailure(**f) for f in raw["failures"]],
            token_log=raw["token_log"],
        )

    def save(self, path: Path) -> None:
        staging = path.with_suffix(".new")
        staging.write_text(json.dumps(asdict(self)))
        staging.chmod(0o600)
        staging.replace(path)

    # ----- lookups ---------------------------------------------------------------------

    def find_token(self, value: str, hint: str | None = None) -> FoundToken | None:
        kinds = ("refresh_token", "access_token") if hint == "refresh_token" \
            else ("access_token", "refresh_token")
        for kind in kinds:
            for record in self.tokens:
                stored = getattr(record, kind)
                if stored is not None and hmac.compare_digest(stored, value):
                    return FoundToken(record, kind)
        return None

    def check_password(self, login: str, password: str) -> User | None:
        expected = self.users.get(login) or _password_from_files(self.passwd_files, login)
        if expected is not None and password and hmac.compare_digest(
                expected.encode(), password.encode()):
            return User(login)
        return None

    def knows(self, login: str) -> bool:
        return login in self.users or _password_from_files(self.passwd_files, login) is not None


_passwd_cache: dict[str, tuple[float, dict[str, str]]] = {}


def _password_from_files(paths: list[str], login: str) -> str | None:
    """The {PLAIN} password of `login` in Dovecot passwd-files (re-read when they change)."""
    for path in paths:
        try:
            mtime = Path(path).stat().st_mtime
        except OSError:
            continue
        cached = _passwd_cache.get(path)
        if cached is None or cached[0] != mtime:
            entries = {}
            for line in Path(path).read_text().splitlines():
                fields = line.split(":")
                if len(fields) > 1 and fields[1].startswith("{PLAIN}"):
                    entries[fields[0]] = fields[1].removeprefix("{PLAIN}")
            cached = _passwd_cache[path] = (mtime, entries)
        if login in cached[1]:
            return cached[1][login]
    return None


# ----- the program -----------------------------------------------------------------------


class OAuthApp:
    """The Flask app, the authlib server, and the state they share under one lock."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.issuer: str = config["issuer"]
        self.state_file = Path(config["state_file"])
        self.state = State.load(self.state_file)
        if not self.state_file.exists():
            self.state.settings = Settings(**config.get("settings", {}))
        self.clients = {c["client_id"]: Client(**c) for c in config["clients"]}
        self.admin_secret: str = config["admin_secret"]
        self.lock = threading.RLock()
        self.flask = Flask("tui-mail-test-oauth")
        self.flask.config["OAUTH2_SCOPES_SUPPORTED"] = list(SCOPES)
        self.server = AuthorizationServer(self.flask, query_client=self.clients.get,
                                          save_token=self.save_token)
        self.server.register_token_generator("default", BearerTokenGenerator(
            access_token_generator=lambda **_: secrets.token_urlsafe(32),
            refresh_token_generator=lambda **_: secrets.token_urlsafe(40),
            expires_generator=lambda client, grant_type: self.state.settings.access_token_lifetime,
        ))
        self._register_grants()
        self._add_routes()

    # ----- authlib wiring ----------------------------------------------------------------

    def _register_grants(self) -> None:
        app = self

        class CodeGrant(AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

            def save_authorization_code(self, code: str, request: Any) -> None:
                data = request.payload.data
                app.state.codes[code] = AuthCode(
                    code=code, client_id=request.client.client_id,
                    redirect_uri=request.payload.redirect_uri, scope=request.scope,
                    login=request.user.login, code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"),
                    expires_at=time.time() + CODE_LIFETIME)

            def query_authorization_code(self, code: str, client: Client) -> AuthCode | None:
                found = app.state.codes.get(code)
                if found and found.client_id == client.client_id \
                        and found.expires_at > time.time():
                    return found
                return None

            def delete_authorization_code(self, authorization_code: AuthCode) -> None:
                app.state.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: AuthCode) -> User | None:
                return User(authorization_code.login)

        class RefreshGrant(RefreshTokenGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

            @property
            def INCLUDE_NEW_REFRESH_TOKEN(self) -> bool:  # noqa: N802 - authlib's name
                return app.state.settings.rotate_refresh_tokens

            def authenticate_refresh_token(self, refresh_token: str) -> TokenRecord | None:
                found = app.state.find_token(refresh_token, "refresh_token")
                if found and found.kind == "refresh_token" and found.active:
                    return found.record
                return None

            def authenticate_user(self, refresh_token: TokenRecord) -> User:
                return User(refresh_token.login)

            def revoke_old_credential(self, refresh_token: TokenRecord) -> None:
                if app.state.settings.rotate_refresh_tokens:
                    refresh_token.refresh_revoked = True

        class DeviceGrant(DeviceCodeGrant):
            def query_device_credential(self, device_code: str) -> DeviceCredentialDict | None:
                found = app.state.devices.get(device_code)
                return DeviceCredentialDict(found) if found else None

            def query_user_grant(self, user_code: str) -> tuple[User, bool] | None:
                decision = app.state.device_decisions.get(user_code)
                return (User(decision[0]), decision[1]) if decision else None

            def should_slow_down(self, credential: DeviceCredentialDict) -> bool:
                stored = app.state.devices[credential["device_code"]]
                now = time.time()
                last, stored["last_poll"] = stored.get("last_poll"), now
                if last is not None and now - last < stored["interval"]:
                    stored["interval"] += app.state.settings.slow_down_step
                    return True
                return False

            def create_token_response(self) -> tuple[int, Any, Any]:
                answer = super().create_token_response()
                # A device code gives tokens once.
                credential = self.request.credential
                app.state.devices.pop(credential["device_code"], None)
                app.state.device_decisions.pop(credential["user_code"], None)
                return answer

        class DeviceEndpoint(DeviceAuthorizationEndpoint):
            @property
            def EXPIRES_IN(self) -> int:  # noqa: N802 - authlib's name
                return app.state.settings.device_code_lifetime

            @property
            def INTERVAL(self) -> int:  # noqa: N802 - authlib's name
                return app.state.settings.device_interval

            def authenticate_client(self, request: Any) -> Client:
                client = super().authenticate_client(request)
                if not client.check_grant_type(DEVICE_CODE_GRANT_TYPE):
                    raise UnauthorizedClientError("The client may not use the device flow")
                return client

            def get_verification_uri(self) -> str:
                return f"{app.issuer}/device"

            def save_device_credential(self, client_id: str, scope: str | None,
                                       data: dict[str, Any]) -> None:
                app.state.devices[data["device_code"]] = {
                    "client_id": client_id, "scope": scope or DEFAULT_SCOPE,
                    "device_code": data["device_code"], "user_code": data["user_code"],
                    "expires_at": time.time() + data["expires_in"],
                    "interval": data["interval"],
                }

        class Introspection(IntrospectionEndpoint):
            CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def query_token(self, token_string: str, hint: str | None) -> FoundToken | None:
                return app.state.find_token(token_string, hint)

            def check_permission(self, token: FoundToken, client: Client, request: Any) -> bool:
                if client.may_introspect:
                    # A resource server (Dovecot) is shown access tokens only: a refresh
                    # token offered as a bearer token must not open the mailbox.
                    return token.kind == "access_token"
                return token.check_client(client)

            def create_introspection_payload(self, token: FoundToken | None) -> dict[str, Any]:
                if token is None or not token.active:
                    return {"active": False}
                return self.introspect_token(token)

            def introspect_token(self, token: FoundToken) -> dict[str, Any]:
                # Flat string and number fields only: Dovecot 2.3 reads the answer as a
                # flat list of fields. Its scope check (`scope = mail` in the passdb's
                # args file) reads "scope" here.
                record = token.record
                payload = {
                    "active": True, "scope": record.scope, "client_id": record.client_id,
                    "username": record.login, "sub": record.login,
                    "token_type": "Bearer" if token.kind == "access_token" else "refresh_token",
                    "iat": int(record.issued_at), "iss": app.issuer,
                }
                if token.kind == "access_token":
                    payload["exp"] = int(record.access_expires_at)
                return payload

        class Revocation(RevocationEndpoint):
            CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

            def query_token(self, token_string: str, hint: str | None) -> FoundToken | None:
                return app.state.find_token(token_string, hint)

            def revoke_token(self, token: FoundToken, request: Any) -> None:
                if token.kind == "access_token":
                    token.record.access_revoked = True
                    return
                # RFC 7009 §2.1: revoking a refresh token ends the grant's access tokens too.
                for record in app.state.tokens:
                    if record.family == token.record.family:
                        record.access_revoked = record.refresh_revoked = True

        self.server.register_grant(CodeGrant, [S256Challenge(required=True)])
        self.server.register_grant(RefreshGrant)
        self.server.register_grant(DeviceGrant)
        self.server.register_endpoint(DeviceEndpoint)
        self.server.register_endpoint(Introspection)
        self.server.register_endpoint(Revocation)

    def save_token(self, token: dict[str, Any], oauth_request: Any) -> None:
        previous = getattr(oauth_request, "refresh_token", None)
        family = previous.family if isinstance(previous, TokenRecord) else secrets.token_hex(8)
        # Without rotation the refresh answer has no refresh token: the old record keeps it.
        self.state.tokens.append(TokenRecord(
            access_token=token["access_token"], refresh_token=token.get("refresh_token"),
            client_id=oauth_request.client.client_id, login=oauth_request.user.login,
            scope=token.get("scope", DEFAULT_SCOPE), issued_at=time.time(),
            expires_in=int(token["expires_in"]), family=family,
        ))

    # ----- routes ------------------------------------------------------------------------

    def _add_routes(self) -> None:
        app = self.flask
        app.add_url_rule("/.well-known/oauth-authorization-server", view_func=self.metadata)
        app.add_url_rule("/authorize", view_func=self.authorize, methods=["GET", "POST"])
        app.add_url_rule("/token", view_func=self.token, methods=["POST"])
        app.add_url_rule("/device_authorization", view_func=self.device_authorization,
                         methods=["POST"])
        app.add_url_rule("/device", view_func=self.device, methods=["GET", "POST"])
        app.add_url_rule("/introspect", view_func=self.introspect, methods=["POST"])
        app.add_url_rule("/revoke", view_func=self.revoke, methods=["POST"])
        app.add_url_rule("/admin/<action>", view_func=self.admin, methods=["POST"])

    def metadata(self) -> Response:
        base = self.issuer
        return _json({
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "device_authorization_endpoint": f"{base}/device_authorization",
            "introspection_endpoint": f"{base}/introspect",
            "revocation_endpoint": f"{base}/revoke",
            "scopes_supported": list(SCOPES),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token",
                                      DEVICE_CODE_GRANT_TYPE],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_basic",
                                                      "client_secret_post"],
        })

    def authorize(self) -> Response | tuple[str, int]:
        with self.lock:
            try:
                grant = self.server.get_consent_grant(end_user=None)
            except OAuth2Error as error:
                if error.redirect_uri:
                    return self.server.handle_error_response(None, error)
                return _page("Authorization request refused",
                             f"<p>{html.escape(error.error)}: "
                             f"{html.escape(error.description or '')}</p>"), 400
            if request.method == "GET":
                return _login_page(grant.request.client.client_id,
                                   grant.request.scope or DEFAULT_SCOPE), 200
            if request.form.get("decision") != "allow":
                return self.server.create_authorization_response(grant_user=None, grant=grant)
            user = self.state.check_password(request.form.get("username", ""),
                                             request.form.get("password", ""))
            if user is None:
                return _login_page(grant.request.client.client_id,
                                   grant.request.scope or DEFAULT_SCOPE,
                                   error="Wrong username or password."), 200
            return self.server.create_authorization_response(grant_user=user, grant=grant)

    def token(self) -> Response:
        grant_type = request.form.get("grant_type", "")
        with self.lock:
            failure = self._take_failure(grant_type)
            if failure is not None:
                response = _json(failure.body, failure.status)
            else:
                response = self.server.create_token_response()
            error = response.get_json(silent=True) or {}
            self.state.token_log.append({
                "grant_type": grant_type, "status": response.status_code,
                "error": error.get("error"), "time": time.time(),
                "client_id": request.form.get("client_id") or _basic_user(),
                "scope": request.form.get("scope"),
            })
            return response

    def _take_failure(self, grant_type: str) -> InjectedFailure | None:
        for index, failure in enumerate(self.state.failures):
            if failure.grant_type in (None, grant_type):
                return self.state.failures.pop(index)
        return None

    def device_authorization(self) -> Response:
        with self.lock:
            return self.server.create_endpoint_response("device_authorization")

    def device(self) -> tuple[str, int]:
        if request.method == "GET":
            return _device_page(request.args.get("user_code", "")), 200
        user_code = request.form.get("user_code", "").strip().upper()
        with self.lock:
            pending = next((d for d in self.state.devices.values()
                            if d["user_code"] == user_code and d["expires_at"] > time.time()),
                           None)
            if pending is None:
                return _device_page(user_code, error="Unknown or expired code."), 200
            if request.form.get("decision") != "allow":
                self.state.device_decisions[user_code] = ("", False)
                return _page("Access denied", "<p>You may close this page.</p>"), 200
            user = self.state.check_password(request.form.get("username", ""),
                                             request.form.get("password", ""))
            if user is None:
                return _device_page(user_code, error="Wrong username or password."), 200
            self.state.device_decisions[user_code] = (user.login, True)
            return _page("Device signed in", "<p>You may close this page.</p>"), 200

    def introspect(self) -> Response:
        with self.lock:
            return self.server.create_endpoint_response("introspection")

    def revoke(self) -> Response:
        with self.lock:
            return self.server.create_endpoint_response("revocation")

    # ----- what only the harness may ask ----------------------------------------------------

    def admin(self, action: str) -> Response:
        offered = request.headers.get("X-Admin-Secret", "")
        if not hmac.compare_digest(offered.encode(), self.admin_secret.encode()):
            return _json({"error": "forbidden"}, 403)
        data = request.get_json(silent=True) or {}
        with self.lock:
            handler = getattr(self, f"admin_{action.replace('-', '_')}", None)
            if handler is None:
                return _json({"error": f"no admin action {action}"}, 404)
            return _json(handler(data))

    def admin_users(self, data: dict[str, Any]) -> dict[str, Any]:
        self.state.users.update(data["users"])
        return {}

    def admin_passwd_file(self, data: dict[str, Any]) -> dict[str, Any]:
        if data["path"] not in self.state.passwd_files:
            self.state.passwd_files.append(data["path"])
        return {}

    def admin_issue(self, data: dict[str, Any]) -> dict[str, Any]:
        client = self.clients[data["client_id"]]
        if not self.state.knows(data["login"]):
            return {"error": f"unknown user {data['login']}"}
        self.server.validate_requested_scope(data["scope"])
        token = self.server.generate_token(
            grant_type="authorization_code", client=client, user=User(data["login"]),
            scope=data["scope"], include_refresh_token=True)
        self.save_token(token, _AdminRequest(client, User(data["login"])))
        return token

    def admin_revoke_user(self, data: dict[str, Any]) -> dict[str, Any]:
        login = data["login"]
        for record in self.state.tokens:
            if record.login == login:
                record.access_revoked = record.refresh_revoked = True
        self.state.codes = {k: v for k, v in self.state.codes.items() if v.login != login}
        return {}

    def admin_expire_access_tokens(self, data: dict[str, Any]) -> dict[str, Any]:
        now = time.time()
        for record in self.state.tokens:
            if record.login == data["login"] and record.access_expires_at > now:
                record.issued_at = now - record.expires_in - 1
        return {}

    def admin_settings(self, data: dict[str, Any]) -> dict[str, Any]:
        for key, value in data.items():
            if not hasattr(self.state.settings, key):
                return {"error": f"no setting {key}"}
            setattr(self.state.settings, key, value)
        return asdict(self.state.settings)

    def admin_reset(self, data: dict[str, Any]) -> dict[str, Any]:
        self.state.settings = Settings(**self.config.get("settings", {}))
        self.state.failures.clear()
        self.state.token_log.clear()
        return {}

    def admin_fail_token_requests(self, data: dict[str, Any]) -> dict[str, Any]:
        body = data.get("body") or {"error": "server_error",
                                    "error_description": "failure injected by the test"}
        self.state.failures.extend(
            InjectedFailure(data["status"], body, data.get("grant_type"))
            for _ in range(data["count"]))
        return {}

    def admin_token_log(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"requests": self.state.token_log}

    def admin_introspect(self, data: dict[str, Any]) -> dict[str, Any]:
        found = self.state.find_token(data["token"])
        return {"active": bool(found and found.active),
                "kind": found.kind if found else None,
                "scope": found.record.scope if found else None}

    # ----- shutdown ------------------------------------------------------------------------

    def save_state(self) -> None:
        with self.lock:
            self.state.save(self.state_file)


@dataclass
class _AdminRequest:
    """What save_token reads from an authlib request, for tokens the harness asks for."""

    client: Client
    user: User


class S256Challenge(CodeChallenge):
    """PKCE with S256 only, and required of the public client at the authorization request
    already (authlib alone would accept a request without a challenge and then refuse the
    code at the token endpoint, after the user has signed in)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if grant.request.client.pkce_required and not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: missing 'code_challenge'")
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256")
        super().validate_code_challenge(grant, redirect_uri)


# ----- small helpers -----------------------------------------------------------------------


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json",
                    headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _basic_user() -> str | None:
    auth = request.authorization
    return auth.username if auth else None


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title></head><body><h1>{html.escape(title)}</h1>{body}</body></html>")


def _login_page(client_id: str, scope: str, error: str = "") -> str:
    warning = f"<p class='error'>{html.escape(error)}</p>" if error else ""
    action = html.escape(request.full_path, quote=True)
    return _page("Sign in", f"""{warning}
<p>{html.escape(client_id)} asks for: {html.escape(", ".join(scope_to_list(scope)))}</p>
<form method="post" action="{action}">
  <label>Username <input type="text" name="username" autocomplete="username"></label>
  <label>Password <input type="password" name="password" autocomplete="current-password">
  </label>
  <button type="submit" name="decision" value="allow">Allow</button>
  <button type="submit" name="decision" value="deny">Deny</button>
</form>""")


def _device_page(user_code: str, error: str = "") -> str:
    warning = f"<p class='error'>{html.escape(error)}</p>" if error else ""
    return _page("Sign in a device", f"""{warning}
<form method="post" action="/device">
  <label>Code <input type="text" name="user_code" value="{html.escape(user_code, quote=True)}">
  </label>
  <label>Username <input type="text" name="username" autocomplete="username"></label>
  <label>Password <input type="password" name="password" autocomplete="current-password">
  </label>
  <button type="submit" name="decision" value="allow">Allow</button>
  <button type="submit" name="decision" value="deny">Deny</button>
</form>""")


def serve(config: dict[str, Any]) -> None:
    """Serve until SIGTERM, then save the state and exit."""
    from werkzeug.serving import make_server

    oauth = OAuthApp(config)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(config["cert_file"], config["key_file"])
    server = make_server("127.0.0.1", 0, oauth.flask, threaded=True, fd=config["fd"])
    # Wrapped here rather than by werkzeug so that the TLS handshake happens in the request's
    # thread: werkzeug's wrap makes accept() shake hands, and one client that connects and
    # says nothing would stall every other client.
    server.socket = context.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)
    server.ssl_context = context  # werkzeug then tells Flask the scheme is https

    def stop(signum: int, frame: Any) -> None:
        oauth.save_state()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    server.serve_forever()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("authlib").setLevel(logging.INFO)  # its DEBUG lines name tokens
    config = json.loads(Path(sys.argv[1]).read_text())
    serve(config)


if __name__ == "__main__":
    main()
