"""The keys Autocrypt carries, through gpg: the user's own key as their mail sends it, and a
check that a correspondent's key from their header is one gpg can encrypt to.

A correspondent's key stays in the cache (store.autocrypt_peers), never in the user's keyring:
it is given to gpg as a file (`--recipient-file`) each time a message is encrypted to it, so
what a stranger's header says never changes the keyring the user manages.

Blocking (runs gpg): call from a worker thread.
"""

from __future__ import annotations

from tui_mail.crypto.gnupg import CryptoError, GnuPG, addresses_in, colon_field


def own_keydata(gpg: GnuPG, address: str) -> bytes:
    """The user's key for `address` as level 1 wants it in their header: the primary key, the
    user id of that address and the subkeys that encrypt, with their signatures only (binary
    OpenPGP). Empty when the keyring holds no secret key for that address."""
    listed = gpg.run(["--list-secret-keys", "--with-colons", f"<{address}>"])
    subkeys: list[str] = []  # "FPR!": exactly those subkeys, with their primary key
    usable = False  # the key being read is valid and can encrypt
    line_kind = ""
    for line in listed.output.decode("utf-8", "replace").splitlines():
        fields = line.split(":")
        if fields[0] == "sec":
            if subkeys:
                break  # the first usable key only
            usable = len(fields) > 11 and fields[1] not in ("e", "r", "d", "i") \
                and "E" in fields[11]
        elif fields[0] == "ssb":
            # an encryption subkey that is not expired or revoked (an old one is left out:
            # a correspondent encrypting to it could not be read)
            line_kind = "ssb" if usable and len(fields) > 11 and "e" in fields[11] \
                and fields[1] not in ("e", "r", "d", "i") else ""
        elif fields[0] == "fpr" and line_kind == "ssb" and len(fields) > 9:
            subkeys.append(fields[9] + "!")
            line_kind = ""
    if not subkeys:
        return b""
    run = gpg.run(["--export", "--export-options", "export-minimal",
                   "--export-filter", f"keep-uid=mbox = {address.lower()}", *subkeys])
    return run.output if run.returncode == 0 else b""


def public_keydata(gpg: GnuPG, address: str) -> bytes:
    """A correspondent's key for `address` from the keyring, minimal as in an Autocrypt
    header (for gossip): one key, the first that can encrypt (an old or revoked key of theirs
    in the keyring is not sent along); empty when the keyring has none."""
    listed = gpg.run(["--list-keys", "--with-colons", f"<{address}>"])
    fingerprint = ""
    usable = False
    for line in listed.output.decode("utf-8", "replace").splitlines():
        fields = line.split(":")
        if fields[0] == "pub":
            usable = len(fields) > 11 and fields[1] not in ("e", "r", "d", "i") \
                and "E" in fields[11]
        elif fields[0] == "fpr" and usable and len(fields) > 9:
            fingerprint = fields[9]
            break
    if not fingerprint:
        return b""
    run = gpg.run(["--export", "--export-options", "export-minimal",
                   "--export-filter", f"keep-uid=mbox = {address.lower()}",
                   "--export-filter", "drop-subkey=usage !~ e", fingerprint])
    return run.output if run.returncode == 0 else b""


def can_encrypt_to(gpg: GnuPG, keydata: bytes, address: str = "") -> bool:
    """Whether `keydata` (from an Autocrypt header, or a key directory) is one key gpg can
    encrypt to: it is read, not imported (`--show-keys`), and has a usable encryption subkey
    or primary key; with `address`, one of its user ids is that address (a key directory's key
    must be, by its draft). Data holding several keys is refused: a header could otherwise add
    a stranger's key to every message encrypted to its sender."""
    try:
        run = gpg.run(["--show-keys", "--with-colons"], keydata)
    except CryptoError:
        return False
    lines = [line.split(":") for line in run.output.decode("utf-8", "replace").splitlines()]
    primaries = [fields for fields in lines if fields[0] == "pub"]
    if len(primaries) != 1 or len(primaries[0]) <= 11:
        return False  # one key, as level 1 says (and gpg's --recipient-file wants)
    fields = primaries[0]
    if fields[1] in ("e", "r", "d", "i") or "E" not in fields[11]:
        return False
    if not address:
        return True
    return any(len(uid) > 9 and uid[1] not in ("e", "r") and
               address.strip().lower() in addresses_in(colon_field(uid[9]))
               for uid in lines if uid[0] == "uid")
