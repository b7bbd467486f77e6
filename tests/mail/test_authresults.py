"""Authentication-Results (RFC 8601): only the user's own server's header is believed."""

from __future__ import annotations

import pytest

from tui_mail.mail.authresults import (
    authentication_rows,
    header_block,
    parse_authentication_results,
    trusted_results,
    verdict,
)
from tui_mail.mail.parse import parse_message
from tui_mail.mail.render import render_headers

OURS = "mx.example.net"


def _raw(*headers: str, sender: str = "Bank <news@bank.example>") -> bytes:
    return ("\r\n".join([*headers, f"From: {sender}", "Subject: s"]) + "\r\n\r\nbody\r\n").encode()


def _rows(raw: bytes, authserv_id: str | None = OURS) -> list[tuple[str, str]]:
    return authentication_rows(raw, parse_message(raw).from_, authserv_id)


def test_a_header_is_parsed_with_comments_quotes_and_versions() -> None:
    parsed = parse_authentication_results(
        'mx.Example.net 1; (a comment; with a semicolon) dkim=pass (2048-bit key) '
        'header.d=bank.example header.i="@bank.example";\r\n spf = softfail reason="x; y" '
        'smtp.mailfrom=bounce@bank.example; dmarc=pass (p=reject) header.from=bank.example')
    assert parsed is not None and parsed.authserv_id == "mx.example.net"
    assert [(r.method, r.result) for r in parsed.results] == [
        ("dkim", "pass"), ("spf", "softfail"), ("dmarc", "pass")]
    assert parsed.results[0].properties["header.i"] == "@bank.example"
    assert parsed.results[1].properties == {"reason": "x; y",
                                            "smtp.mailfrom": "bounce@bank.example"}


@pytest.mark.parametrize("value", ["", ";", "dkim=pass", "id garbage; dkim=pass"])
def test_a_header_without_an_authserv_id_is_no_header(value: str) -> None:
    assert parse_authentication_results(value) is None


@pytest.mark.parametrize("results,shown", [
    ("dmarc=pass header.from=bank.example", "bank.example (dmarc=pass)"),
    ("dmarc=pass", "bank.example (dmarc=pass)"),
    ("dkim=pass header.d=mail.bank.example", "bank.example (dkim=pass)"),
    ("dkim=pass header.i=@bank.example", "bank.example (dkim=pass)"),
    ("spf=pass smtp.mailfrom=bounce@bank.example", "bank.example (spf=pass)"),
    ("dmarc=fail header.from=bank.example; dkim=pass header.d=bank.example",
     "bank.example (dkim=pass)"),
])
def test_an_aligned_pass_verifies_the_sender_domain(results: str, shown: str) -> None:
    raw = _raw(f"Authentication-Results: {OURS}; {results}")
    assert _rows(raw) == [("Verified", shown)]


@pytest.mark.parametrize("results,shown", [
    ("dmarc=fail (p=reject) header.from=bank.example", "bank.example (dmarc=fail)"),
    ("dkim=pass header.d=evil.example; spf=pass smtp.mailfrom=x@evil.example",
     "bank.example (dkim=pass for evil.example, spf=pass for evil.example)"),
    ("dmarc=pass header.from=evil.example", "bank.example (dmarc=pass for evil.example)"),
    ("spf=softfail smtp.mailfrom=bank.example; dkim=none", "bank.example (dkim=none, spf=softfail)"),
    ("none", "bank.example (no authentication)"),
])
def test_anything_else_is_not_verified_and_says_why(results: str, shown: str) -> None:
    raw = _raw(f"Authentication-Results: {OURS}; {results}")
    assert _rows(raw) == [("Not verified", shown)]


def test_only_the_topmost_header_of_the_configured_server_is_believed() -> None:
    raw = _raw("Authentication-Results: other.example; dmarc=pass",
               f"Authentication-Results: {OURS}; dmarc=fail header.from=bank.example",
               f"Authentication-Results: {OURS}; dmarc=pass header.from=bank.example")
    assert _rows(raw) == [("Not verified", "bank.example (dmarc=fail)")]
    assert _rows(raw, "MX.EXAMPLE.NET.") == [("Not verified", "bank.example (dmarc=fail)")]


def test_a_forged_header_with_another_id_is_never_believed() -> None:
    raw = _raw("Authentication-Results: mx.bank.example; dmarc=pass")
    assert _rows(raw) == []


def test_without_configuration_the_id_must_be_the_topmost_received_by_host() -> None:
    ours = _raw(f"Authentication-Results: {OURS}; dmarc=pass header.from=bank.example",
                f"Received: from a.example (a.example [192.0.2.1])\r\n\tby {OURS.upper()} "
                "(Postfix) with ESMTPS id 1; Mon, 1 Jan 2024 00:00:00 +0000",
                "Received: from x by mx.bank.example with SMTP")
    assert _rows(ours, None) == [("Verified", "bank.example (dmarc=pass)")]
    # Below our server's Received it may have come with the message: a sender writes one
    # naming our server, which (writing none itself) does not remove it.
    smuggled = _raw(f"Received: from a.example by {OURS} with ESMTPS id 1",
                    f"Authentication-Results: {OURS}; dmarc=pass header.from=bank.example")
    assert _rows(smuggled, None) == []
    forged = _raw("Received: from a.example by mx.example.net with ESMTP",
                  "Authentication-Results: mx.bank.example; dmarc=pass")
    assert _rows(forged, None) == []
    no_received = _raw(f"Authentication-Results: {OURS}; dmarc=pass")
    assert _rows(no_received, None) == []
    comment_trick = _raw("Received: from a (by mx.bank.example) by mx.example.net",
                         "Authentication-Results: mx.bank.example; dmarc=pass")
    assert _rows(comment_trick, None) == []


def test_the_header_block_shows_the_verdict_after_from() -> None:
    raw = _raw(f"Authentication-Results: {OURS}; dmarc=pass header.from=bank.example")
    rows = render_headers(parse_message(raw), raw=raw, authserv_id=OURS)
    assert rows[:2] == [("From", "Bank <news@bank.example>"),
                        ("Verified", "bank.example (dmarc=pass)")]
    assert all(label != "Verified" for label, _ in render_headers(parse_message(raw)))


def test_hostile_values_come_out_as_one_clean_line() -> None:
    raw = _raw(f"Authentication-Results: {OURS}; dkim=pass header.d=\"\x1b]52;c;x\x07evil\"")
    [(label, value)] = _rows(raw)
    assert label == "Not verified" and "\x1b" not in value and "\x07" not in value


def test_the_header_block_is_read_without_the_body() -> None:
    raw = b"A: 1\r\n b\r\nAuthentication-Results: x; dkim=pass\r\n\r\nAuthentication-Results: y"
    assert header_block(raw) == [("a", "1 b"), ("authentication-results", "x; dkim=pass")]
    assert trusted_results(header_block(raw), "y") is None


def test_a_verdict_for_a_message_without_a_sender() -> None:
    parsed = parse_authentication_results(f"{OURS}; dmarc=fail")
    assert parsed is not None
    assert verdict(parsed, "") == (False, "no sender (dmarc=fail)")


def test_the_corpus_authres_message_is_read_by_its_configured_id() -> None:
    from pathlib import Path

    path = Path(__file__).parents[2] / ".." / "shared" / "corpus" / "spamassassin" / \
        "nice__authres.eml"
    if not path.exists():
        pytest.skip("no shared corpus")
    raw = path.read_bytes()
    assert _rows(raw, "authrestest1int") == [
        ("Not verified", "ximian.com (dkim=pass for example.org, spf=pass for bounce.example.org)")]
    assert _rows(raw, None) == []
