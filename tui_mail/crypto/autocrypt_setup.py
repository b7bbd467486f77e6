"""Autocrypt's Setup Message (level 1, "Autocrypt Setup Message"): the user's secret key sent to
themselves, encrypted with a Setup Code of 36 digits that only the sending device shows, so
that another of their mail programs can take the key (and its Autocrypt setting) over.

Written and read as level 1 gives it: a message from and to the user with the header
`Autocrypt-Setup-Message: v1`, a text part, and an `application/autocrypt-setup` attachment
(an HTML page) holding a symmetrically encrypted, armored OpenPGP message whose armor says
`Passphrase-Format: numeric9x4` and `Passphrase-Begin:` (the code's first two digits); inside,
the armored secret key with an `Autocrypt-Prefer-Encrypt:` header.

Blocking (runs gpg): call it from a worker thread.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from tui_mail.crypto.gnupg import CryptoError, GnuPG, colon_field
from tui_mail.crypto.keys import Imported, list_keys
from tui_mail.mail.sanitize import sanitize_line

SETUP_HEADER = "Autocrypt-Setup-Message"
SETUP_TYPE = "application/autocrypt-setup"
SETUP_FILENAME = "autocrypt-setup-message.html"
SUBJECT = "Autocrypt Setup Message"
_BLOCK = re.compile(rb"-----BEGIN PGP MESSAGE-----.*?-----END PGP MESSAGE-----", re.DOTALL)
_CODE = re.compile(r"^\d{4}(-\d{4}){8}$")
_PREFER = re.compile(rb"^Autocrypt-Prefer-Encrypt:\s*(\S+)", re.MULTILINE | re.IGNORECASE)

INTRO = ("This message contains all information to transfer your Autocrypt settings along with"
         " your secret key securely from your original device.\r\n\r\nTo set up your new"
         " device for Autocrypt, please follow the instructions that should be presented by"
         " your new device.\r\n\r\nYou can keep this message and use it as a backup for your"
         " secret key. If you want to do this, you should write down the Setup Code and store"
         " it securely.\r\n")


class SetupPassphraseNeeded(CryptoError):
    """The user's key needs its passphrase to be exported: ask, then make it again."""

    def __init__(self, key_hint: str) -> None:
        super().__init__(f"exporting your key needs its passphrase ({key_hint})")
        self.key_hint = key_hint


def setup_code() -> str:
    """36 random digits in nine groups of four, as level 1 shows the Setup Code."""
    digits = "".join(str(secrets.randbelow(10)) for _ in range(36))
    return "-".join(digits[i:i + 4] for i in range(0, 36, 4))


def normalized_code(typed: str) -> str:
    """The Setup Code as typed (spaces, dashes or neither) in its 9x4 form; "" when it does
    not hold 36 digits."""
    digits = re.sub(r"[\s-]", "", typed)
    if not re.fullmatch(r"\d{36}", digits):
        return ""
    return "-".join(digits[i:i + 4] for i in range(0, 36, 4))


def setup_message(gpg: GnuPG, address: str, mutual: bool, code: str, *, when: datetime,
                  message_id: str, passphrase: str | None = None) -> bytes:
    """The Setup Message carrying the user's secret key for `address`, encrypted with `code`.
    Raises SetupPassphraseNeeded (ask, then call again with the key's passphrase), or
    CryptoError saying why it cannot be made (no secret key for the address)."""
    from email.utils import format_datetime

    if not _CODE.match(code):
        raise CryptoError("a Setup Code is 36 digits in nine groups of four")
    secret = _secret_key(gpg, address, passphrase)
    prefer = b"mutual" if mutual else b"nopreference"
    secret = _with_armor_header(secret, b"Autocrypt-Prefer-Encrypt: " + prefer)
    run = gpg.run(["--symmetric", "--armor", "--cipher-algo", "AES128"], secret,
                  passphrase=code)
    block = _BLOCK.search(run.output)
    if run.returncode != 0 or block is None:
        raise CryptoError(f"gpg could not encrypt the Setup Message: {sanitize_line(run.messages.strip()[:200])}")
    armored = _with_armor_header(block.group(0), b"Passphrase-Format: numeric9x4\r\n"
                                 b"Passphrase-Begin: " + code[:2].encode())
    page = (b"<html><body><p>This is the Autocrypt setup file used to transfer settings and"
            b" keys between clients. You can decrypt it using the setup code presented on your"
            b" old device, and then import the contained key into your keyring.</p>\r\n<pre>\r\n"
            + armored.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            + b"\r\n</pre></body></html>\r\n")
    boundary = f"=-=setup-{secrets.token_hex(8)}=-="
    head = (f"From: <{address}>\r\nTo: <{address}>\r\nSubject: {SUBJECT}\r\n"
            f"Date: {format_datetime(when)}\r\nMessage-ID: {message_id}\r\n"
            f"{SETUP_HEADER}: v1\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n')
    return (head.encode() + f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            .encode() + INTRO.encode()
            + f"\r\n--{boundary}\r\nContent-Type: {SETUP_TYPE}\r\nContent-Disposition:"
              f' attachment; filename="{SETUP_FILENAME}"\r\n\r\n'.encode()
            + page + f"--{boundary}--\r\n".encode())


def passphrase_begin(page: bytes) -> str:
    """The first two digits of the code, as the attachment's armor says (a hint for typing)."""
    found = re.search(rb"^Passphrase-Begin:\s*(\d+)", page, re.MULTILINE)
    return found.group(1).decode() if found else ""


@dataclass(frozen=True)
class TakenOver:
    """What opening a Setup Message did: the keys imported, and the setting it carried."""

    imported: Imported
    mutual: bool


def take_over(gpg: GnuPG, page: bytes, code: str) -> TakenOver:
    """Decrypt the Setup Message's attachment (`page`) with `code` and import the secret key
    in it into the user's keyring. Raises CryptoError in words: no encrypted setup in it, a
    wrong Setup Code, no secret key inside."""
    block = _BLOCK.search(page)
    if block is None:
        raise CryptoError("no encrypted setup in it: it is not an Autocrypt Setup Message")
    normal = normalized_code(code)
    if not normal:
        raise CryptoError("a Setup Code is 36 digits (nine groups of four)")
    run = gpg.run(["--decrypt"], block.group(0), passphrase=normal)
    if run.returncode != 0 or not run.output:
        raise CryptoError("the Setup Code does not open it: check the digits shown on the"
                          " device that sent it")
    secret = run.output
    if b"-----BEGIN PGP PRIVATE KEY BLOCK-----" not in secret:
        raise CryptoError("there is no secret key inside")
    listed = gpg.run(["--show-keys", "--with-colons"], secret).output.splitlines()
    primaries = [line for line in listed if line.startswith((b"sec:", b"pub:"))]
    if len(primaries) != 1 or not primaries[0].startswith(b"sec:"):
        # One secret key is what a setup carries; anything else packed in would be trusted
        # as the user's own.
        raise CryptoError(f"it holds {len(primaries)} keys where a setup holds your one"
                          " secret key: not imported")
    before = {key.fingerprint for key in list_keys(gpg) if key.secret}
    imported = gpg.run(["--import"], secret)
    ok = [line.args[1] for line in imported.status
          if line.keyword == "IMPORT_OK" and len(line.args) > 1]
    if not ok:
        raise CryptoError(f"gpg did not import the key: {sanitize_line(imported.messages.strip()[:200])}")
    # The user's own key, now on this device too: trusted as their keys are (ultimately).
    gpg.run(["--import-ownertrust"], "".join(f"{fpr}:6:\n" for fpr in dict.fromkeys(ok)
                                            ).encode())
    keys = [key for key in list_keys(gpg) if key.fingerprint in ok and key.secret]
    changed = tuple(key for key in keys if key.fingerprint not in before)
    unchanged = tuple(key for key in keys if key.fingerprint in before)
    prefer = _PREFER.search(secret)
    return TakenOver(Imported(changed, unchanged),
                     bool(prefer and prefer.group(1).lower() == b"mutual"))


def _secret_key(gpg: GnuPG, address: str, passphrase: str | None) -> bytes:
    listed = gpg.run(["--list-secret-keys", "--with-colons", f"<{address}>"])
    fingerprint = ""
    user_id = ""
    for line in listed.output.decode("utf-8", "replace").splitlines():
        fields = line.split(":")
        if fields[0] == "fpr" and not fingerprint and len(fields) > 9:
            fingerprint = fields[9]
        elif fields[0] == "uid" and not user_id and len(fields) > 9:
            user_id = sanitize_line(colon_field(fields[9]))
    if not fingerprint:
        raise CryptoError(f"your keyring has no secret key for {address}: there is nothing"
                          " to set up another device with")
    run = gpg.run(["--armor", "--export-secret-keys", "--export-options", "export-minimal",
                   fingerprint], passphrase=passphrase)
    if b"-----BEGIN PGP PRIVATE KEY BLOCK-----" not in run.output:
        if passphrase is None and any(line.keyword in ("NEED_PASSPHRASE", "INQUIRE_MAXLEN",
                                                       "PINENTRY_LAUNCHED")
                                      for line in run.status):
            raise SetupPassphraseNeeded(user_id or address)
        raise CryptoError(f"gpg could not export your key: {sanitize_line(run.messages.strip()[:200])}")
    return run.output


def _with_armor_header(armored: bytes, header: bytes) -> bytes:
    """`armored` with `header` (lines) after its BEGIN line, before gpg's own headers."""
    first, newline, rest = armored.partition(b"\n")
    return first.rstrip(b"\r") + b"\r\n" + header + b"\r\n" + rest if newline else armored


__all__ = ["SETUP_FILENAME", "SETUP_HEADER", "SETUP_TYPE", "SetupPassphraseNeeded", "TakenOver",
           "normalized_code", "passphrase_begin", "setup_code", "setup_message", "take_over"]
