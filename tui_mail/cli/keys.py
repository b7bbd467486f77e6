"""`tui-mail keys [list|import FILE|autocrypt]`: the OpenPGP keys in your GnuPG, with the
fingerprints to compare with your correspondents', a key file imported (`-` reads standard
input), and the keys learned from correspondents' Autocrypt headers (kept in the cache; one is
put in the keyring with `import --autocrypt ADDRESS`).

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


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "keys", help="list your OpenPGP keys and import one",
        description="Without an action: list the OpenPGP keys of your GnuPG keyring (yours "
        "first), each with its fingerprint. Signed and encrypted mail is read and written "
        "with these keys.")
    parser.set_defaults(func=run_list)
    actions = parser.add_subparsers(dest="keys_command", metavar="ACTION")
    actions.add_parser("list", help="list the keys (the default)").set_defaults(func=run_list)
    importing = actions.add_parser(
        "import", help="import the keys in a file (- : stdin), or a correspondent's key"
        " learned by Autocrypt (--autocrypt ADDRESS)")
    importing.add_argument("file", metavar="FILE", nargs="?")
    importing.add_argument("--autocrypt", metavar="ADDRESS",
                           help="the key ADDRESS's mail carried in its Autocrypt header")
    importing.add_argument("--account", metavar="A", help="whose mail (with --autocrypt)")
    importing.set_defaults(func=run_import)
    learned = actions.add_parser(
        "autocrypt", help="the keys learned from correspondents' Autocrypt headers")
    learned.add_argument("--account", metavar="A", help="only this account's")
    learned.set_defaults(func=run_autocrypt)


def run_list(args: argparse.Namespace, ctx: CliContext) -> int:  # noqa: ARG001
    from tui_mail.crypto.gnupg import CryptoError
    from tui_mail.crypto.keys import describe_key, list_keys

    try:
        keys = list_keys()
    except CryptoError as exc:
        raise UsageError(str(exc)) from exc
    if not keys:
        sys.stdout.write("No OpenPGP key in your keyring yet: `gpg --quick-gen-key "
                         "'Your Name <you@example.com>'` makes one, `tui-mail keys import "
                         "FILE` takes a correspondent's.\n")
        return 0
    sys.stdout.write("\n".join(line for key in keys for line in describe_key(key)) + "\n")
    return 0


def run_import(args: argparse.Namespace, ctx: CliContext) -> int:  # noqa: ARG001
    from pathlib import Path

    from tui_mail.crypto.gnupg import CryptoError
    from tui_mail.crypto.keys import describe_key, import_keys

    if (args.file is None) == (args.autocrypt is None):
        raise UsageError("keys import takes a FILE (- : standard input) or --autocrypt ADDRESS")
    source = args.file
    if args.autocrypt is not None:
        data, source = _learned_key(ctx, args.autocrypt, args.account)
    else:
        try:
            data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from exc
    try:
        imported = import_keys(data, one=args.autocrypt is not None)
    except CryptoError as exc:
        sys.stderr.write(f"tui-mail: {source}: {exc}\n")
        return 1
    for key in imported.changed:
        sys.stdout.write("imported " + "\n".join(describe_key(key)).lstrip() + "\n")
    for key in imported.unchanged:
        sys.stdout.write("already there " + "\n".join(describe_key(key)).lstrip() + "\n")
    sys.stdout.write("Compare the fingerprint with the one its owner gives you before you"
                     " trust it.\n")
    return 0


def _learned_key(ctx: CliContext, address: str, account: str | None) -> tuple[bytes, str]:
    """The key `address`'s mail carried (Autocrypt), and words naming where it came from."""
    with ctx.open_store(reading=True) as store:
        peers = [(name, peer) for name, peer in store.autocrypt_peers(account)
                 if peer.address == address.strip().lower()]
    if not peers:
        raise UsageError(f"no Autocrypt key learned for {address}"
                         f"{f' in account {account!r}' if account else ''}: `tui-mail keys"
                         " autocrypt` lists those there are")
    keys = {peer.key for _, peer in peers}
    if len(keys) > 1:
        names = ", ".join(name for name, _ in peers)
        raise UsageError(f"the accounts {names} learned different keys for {address}: say"
                         " which with --account")
    name, peer = peers[0]
    return peer.key or b"", f"the Autocrypt key of {address} ({name})"


def run_autocrypt(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui_mail.crypto.gnupg import CryptoError
    from tui_mail.crypto.keys import describe_peer, show_key

    with ctx.open_store(reading=True) as store:
        peers = store.autocrypt_peers(args.account)
    if not peers:
        sys.stdout.write("No Autocrypt key learned yet: an account with autocrypt = \"mutual\""
                         " or \"nopreference\" learns them from the mail it syncs.\n")
        return 0
    for account, peer in peers:
        try:
            key = show_key(peer.key or b"")
        except CryptoError as exc:
            raise UsageError(str(exc)) from exc
        sys.stdout.write("\n".join(describe_peer(account, peer, key)) + "\n")
    return 0
