"""SASL for OAuth2 bearer tokens: OAUTHBEARER (RFC 7628) and XOAUTH2 (Google's, also Microsoft's).

The initial responses, the mechanism a server's offer calls for, and the server's error
challenge (base64 JSON, RFC 7628 section 3.2.2) turned into words a user can act on.
"""

from __future__ import annotations

import base64
import binascii
import json

from tui_mail.remote.connection import server_text

OAUTHBEARER = "OAUTHBEARER"
XOAUTH2 = "XOAUTH2"
# After an error challenge the client must answer before the server says NO: RFC 7628 asks for
# a single %x01 with OAUTHBEARER; XOAUTH2 takes an empty line.
ABORT_RESPONSE = {OAUTHBEARER: b"\x01", XOAUTH2: b""}


def choose_mechanism(offered: set[str] | frozenset[str]) -> str | None:
    """OAUTHBEARER when offered (the standard one), else XOAUTH2, else None."""
    upper = {m.upper() for m in offered}
    if OAUTHBEARER in upper:
        return OAUTHBEARER
    if XOAUTH2 in upper:
        return XOAUTH2
    return None


def initial_response(mechanism: str, user: str, token: str, host: str, port: int) -> bytes:
    """The client's first message, not yet base64-encoded."""
    if mechanism == OAUTHBEARER:
        # gs2 header "n,a=user," then key=value pairs separated by %x01 (RFC 7628 3.1).
        authzid = user.replace("=", "=3D").replace(",", "=2C")  # RFC 5801 section 4
        return (f"n,a={authzid},\x01host={host}\x01port={port}\x01"
                f"auth=Bearer {token}\x01\x01").encode()
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()


class TokenLogin:
    """One OAuth2 SASL exchange, as a callable for a library's challenge loop: the first call
    answers with the token; a second call is the server's error challenge, which is kept in
    `refusal` and answered as the mechanism requires."""

    def __init__(self, mechanism: str, user: str, token: str, host: str, port: int) -> None:
        self.mechanism = mechanism
        self._first = initial_response(mechanism, user, token, host, port)
        self._sent = False
        self.refusal: bytes | None = None

    def __call__(self, challenge: bytes) -> bytes:
        if not self._sent:
            self._sent = True
            return self._first
        self.refusal = challenge or b""
        return ABORT_RESPONSE[self.mechanism]


def explain_challenge(challenge: bytes | str) -> str:
    """What a server's error challenge says, in words; the raw JSON is never shown as such.

    Dovecot, Gmail and Microsoft send {"status": "invalid_token" | "401" | "400",
    "scope": "...", "schemes": "bearer"} (base64, or already decoded by the library).
    """
    raw = challenge.encode("latin-1", "replace") if isinstance(challenge, str) else challenge
    raw = raw.strip()
    try:
        decoded = base64.b64decode(raw, validate=True) if raw else b""
    except (binascii.Error, ValueError):
        decoded = raw
    if not decoded:
        return "the token was refused (the server gave no reason)"
    try:
        payload = json.loads(decoded.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return server_text(decoded) or "no reason given"
    if not isinstance(payload, dict):
        return server_text(decoded)
    status = server_text(str(payload.get("status", ""))).lower()
    scope = server_text(str(payload.get("scope", "")))
    if status in ("insufficient_scope", "403"):
        words = "the token does not allow mail access"
        return words + (f" (the server needs scope {scope})" if scope else "")
    if status in ("invalid_token", "401", "400"):
        # Dovecot sends the same payload for an expired, revoked or wrong-scope token.
        needs = f"; it needs scope {scope}" if scope else ""
        return f"the token was refused (expired, revoked, or without mail access{needs})"
    return f"the token was refused (status {status or 'not given'})"
