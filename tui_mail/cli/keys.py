"""`tui-mail keys [list|import FILE]`: the OpenPGP keys in your GnuPG, with the fingerprints
to compare with your correspondents', and a key file imported (`-` reads standard input).

What keys say (user ids) comes from other people: everything printed goes through
`sanitize_line`. Exit status: 0 done, 1 nothing imported (the file holds no key), 2 GnuPG
cannot be run.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from tui_mail.errors import UsageError

if TYPE_CHECKING:
    from tui_mail.cli.context import CliContext
    from tui_mail.crypto.keys import KeyInfo


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "keys", help="list your OpenPGP keys and import one",
        description="Without an action: list the OpenPGP keys of your GnuPG keyring (yours "
        "first), each with its fingerprint. Signed and encrypted mail is read and written "
        "with these keys.")
    parser.set_defaults(func=run_list)
    actions = parser.add_subparsers(dest="keys_command", metavar="ACTION")
    actions.add_parser("list", help="list the keys (the default)").set_defaults(func=run_list)
    importing = actions.add_parser("import", help="import the keys in a file (- : stdin)")
    importing.add_argument("file", metavar="FILE")
    importing.set_defaults(func=run_import)


def describe(key: KeyInfo) -> list[str]:
    """A key as two or more lines: whose it is and how far it is trusted, then its
    fingerprint in groups of four."""
    from tui_mail.mail.sanitize import sanitize_line
    from tui_mail.mail.security import grouped

    who = sanitize_line(key.user_ids[0]) if key.user_ids else "(no user id)"
    uses = "/".join(use for use, ok in (("sign", key.can_sign), ("encrypt", key.can_encrypt))
                    if ok) or "no use left"
    lines = [f"{'yours' if key.secret else 'key  '}  {who}  ({key.validity}; {uses})"]
    lines += [f"       also {sanitize_line(other)}" for other in key.user_ids[1:]]
    lines.append(f"       {grouped(key.fingerprint)}")
    return lines


def run_list(args: argparse.Namespace, ctx: CliContext) -> int:  # noqa: ARG001
    from tui_mail.crypto.gnupg import CryptoError
    from tui_mail.crypto.keys import list_keys

    try:
        keys = list_keys()
    except CryptoError as exc:
        raise UsageError(str(exc)) from exc
    if not keys:
        sys.stdout.write("No OpenPGP key in your keyring yet: `gpg --quick-gen-key "
                         "'Your Name <you@example.com>'` makes one, `tui-mail keys import "
                         "FILE` takes a correspondent's.\n")
        return 0
    sys.stdout.write("\n".join(line for key in keys for line in describe(key)) + "\n")
    return 0


def run_import(args: argparse.Namespace, ctx: CliContext) -> int:  # noqa: ARG001
    from pathlib import Path

    from tui_mail.crypto.gnupg import CryptoError
    from tui_mail.crypto.keys import import_keys

    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from exc
    try:
        imported = import_keys(data)
    except CryptoError as exc:
        sys.stderr.write(f"tui-mail: {args.file}: {exc}\n")
        return 1
    for key in imported.changed:
        sys.stdout.write("imported " + "\n".join(describe(key)).lstrip() + "\n")
    for key in imported.unchanged:
        sys.stdout.write("already there " + "\n".join(describe(key)).lstrip() + "\n")
    sys.stdout.write("Compare the fingerprint with the one its owner gives you before you"
                     " trust it.\n")
    return 0
