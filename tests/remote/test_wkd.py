"""The Web Key Directory: a correspondent's key asked of their mail domain over HTTPS, from a
real HTTPS server on 127.0.0.1 standing in for that domain (its certificate from a test CA)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.crypto import Keyring
from tests.support.wkd_server import WkdServer, wkd_server
from tui_mail.crypto.autocrypt_keys import can_encrypt_to
from tui_mail.crypto.gnupg import GnuPG
from tui_mail.remote.wkd import WkdError, locate, locate_all, places, zbase32

MALLORY = "mallory@example.org"


@pytest.fixture
def directory(tmp_path: Path) -> Iterator[WkdServer]:
    with wkd_server(tmp_path, ["openpgpkey.example.org", "example.org"]) as server:
        yield server


def located(server: WkdServer, address: str = MALLORY, **options: object) -> bytes:
    return locate(address, context=server.client_context(), host_map=server.host_map,
                  **options)  # type: ignore[arg-type]


def test_the_places_are_the_drafts_own_example() -> None:
    advanced, direct = places("Joe.Doe@Example.ORG")
    assert advanced.url == ("https://openpgpkey.example.org/.well-known/openpgpkey/example.org"
                            "/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe")
    assert direct.url == ("https://example.org/.well-known/openpgpkey/hu/"
                          "iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe")


def test_zbase32_reads_bits_most_significant_first() -> None:
    assert zbase32(b"\x00") == "yy"
    assert zbase32(b"\xf0\xbf\xc7") == "6n9hq"  # the z-base-32 paper's example


def test_only_ascii_letters_are_lowered_and_the_local_part_is_sent_escaped() -> None:
    assert places("ÄBC@x.example")[1].path.endswith("?l=%C3%84BC")
    assert places("ÄBC@x.example")[1].path.split("/")[-1].split("?")[0] \
        == places("Äbc@x.example")[1].path.split("/")[-1].split("?")[0]
    assert places("ÄBC@x.example")[1].path != places("äbc@x.example")[1].path


def test_an_address_without_a_domain_is_refused_in_words() -> None:
    with pytest.raises(WkdError, match="not a mail address"):
        places("mallory")


def test_the_advanced_place_is_asked_when_its_host_exists(directory: WkdServer,
                                                          gnupg: Keyring) -> None:
    key = gnupg.gpg("--export", MALLORY, home=gnupg.other)
    directory.publish(MALLORY, key)
    assert located(directory) == key
    assert directory.asked == [f"openpgpkey.example.org {places(MALLORY)[0].path}"]


def test_the_direct_place_is_asked_when_the_openpgpkey_host_does_not_exist(
        tmp_path: Path, gnupg: Keyring) -> None:
    key = gnupg.gpg("--export", MALLORY, home=gnupg.other)
    with wkd_server(tmp_path, ["example.org"]) as server:
        server.publish(MALLORY, key, advanced=False)
        assert located(server) == key
        assert server.asked == [f"example.org {places(MALLORY)[1].path}"]


def test_no_key_published_is_empty_and_the_direct_place_is_not_asked_then(
        directory: WkdServer) -> None:
    assert located(directory) == b""
    assert [line.split()[0] for line in directory.asked] == ["openpgpkey.example.org"]


def test_a_certificate_the_system_does_not_trust_is_refused(directory: WkdServer) -> None:
    with pytest.raises(WkdError, match=r"openpgpkey\.example\.org's certificate is not trusted"):
        locate(MALLORY, context=ssl.create_default_context(), host_map=directory.host_map)
    assert directory.asked == []


def test_a_context_that_does_not_verify_is_refused(directory: WkdServer) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with pytest.raises(WkdError, match="verifies certificates"):
        locate(MALLORY, context=context, host_map=directory.host_map)


def test_a_server_error_is_said_with_its_status(directory: WkdServer) -> None:
    directory.status = 500
    with pytest.raises(WkdError, match="openpgpkey.example.org answered 500"):
        located(directory)


def test_a_redirect_to_plain_http_is_not_followed(directory: WkdServer) -> None:
    directory.location = "http://example.org/key"
    with pytest.raises(WkdError, match="not https: not followed"):
        located(directory)


def test_a_redirect_to_https_is_followed_and_a_loop_ends(directory: WkdServer,
                                                         gnupg: Keyring) -> None:
    directory.location = "https://example.org/elsewhere"
    with pytest.raises(WkdError, match="redirected more than 3 times"):
        located(directory)
    assert [line.split()[0] for line in directory.asked] == [
        "openpgpkey.example.org", "example.org", "example.org", "example.org"]


def test_a_server_that_does_not_answer_is_given_up_on_in_time(directory: WkdServer) -> None:
    directory.stall = 3.0
    with pytest.raises(WkdError, match="did not answer within 0.5 s"):
        located(directory, timeout=0.5)


def test_more_than_a_key_can_be_is_refused(directory: WkdServer) -> None:
    directory.publish(MALLORY, b"\x99" * (600 * 1024))
    with pytest.raises(WkdError, match="more than 512 KiB"):
        located(directory)


def test_several_addresses_are_asked_at_once_and_each_missing_one_says_why(
        directory: WkdServer, gnupg: Keyring) -> None:
    key = gnupg.gpg("--export", MALLORY, home=gnupg.other)
    directory.publish(MALLORY, key)
    found, why = locate_all([MALLORY, "nobody@example.org", "x@elsewhere.example"],
                            context=directory.client_context(), host_map=directory.host_map)
    assert found == {MALLORY: key}
    assert why["nobody@example.org"] == "its domain publishes no key for it (WKD)"
    assert why["x@elsewhere.example"].startswith(
        "its key directory could not be asked: cannot reach elsewhere.example")


def test_a_published_key_is_used_only_for_an_address_it_carries(gnupg: Keyring) -> None:
    mallory = gnupg.gpg("--export", MALLORY, home=gnupg.other)
    gpg = GnuPG("gpg")
    assert can_encrypt_to(gpg, mallory, MALLORY)
    assert can_encrypt_to(gpg, mallory, "Mallory@Example.org")
    assert not can_encrypt_to(gpg, mallory, "bob@example.net")
    assert can_encrypt_to(gpg, mallory)  # an Autocrypt header's key: its address not asked


@pytest.mark.parametrize("location", ["https://exa\x1b[31mmple.org/key",
                                      "https://exa\x1bmple.org/key",
                                      "https://example.org:port/key"])
def test_a_redirect_to_a_host_name_with_control_characters_is_not_followed_or_echoed(
        directory: WkdServer, location: str) -> None:
    directory.location = location
    with pytest.raises(WkdError) as raised:
        located(directory)
    assert "\x1b" not in str(raised.value)
    assert len(directory.asked) == 1
