"""Addresses from an address book command (mutt's query protocol) and from vCard files."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tui_mail.address_book import (
    AddressBookError,
    command_argv,
    matching,
    parse_query_output,
    query_command,
    read_vcards,
)
from tui_mail.model import Address


def script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_a_mutt_style_command_has_its_status_line_dropped(tmp_path: Path) -> None:
    abook = script(tmp_path, "abook", 'echo "Searching database... 2 entries"\n'
                   'printf "ann@example.org\\tAnn Example\\tfriends\\n"\n'
                   'printf "bob@example.org\\tBob\\n"\n')
    assert query_command(f"{abook} --mutt-query %s", "a") == [
        Address("Ann Example", "ann@example.org"), Address("Bob", "bob@example.org")]


def test_an_aerc_style_command_keeps_its_first_line(tmp_path: Path) -> None:
    book = script(tmp_path, "book", 'printf "ann@example.org\\tAnn\\n"\n')
    assert query_command(str(book), "ann") == [Address("Ann", "ann@example.org")]


def test_the_query_is_one_argument_never_seen_by_a_shell(tmp_path: Path) -> None:
    witness = tmp_path / "witness"
    echo = script(tmp_path, "echo-arg", 'printf "%s@example.org\\tQ\\n" "$#"\n')
    query = f"x; touch {witness} $(touch {witness})"
    assert query_command(f"{echo} %s", query) == [Address("Q", "1@example.org")]
    assert command_argv(f"{echo} --q=%s", query) == [str(echo), f"--q={query}"]
    assert command_argv("lookup --fuzzy", "ann") == ["lookup", "--fuzzy", "ann"]
    assert not witness.exists()


def test_a_missing_command_says_so(tmp_path: Path) -> None:
    with pytest.raises(AddressBookError, match="'no-such-abook' was not found"):
        query_command("no-such-abook %s", "a")


def test_a_failing_command_gives_its_exit_status_and_last_error_line(tmp_path: Path) -> None:
    bad = script(tmp_path, "bad", 'echo "first" >&2\necho "database locked" >&2\nexit 3\n')
    with pytest.raises(AddressBookError, match=r"exit status 3\): database locked"):
        query_command(str(bad), "a")


def test_no_match_with_exit_status_1_is_an_empty_answer(tmp_path: Path) -> None:
    none = script(tmp_path, "none", 'echo "No matches"\nexit 1\n')
    assert query_command(str(none), "zzz") == []


def test_a_slow_command_is_given_up_on(tmp_path: Path) -> None:
    slow = script(tmp_path, "slow", "exec sleep 10\n")
    with pytest.raises(AddressBookError, match="gave no answer in 0.5 s"):
        query_command(str(slow), "a", timeout=0.5)


def test_escape_sequences_and_junk_lines_in_the_output_are_dropped() -> None:
    out = ("status\n\x1b]52;c;eA==\x07evil@example.org\t\x1b[31mRed\x1b[0m Name\n"
           "not an address\tX\nann@example.org\tAnn\nANN@example.org\tAnn again\n")
    found = parse_query_output(out)
    assert [a.email for a in found] == ["evil@example.org", "ann@example.org"]
    assert all("\x1b" not in a.name and "\x07" not in a.name for a in found)


VCARDS = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\n  Example\r\nEMAIL;TYPE=work:ann@work.example\r\n"
    "item1.EMAIL;TYPE=INTERNET:ann@home.example\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Smith\\, Bob\r\nEMAIL:mailto:bob@example.org\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:No Mail\r\nTEL:123\r\nEND:VCARD\r\n"
)


def test_vcards_give_every_email_with_the_cards_name(tmp_path: Path) -> None:
    (tmp_path / "contacts").mkdir()
    (tmp_path / "contacts" / "a.vcf").write_text(VCARDS)
    (tmp_path / "contacts" / "notes.txt").write_text("EMAIL:x@y.z")
    assert read_vcards([tmp_path / "contacts"]) == [
        Address("Ann Example", "ann@work.example"), Address("Ann Example", "ann@home.example"),
        Address("Smith, Bob", "bob@example.org")]


def test_an_unreadable_vcard_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(AddressBookError, match="cannot read the address book .*missing.vcf"):
        read_vcards([tmp_path / "missing.vcf"])


def test_matching_puts_names_and_addresses_that_start_with_the_query_first() -> None:
    book = [Address("Joanna Doe", "jd@example.org"), Address("Ann", "ann@example.org"),
            Address("Dave Annex", "dave@example.org"), Address("", "hannah@example.org")]
    assert [a.email for a in matching(book, "ann")] == [
        "ann@example.org", "dave@example.org", "jd@example.org", "hannah@example.org"]
    assert matching(book, "  ") == []
