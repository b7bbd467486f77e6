"""The OAuth2 SASL messages and the server's error challenge in words."""

from __future__ import annotations

import base64
import json

from tui_mail.remote import sasl


def test_xoauth2_initial_response_is_googles_format() -> None:
    assert sasl.initial_response(sasl.XOAUTH2, "me@example.com", "tok", "h", 993) == \
        b"user=me@example.com\x01auth=Bearer tok\x01\x01"


def test_oauthbearer_initial_response_escapes_the_authzid_and_names_host_and_port() -> None:
    assert sasl.initial_response(sasl.OAUTHBEARER, "a,b=c@example.com", "tok", "imap.x", 993) \
        == b"n,a=a=2Cb=3Dc@example.com,\x01host=imap.x\x01port=993\x01auth=Bearer tok\x01\x01"


def test_oauthbearer_is_preferred_when_both_are_offered() -> None:
    assert sasl.choose_mechanism({"PLAIN", "XOAUTH2", "OAUTHBEARER"}) == sasl.OAUTHBEARER
    assert sasl.choose_mechanism({"xoauth2"}) == sasl.XOAUTH2
    assert sasl.choose_mechanism({"PLAIN", "LOGIN"}) is None


def challenge(payload: dict[str, str]) -> bytes:
    return base64.b64encode(json.dumps(payload).encode())


def test_an_expired_token_and_a_missing_scope_are_told_apart() -> None:
    expired = sasl.explain_challenge(challenge(
        {"status": "invalid_token", "schemes": "bearer", "scope": "mail"}))
    assert expired == ("the token was refused (expired, revoked, or without mail access; it "
                       "needs scope mail)")
    scope = sasl.explain_challenge(challenge({"status": "insufficient_scope", "scope": "mail"}))
    assert scope == "the token does not allow mail access (the server needs scope mail)"
    gmail = sasl.explain_challenge(challenge(
        {"status": "400", "schemes": "Bearer", "scope": "https://mail.google.com/"}))
    assert "https://mail.google.com/" in gmail


def test_a_hostile_challenge_is_cleaned_and_never_raises() -> None:
    assert "\x1b" not in sasl.explain_challenge(challenge({"status": "\x1b[31mred"}))
    assert sasl.explain_challenge(b"not base64 \x1b]0;title\x07") == "not base64"
    assert sasl.explain_challenge(b"") == "the token was refused (the server gave no reason)"
    assert sasl.explain_challenge(base64.b64encode(b"[1, 2]")) == "[1, 2]"


def test_the_token_exchange_answers_an_error_challenge_as_each_mechanism_requires() -> None:
    bearer = sasl.TokenLogin(sasl.OAUTHBEARER, "u", "t", "h", 1)
    assert bearer(b"").startswith(b"n,a=u,")
    assert bearer(b'{"status":"invalid_token"}') == b"\x01"
    assert bearer.refusal == b'{"status":"invalid_token"}'
    xoauth = sasl.TokenLogin(sasl.XOAUTH2, "u", "t", "h", 1)
    xoauth(b"")
    assert xoauth(b"{}") == b""
