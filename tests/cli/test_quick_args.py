"""`search` and `show` read a plain command line without argparse (`tui_mail.cli.quick_args`,
issue 19): whatever line it reads, it reads as argparse does, and any other line (help, an
error, an abbreviation, a word starting with "-") it leaves to argparse."""

from __future__ import annotations

import contextlib
import io
import itertools
import random

import pytest

from tui_mail import __version__
from tui_mail.cli import build_parser, command_named, quick_args, quick_version

PLAIN = [
    ["search", "narwhal"],
    ["search", "--json", "from:alice", "is:unread"],
    ["--data-dir", "/tmp/x", "search", "--limit", "5", "the"],
    ["--config=/c.toml", "--debug", "search", "a", "b", "--json", "--limit=7"],
    ["--demo", "--data-dir=/d", "search", "--account", "work", "--folder", "INBOX", "x"],
    ["search", "--account=a=b", '"q3 report"', ""],
    ["show", "12"],
    ["show", "--raw", "12"],
    ["--data-dir", "/d", "show", "--html", "--whole", "--account", "work", "mail.eml"],
]


def by_argparse(argv: list[str]) -> dict[str, object] | None:
    """vars() of argparse's reading of `argv`, None when it refuses it (or prints help)."""
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            return vars(build_parser(command_named(argv)).parse_args(argv))
        except SystemExit:
            return None


def by_quick(argv: list[str]) -> dict[str, object] | None:
    read = quick_args(argv, command_named(argv))
    return None if read is None else vars(read)


@pytest.mark.parametrize("argv", PLAIN, ids=" ".join)
def test_a_plain_line_is_read_without_argparse_and_as_argparse_reads_it(argv: list[str]) -> None:
    quick = by_quick(argv)
    assert quick is not None
    assert quick == by_argparse(argv)


@pytest.mark.parametrize("argv", [
    ["search"], ["search", "-h"], ["search", "--help"], ["--help"], ["search", "--js", "x"],
    ["search", "-word"], ["search", "--", "-word"], ["search", "a", "--json", "b"],
    ["search", "--limit", "x", "a"], ["search", "--limit", "-5", "a"], ["search", "--json=1", "a"],
    ["--version", "search", "a"], ["search", "--debug", "a"], ["show"], ["show", "1", "2"],
    ["show", "-"], ["--data-dir", "search", "a"], ["--data", "/d", "search", "a"],
    ["sync"], ["accounts"], [],
], ids=" ".join)
def test_any_other_line_is_left_to_argparse(argv: list[str]) -> None:
    assert by_quick(argv) is None


def test_every_line_read_without_argparse_is_read_as_argparse_reads_it() -> None:
    """Lines made of the pieces both understand and some they do not, in any order."""
    pieces = ["search", "show", "x", "12", "-", "-w", "--json", "--raw", "--html", "--whole",
              "--limit", "3", "--limit=4", "--limit=z", "--account", "--account=w", "--folder",
              "--data-dir", "/d", "--config=/c", "--debug", "--demo", "--", "--lim", "", "-5"]
    rng = random.Random(19)
    lines = [list(p) for n in range(1, 4) for p in itertools.product(pieces, repeat=n)]
    lines += [[rng.choice(pieces) for _ in range(rng.randint(4, 9))] for _ in range(4000)]
    read = 0
    for argv in lines:
        quick = by_quick(argv)
        if quick is not None:
            read += 1
            assert quick == by_argparse(argv), argv
    assert read > 100  # the fast path was taken, not only refused


@pytest.mark.parametrize("argv", [["--version"], ["--data-dir", "/d", "--version"],
                                  ["--debug", "--config=/c", "--version"]], ids=" ".join)
def test_a_plain_version_line_is_answered_as_argparse_answers_it(argv: list[str]) -> None:
    assert quick_version(argv)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exited:
        build_parser(command_named(argv)).parse_args(argv)
    assert exited.value.code == 0 and out.getvalue() == f"tui-mail {__version__}\n"


@pytest.mark.parametrize("argv", [["--version", "--d"], ["--data-dir", "--version"],
                                  ["--verbose", "--version"], ["search", "--version"], []],
                         ids=" ".join)
def test_any_other_version_line_is_left_to_argparse(argv: list[str]) -> None:
    assert not quick_version(argv)
