"""Autocrypt level 1 (autocrypt.org/level1.html) as rules: which headers count, how a peer's
state changes with each message from them, and what encryption the composer is advised."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from tui_mail.mail.autocrypt import (
    Peer,
    Recommendation,
    autocrypt_header,
    automatic,
    gossip_of,
    gossiped,
    parse_autocrypt,
    recommend,
    recommend_all,
    updated,
    with_header,
)
from tui_mail.mail.headers import parse_headers

KEY = bytes(range(40)) * 3
KEYDATA = base64.b64encode(KEY).decode()
DAY = timedelta(days=1)
MONDAY = datetime(2026, 11, 2, 9, tzinfo=UTC)


def header(addr: str = "bob@example.net", extra: str = "") -> str:
    return f"addr={addr};{extra} keydata={KEYDATA}"


def test_a_header_for_the_from_address_gives_its_key_and_preference() -> None:
    found = parse_autocrypt([header(extra=" prefer-encrypt=mutual;")], "Bob@Example.NET")
    assert found is not None
    assert (found.addr, found.mutual, found.keydata) == ("bob@example.net", True, KEY)
    assert parse_autocrypt([header()], "bob@example.net").mutual is False  # type: ignore[union-attr]


@pytest.mark.parametrize(("values", "why"), [
    ([header(addr="mallory@example.org")], "for another address than the From"),
    ([header(), header(extra=" prefer-encrypt=mutual;")], "two for the same address"),
    ([header(extra=" version=2;")], "an unknown critical attribute"),
    (["addr=bob@example.net; prefer-encrypt=mutual"], "no keydata"),
    ([f"prefer-encrypt=mutual; keydata={KEYDATA}"], "no addr"),
    (["addr=bob@example.net; keydata=!!not base64!!"], "keydata that is not base64"),
    ([header() + "A" * 11000], "larger than 10 KiB"),
])
def test_headers_that_level_1_discards(values: list[str], why: str) -> None:
    assert parse_autocrypt(values, "bob@example.net") is None, why


def test_a_non_critical_attribute_is_ignored_and_keydata_may_span_folded_lines() -> None:
    folded = f"addr=bob@example.net; _comment=hello; keydata={KEYDATA[:30]}\r\n {KEYDATA[30:]}"
    found = parse_autocrypt([folded], "bob@example.net")
    assert found is not None and found.keydata == KEY


def test_the_header_we_send_reads_back_and_replaces_an_old_one() -> None:
    value = autocrypt_header("alice@example.org", KEY * 3, mutual=True)
    assert all(len(line) <= 78 for line in value.split("\r\n"))
    raw = (b"From: alice@example.org\r\nAutocrypt: addr=old@example.org; keydata=\r\n AAAA\r\n"
           b"Subject: Hi\r\n\r\nBody\r\n")
    sent = with_header(raw, value)
    assert sent.count(b"Autocrypt:") == 1 and sent.endswith(b"\r\n\r\nBody\r\n")
    headers = parse_headers(sent)
    found = parse_autocrypt(list(headers.autocrypt), "alice@example.org")
    assert found is not None and found.keydata == KEY * 3 and found.mutual
    assert headers.subject == "Hi"


@pytest.mark.parametrize(("submitted", "ctype", "expected"), [
    ("auto-replied", "text/plain", True), ("auto-generated; x=1", "text/plain", True),
    ("no", "text/plain", False), ("", "text/plain", False),
    ("", "multipart/report; report-type=delivery-status", True),
])
def test_mail_a_program_wrote_changes_no_peer(submitted: str, ctype: str,
                                              expected: bool) -> None:
    assert automatic(submitted, ctype) is expected


def test_a_first_message_with_a_header_makes_a_peer() -> None:
    found = parse_autocrypt([header(extra=" prefer-encrypt=mutual;")], "bob@example.net")
    peer = updated(None, "bob@example.net", MONDAY, found)
    assert peer == Peer("bob@example.net", MONDAY, MONDAY, KEY, True)


def test_a_later_message_without_a_header_only_moves_last_seen() -> None:
    known = Peer("bob@example.net", MONDAY, MONDAY, KEY, True)
    later = updated(known, "bob@example.net", MONDAY + 3 * DAY, None)
    assert later == Peer("bob@example.net", MONDAY + 3 * DAY, MONDAY, KEY, True)


def test_a_message_older_than_the_last_header_changes_nothing() -> None:
    known = Peer("bob@example.net", MONDAY, MONDAY, KEY, True)
    stale = parse_autocrypt([header()], "bob@example.net")  # an old key, no preference
    assert updated(known, "bob@example.net", MONDAY - DAY, stale) is None


def test_a_newer_header_replaces_the_key_and_the_preference() -> None:
    known = Peer("bob@example.net", MONDAY, MONDAY, KEY, True)
    newer = parse_autocrypt([f"addr=bob@example.net; keydata={base64.b64encode(b'new').decode()}"],
                            "bob@example.net")
    peer = updated(known, "bob@example.net", MONDAY + DAY, newer)
    assert peer == Peer("bob@example.net", MONDAY + DAY, MONDAY + DAY, b"new", False)


def test_the_recommendation_follows_level_1() -> None:
    mutual = Peer("bob@example.net", MONDAY, MONDAY, KEY, True)
    plain = Peer("bob@example.net", MONDAY, MONDAY, KEY, False)
    gone_quiet = Peer("bob@example.net", MONDAY + 36 * DAY, MONDAY, KEY, True)
    assert recommend(None, True, False) is Recommendation.DISABLE
    assert recommend(Peer("bob@example.net", MONDAY), True, False) is Recommendation.DISABLE
    assert recommend(mutual, own_mutual=True, reply_to_encrypted=False) is Recommendation.ENCRYPT
    assert recommend(mutual, own_mutual=False, reply_to_encrypted=False) \
        is Recommendation.AVAILABLE
    assert recommend(plain, True, False) is Recommendation.AVAILABLE
    # a key not seen in the last 35 days of their mail: discouraged, unless replying encrypted
    assert recommend(gone_quiet, True, False) is Recommendation.DISCOURAGE
    assert recommend(gone_quiet, True, reply_to_encrypted=True) is Recommendation.ENCRYPT


def test_a_message_to_several_takes_the_weakest_recommendation() -> None:
    mutual = Peer("bob@example.net", MONDAY, MONDAY, KEY, True)
    plain = Peer("carol@example.com", MONDAY, MONDAY, KEY, False)
    assert recommend_all([mutual, mutual], True, False) is Recommendation.ENCRYPT
    assert recommend_all([mutual, plain], True, False) is Recommendation.AVAILABLE
    assert recommend_all([mutual, None], True, False) is Recommendation.DISABLE
    assert recommend_all([], True, False) is Recommendation.DISABLE


def test_gossip_counts_only_for_the_messages_recipients_and_once_each() -> None:
    other = base64.b64encode(b"other key").decode()
    values = [header("bob@example.net"), header("mallory@example.org"),
              header("carol@example.com"), f"addr=carol@example.com; keydata={other}"]
    found = gossip_of(values, {"bob@example.net", "carol@example.com", "dave@example.net"})
    assert found == {"bob@example.net": KEY}  # mallory is no recipient; carol's two cancel


def test_gossip_keeps_the_newest_and_never_passes_for_the_peers_own_header() -> None:
    first = gossiped(None, "bob@example.net", MONDAY, b"gossiped")
    assert first is not None and first.key == b"gossiped" and first.public_key is None
    assert gossiped(first, "bob@example.net", MONDAY - DAY, b"older") is None
    own = updated(first, "bob@example.net", MONDAY + DAY,
                  parse_autocrypt([header()], "bob@example.net"))
    assert own is not None and own.key == KEY and own.gossip_key == b"gossiped"
    # a key only others vouched for is discouraged, but a reply to encrypted mail uses it
    assert recommend(first, True, False) is Recommendation.DISCOURAGE
    assert recommend(first, True, reply_to_encrypted=True) is Recommendation.ENCRYPT


def test_a_setup_message_is_one_with_the_v1_header_from_an_address_to_itself() -> None:
    from tui_mail.mail.autocrypt import is_setup_message

    def message(sender: str, to: str, header: str = "Autocrypt-Setup-Message: v1\r\n") -> bytes:
        return (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: Autocrypt Setup Message\r\n"
                f"{header}\r\nbody\r\n").encode()

    assert is_setup_message(message("me@example.org", "Me@Example.org"))
    assert not is_setup_message(message("mallory@example.org", "me@example.org"))
    assert not is_setup_message(message("me@example.org", "me@example.org", header=""))
    assert not is_setup_message(message("me@example.org", "me@example.org",
                                        header="Autocrypt-Setup-Message: v2\r\n"))


@pytest.mark.parametrize("value", [
    "addr=bob@example.net; keydata=S0VZ; prefer-encrypt=mutual",  # keydata not last
    "addr=bob@example.net; keydata=S0VZ; _extra=1;",  # a trailing ";"
    "addr = bob@example.net ; prefer-encrypt = mutual ; keydata = S0VZ",  # spaces around "="
    "ADDR=bob@example.net; PREFER-ENCRYPT=mutual; KEYDATA=S0VZ",  # names in capitals
])
def test_a_header_is_read_whatever_the_order_spacing_and_case_of_its_attributes(
        value: str) -> None:
    """Level 1 fixes neither the order of the attributes nor their case (review F10)."""
    header = parse_autocrypt([value], "bob@example.net")
    assert header is not None and header.keydata == b"KEY"
