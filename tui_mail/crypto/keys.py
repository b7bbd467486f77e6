"""The keys tui-mail works with, in the user's GnuPG: listed with their fingerprints (to compare
with what a correspondent reads out), and imported from a message (a key sent as an
attachment).

Blocking (runs gpg): call it from a worker thread or the command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui_mail.crypto.gnupg import CryptoError, GnuPG, colon_field
from tui_mail.mail.sanitize import sanitize_line

if TYPE_CHECKING:
    from tui_mail.mail.autocrypt import Peer

_VALIDITY = {"u": "ultimate", "f": "full", "m": "marginal", "n": "never", "e": "expired",
             "r": "revoked", "d": "disabled", "i": "invalid"}


@dataclass(frozen=True)
class KeyInfo:
    """One key (OpenPGP) as the keyring knows it."""

    fingerprint: str
    user_ids: tuple[str, ...]
    validity: str  # "ultimate", "full", "marginal", "unknown", "expired", "revoked"...
    secret: bool  # one of the user's own keys
    can_encrypt: bool
    can_sign: bool


def describe_key(key: KeyInfo) -> list[str]:
    """A key as two or more lines, as `tui-mail keys` and the key list show it: whose it is
    and how far it is trusted, then its fingerprint in groups of four."""
    from tui_mail.mail.security import grouped

    who = sanitize_line(key.user_ids[0]) if key.user_ids else "(no user id)"
    uses = "/".join(use for use, ok in (("sign", key.can_sign), ("encrypt", key.can_encrypt))
                    if ok) or "no use left"
    lines = [f"{'yours' if key.secret else 'key  '}  {who}  ({key.validity}; {uses})"]
    lines += [f"       also {sanitize_line(other)}" for other in key.user_ids[1:]]
    lines.append(f"       {grouped(key.fingerprint)}")
    return lines


def describe_peer(account: str, peer: Peer, key: KeyInfo | None) -> list[str]:
    """A key learned by Autocrypt as two lines: whose, from which account's mail and how
    (their own header, or only others' gossip), then its fingerprint."""
    from tui_mail.mail.security import grouped

    if peer.public_key is not None and peer.autocrypt_timestamp is not None:
        prefers = "prefers encryption" if peer.mutual else "no preference"
        said = (f"{prefers}; key sent {peer.autocrypt_timestamp.date().isoformat()}, mail"
                f" last seen {peer.last_seen.date().isoformat()}")
    else:
        when = peer.gossip_timestamp.date().isoformat() if peer.gossip_timestamp else "?"
        said = f"only gossiped by others' group mail, {when}"
    return [f"{sanitize_line(peer.address)}  ({sanitize_line(account)}; {said})",
            f"       {grouped(key.fingerprint) if key else 'not a usable key'}"]


def list_keys(gpg: GnuPG | None = None) -> list[KeyInfo]:
    """Every OpenPGP key of the keyring, the user's own first."""
    gpg = gpg or GnuPG("gpg")
    secret = {key.fingerprint for key in _listed(gpg, "--list-secret-keys")}
    keys = [KeyInfo(k.fingerprint, k.user_ids, k.validity, k.fingerprint in secret,
                    k.can_encrypt, k.can_sign) for k in _listed(gpg, "--list-keys")]
    return sorted(keys, key=lambda k: (not k.secret, k.user_ids[:1]))


def show_key(data: bytes, gpg: GnuPG | None = None) -> KeyInfo | None:
    """The first key in `data` (a key file, an Autocrypt header's keydata), read without
    importing it; None when it holds none."""
    gpg = gpg or GnuPG("gpg")
    run = gpg.run(["--show-keys", "--with-colons", "--fixed-list-mode"], data)
    found = _parsed(run.output)
    return found[0] if found else None


def _listed(gpg: GnuPG, command: str, *names: str) -> list[KeyInfo]:
    fixed = ["--fixed-list-mode"] if gpg.program == "gpg" else []
    run = gpg.run([command, "--with-colons", *fixed, *names])
    if run.returncode != 0 and not run.output:
        return []  # an empty or new keyring
    return _parsed(run.output)


def _parsed(output: bytes) -> list[KeyInfo]:
    keys: list[KeyInfo] = []
    primary: list[str] | None = None
    fingerprint = ""
    user_ids: list[str] = []

    def done() -> None:
        if primary is not None and fingerprint:
            capabilities = primary[11] if len(primary) > 11 else ""
            if primary[0] in ("crt", "crs"):  # a certificate: its addresses before its name
                user_ids.sort(key=lambda uid: not uid.startswith("<"))
            keys.append(KeyInfo(fingerprint, tuple(user_ids),
                                _VALIDITY.get(primary[1], "unknown"), False,
                                "E" in capabilities, "S" in capabilities))

    for line in output.decode("utf-8", "replace").splitlines():
        fields = line.split(":")
        if fields[0] in ("pub", "sec", "crt", "crs"):
            done()
            primary, fingerprint, user_ids = fields, "", []
        elif fields[0] == "fpr" and primary is not None and not fingerprint and len(fields) > 9:
            fingerprint = fields[9]
        elif fields[0] == "uid" and primary is not None and len(fields) > 9:
            user_ids.append(sanitize_line(colon_field(fields[9])))
    done()
    return keys


@dataclass(frozen=True)
class Imported:
    """What an import did: the keys new or updated, and those already there unchanged."""

    changed: tuple[KeyInfo, ...]
    unchanged: tuple[KeyInfo, ...]


def import_keys(data: bytes, gpg: GnuPG | None = None, *, one: bool = False) -> Imported:
    """Import the OpenPGP keys in `data` (armored or not). `one`: the data must hold exactly
    one key (a key learned by Autocrypt: its fingerprint is the one the user compared, and a
    header could otherwise slip a key for someone else into the keyring). Raises CryptoError
    when it holds none, or more than allowed, in words."""
    gpg = gpg or GnuPG("gpg")
    shown = gpg.run(["--show-keys", "--with-colons"], data)
    if any(line.startswith(b"sec:") for line in shown.output.splitlines()):
        raise CryptoError("it holds a secret key, and tui-mail imports only correspondents'"
                          " public keys: if it is yours, import it with gpg --import")
    primaries = sum(line.startswith(b"pub:") for line in shown.output.splitlines())
    if one and primaries != 1:
        raise CryptoError(f"it holds {primaries} keys where there should be one: not imported,"
                          " since the others could be anyone's")
    run = gpg.run(["--import", "--import-options", "import-clean"], data)
    ok = [line.args for line in run.status if line.keyword == "IMPORT_OK" and len(line.args) > 1]
    if not ok:
        raise CryptoError("no OpenPGP key in it: a key is an attachment beginning with"
                          " -----BEGIN PGP PUBLIC KEY BLOCK-----")
    known = {key.fingerprint: key for key in list_keys(gpg)}
    # gpg says IMPORT_OK once per thing it did to a key (its user ids, its subkeys...)
    changed_fprs = dict.fromkeys(fpr for reason, fpr, *_ in ok if reason != "0")
    unchanged_fprs = dict.fromkeys(fpr for reason, fpr, *_ in ok
                                   if reason == "0" and fpr not in changed_fprs)
    changed = tuple(known[fpr] for fpr in changed_fprs if fpr in known)
    unchanged = tuple(known[fpr] for fpr in unchanged_fprs if fpr in known)
    return Imported(changed, unchanged)


# What a PKCS#12 file holds a private key in (the OIDs of its key bags, DER-encoded), and a
# PEM private key: `gpgsm --import` would take the key, and only the user's own belong there.
_SECRET_MARKS = (bytes.fromhex("2a864886f70d010c0a0101"), bytes.fromhex("2a864886f70d010c0a0102"),
                 b"PRIVATE KEY-----")


def import_certificates(data: bytes, gpgsm: GnuPG | None = None) -> Imported:
    """Import the S/MIME certificates in `data` (PEM or DER, one or a chain, or a signature's
    certificates) into gpgsm's keybox: a correspondent's, to encrypt to them. Raises
    CryptoError when it holds none, or holds a private key, in words."""
    gpgsm = gpgsm or GnuPG("gpgsm")
    if any(mark in data for mark in _SECRET_MARKS):
        raise CryptoError("it holds a private key, and tui-mail imports only correspondents'"
                          " certificates: if it is yours, import it with gpgsm --import")
    run = gpgsm.run(["--import"], data)
    ok = [line.args for line in run.status if line.keyword == "IMPORT_OK" and len(line.args) > 1]
    if not ok:
        raise CryptoError("no S/MIME certificate in it: a certificate is a .pem, .crt or .cer"
                          " file beginning with -----BEGIN CERTIFICATE-----, or its DER form")
    changed = dict.fromkeys(fpr for reason, fpr, *_ in ok if reason != "0")
    unchanged = dict.fromkeys(fpr for reason, fpr, *_ in ok
                              if reason == "0" and fpr not in changed)

    def listed(fingerprints: dict[str, None]) -> tuple[KeyInfo, ...]:
        if not fingerprints:
            return ()
        return tuple(_listed(gpgsm, "--list-keys", *fingerprints))

    return Imported(listed(changed), listed(unchanged))
