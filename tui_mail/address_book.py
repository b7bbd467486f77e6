"""Addresses from outside the cache: an `address_book_command` and vCard files.

The command speaks mutt's query protocol (what abook, khard, notmuch-addrlookup, lbdb and
goobook print): it is run with the typed text and prints one match per line, "address<TAB>name"
(a third field, a comment, is ignored). mutt shows and drops the first line as a status
message; aerc reads every line. Both kinds of command are met, so a first line is dropped only
when it is not a match (no "@" in its first field).

The command line is split like a shell would (`shlex`), never run through one: the typed text
replaces a "%s" in it (as one argument, whatever it holds) or is added as the last argument.

vCard files (RFC 6350; 2.1 and 3.0 read too) give every EMAIL of each card with its FN.
Everything read is sanitized to one line: an address book may hold what a message put there.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from tui_mail.errors import TuiMailError
from tui_mail.mail.sanitize import sanitize_line
from tui_mail.model import Address

TIMEOUT = 5.0  # seconds an address book command may take before the composer gives up on it
MAX_RESULTS = 200
MAX_VCARD_BYTES = 20_000_000


class AddressBookError(TuiMailError):
    """The address book command could not be run or failed; the message says which and why."""


def command_argv(command: str, query: str) -> list[str]:
    """The argument list for `command` asked about `query` (no shell)."""
    try:
        words = shlex.split(command)
    except ValueError as exc:
        raise AddressBookError(f"address_book_command {command!r} cannot be split into"
                               f" words: {exc}") from None
    if not words:
        raise AddressBookError("address_book_command is empty")
    if any("%s" in w for w in words):
        return [w.replace("%s", query) for w in words]
    return [*words, query]


def _looks_like_match(line: str) -> bool:
    return "@" in line.split("\t", 1)[0]


def parse_query_output(text: str) -> list[Address]:
    """The matches in a query command's output, in its order, each address once."""
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and not _looks_like_match(lines[0]):
        lines = lines[1:]
    found: list[Address] = []
    seen: set[str] = set()
    for line in lines:
        fields = line.split("\t")
        email = sanitize_line(fields[0]).strip()
        if "@" not in email or " " in email or email.lower() in seen:
            continue
        name = sanitize_line(fields[1]).strip() if len(fields) > 1 else ""
        seen.add(email.lower())
        found.append(Address(name, email))
        if len(found) == MAX_RESULTS:
            break
    return found


def query_command(command: str, query: str, *, timeout: float = TIMEOUT) -> list[Address]:
    """Ask the address book command about `query`. Blocking: call it off the event loop."""
    argv = command_argv(command, query)
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout, check=False,
                              stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise AddressBookError(f"address_book_command: {argv[0]!r} was not found (is it"
                               " installed and on PATH?)") from None
    except PermissionError:
        raise AddressBookError(f"address_book_command: {argv[0]!r} cannot be run (not"
                               " executable)") from None
    except subprocess.TimeoutExpired:
        raise AddressBookError(f"address_book_command {argv[0]!r} gave no answer in"
                               f" {timeout:g} s") from None
    output = done.stdout.decode("utf-8", "replace")
    if done.returncode != 0:
        found = parse_query_output(output)
        if not found and done.returncode != 1:  # abook and lbdbq exit 1 for "no match"
            why = sanitize_line(done.stderr.decode("utf-8", "replace").strip().split("\n")[-1])
            raise AddressBookError(f"address_book_command {argv[0]!r} failed (exit status"
                                   f" {done.returncode}){': ' + why if why else ''}")
        return found
    return parse_query_output(output)


# ---- vCard ----------------------------------------------------------------------------

_UNFOLD = re.compile(r"\r?\n[ \t]")
_PROPERTY = re.compile(r"^(?:[A-Za-z0-9-]+\.)?([A-Za-z-]+)((?:;[^:]*)?):(.*)$")


def _unescape(value: str) -> str:
    return re.sub(r"\\([,;\\nN])", lambda m: {"n": " ", "N": " "}.get(m.group(1), m.group(1)),
                  value)


def vcard_addresses(text: str) -> list[Address]:
    """Every (FN, EMAIL) pair of the cards in `text`."""
    found: list[Address] = []
    name = ""
    emails: list[str] = []
    for line in _UNFOLD.sub("", text).splitlines():
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            name, emails = "", []
            continue
        if upper == "END:VCARD":
            found.extend(Address(name, e) for e in emails)
            continue
        m = _PROPERTY.match(line.strip())
        if not m:
            continue
        prop, value = m.group(1).upper(), m.group(3)
        if prop == "FN":
            name = sanitize_line(_unescape(value)).strip()
        elif prop == "EMAIL":
            email = sanitize_line(_unescape(value)).strip()
            if email.lower().startswith("mailto:"):
                email = email[7:]
            if "@" in email and " " not in email:
                emails.append(email)
    return found


def read_vcards(paths: Iterable[Path]) -> list[Address]:
    """The addresses of vCard files, and of the .vcf files in folders (vdirsyncer's layout);
    a file that cannot be read is an AddressBookError naming it."""
    out: list[Address] = []
    for path in paths:
        files = sorted(path.glob("*.vcf")) if path.is_dir() else [path]
        for file in files:
            try:
                if file.stat().st_size > MAX_VCARD_BYTES:
                    raise AddressBookError(f"{file}: larger than {MAX_VCARD_BYTES // 1_000_000}"
                                           " MB, not read as an address book")
                out.extend(vcard_addresses(file.read_text(encoding="utf-8", errors="replace")))
            except OSError as exc:
                raise AddressBookError(f"cannot read the address book {file}:"
                                       f" {exc.strerror or exc}") from None
    return out


def matching(addresses: Iterable[Address], query: str, limit: int = 20) -> list[Address]:
    """The addresses whose name or address contains `query` (case-insensitive), those that
    start with it first."""
    q = query.strip().lower()
    if not q:
        return []
    starts: list[Address] = []
    contains: list[Address] = []
    for address in addresses:
        name, email = address.name.lower(), address.email.lower()
        if email.startswith(q) or name.startswith(q) or any(
                w.startswith(q) for w in name.split()):
            starts.append(address)
        elif q in email or q in name:
            contains.append(address)
    return (starts + contains)[:limit]


class AddressBook:
    """The user's own address books, besides the addresses the cache has seen: vCard files
    (read once, at the first lookup) and the `address_book_command` (asked each time).

    `find` blocks (files, a subprocess): call it from a worker thread. It never raises; what
    went wrong comes back as problems, each said to the user once by the caller."""

    def __init__(self, command: str = "", vcards: Sequence[Path] = (), *,
                 timeout: float = TIMEOUT) -> None:
        self.command = command
        self.vcards = tuple(vcards)
        self.timeout = timeout
        self._cards: list[Address] | None = None
        self._cards_problem = ""
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return bool(self.command or self.vcards)

    def _read_cards(self) -> tuple[list[Address], str]:
        with self._lock:
            if self._cards is None:
                try:
                    self._cards = read_vcards(self.vcards)
                except AddressBookError as exc:
                    self._cards, self._cards_problem = [], str(exc)
            return self._cards, self._cards_problem

    def find(self, query: str, limit: int = 20) -> tuple[list[Address], list[str]]:
        """The contacts matching `query` (vCards first, then the command's), each address
        once, and the problems met."""
        problems: list[str] = []
        found: list[Address] = []
        if self.vcards:
            cards, problem = self._read_cards()
            found.extend(matching(cards, query, limit))
            if problem:
                problems.append(problem)
        if self.command:
            try:
                found.extend(query_command(self.command, query, timeout=self.timeout))
            except AddressBookError as exc:
                problems.append(str(exc))
        return unique_addresses(found)[:limit], problems


def unique_addresses(addresses: Iterable[Address]) -> list[Address]:
    """`addresses` in order, each e-mail address once (the first, with its name, is kept)."""
    seen: set[str] = set()
    out: list[Address] = []
    for address in addresses:
        key = address.email.casefold()
        if key not in seen:
            seen.add(key)
            out.append(address)
    return out
